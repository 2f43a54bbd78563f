// Package drift tells what changed in a running container since its image,
// or in a host since its last snapshot or a given image: files (with their
// digests, package integrity, new executables, sensitive paths), packages,
// the findings the changes brought in and the secrets they wrote.
//
// A container is read over the Docker Engine API only: its changes (GET
// /containers/{id}/changes) and its filesystem, streamed once and never
// stored (GET /containers/{id}/export), of which only the changed paths
// are kept, as one more layer over its image's. The image is read by the
// scan pipeline (scan.Overlay), through the layer cache, so a container of
// an image scanned before costs little more than its export.
package drift

import (
	"cmp"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"time"

	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/layerfs"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/scan"
	"github.com/customs-scanner/customs/internal/store"
	"github.com/customs-scanner/customs/internal/target"
)

// Options configure a drift.
type Options struct {
	// Scan are the options of the scans of the image and of the target
	// (DB, layer cache, secrets, clock, version); the gate is not used:
	// the caller judges the drift (Report.Scan, scan.Judge).
	Scan scan.Options
	// DockerHost is the engine's address; empty means $DOCKER_HOST, else
	// the default socket.
	DockerHost string
	// Ignore are the ignore patterns (DefaultIgnore when nil; an empty
	// non-nil slice ignores nothing).
	Ignore []string
	// Severities override DefaultSeverities, by kind.
	Severities map[string]string
	// Against, when set, is the image a container is compared with
	// instead of its own (any scan target).
	Against string
	// Store, when set, is the store of earlier scans: a host without
	// Against is compared with its last snapshot there, and a report
	// names the stored snapshot of the image it was compared with.
	Store Stored

	// Changes says where a container's changes come from: ChangesEngine
	// (GET /containers/{id}/changes), ChangesExport (the export itself,
	// compared with the image), or ChangesAuto ("" too): the engine's
	// when its storage driver keeps them apart (overlay2), else the
	// export's, which then costs one walk of the filesystem instead of
	// the engine's two.
	Changes string

	// Verify says which files whose metadata are the image's the export
	// mode hashes to check against their package's records: VerifyExec
	// ("" too), VerifyAll, VerifyNone.
	Verify string

	// only, in tests, keeps the containers of docker: and docker:all
	// that are the test's (the engine may run others').
	only func(Container) bool
}

// Where a container's changes come from (Options.Changes).
const (
	ChangesAuto   = "auto"
	ChangesEngine = "engine"
	ChangesExport = "export"
)

// Which unchanged-looking files --changes export checks against their
// package's records (Options.Verify).
const (
	VerifyExec = "exec" // regular files with an executable bit
	VerifyAll  = "all"
	VerifyNone = "none"
)

// Stored is what drift reads of the store: a subject's current snapshot
// (an image by its image ID, a host by its machine-id), store.ErrNotFound
// when it holds none.
type Stored interface {
	Report(ctx context.Context, name string) (*store.StoredReport, error)
}

// snapshotOf returns the store's current snapshot of name, nil when the
// store holds none (or there is no store).
func (o Options) snapshotOf(ctx context.Context, name string) (*store.StoredReport, error) {
	if o.Store == nil || name == "" {
		return nil, nil
	}
	sr, err := o.Store.Report(ctx, name)
	if errors.Is(err, store.ErrNotFound) {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("read the store: %w", err)
	}
	return sr, nil
}

func (o Options) ignore() []string {
	if o.Ignore == nil {
		return DefaultIgnore()
	}
	return o.Ignore
}

func (o Options) severities() map[string]string {
	s := DefaultSeverities()
	maps.Copy(s, o.Severities)
	for k, v := range s {
		s[k] = strings.ToUpper(v)
	}
	return s
}

func (o Options) now() time.Time {
	if o.Scan.Now != nil {
		return o.Scan.Now().UTC()
	}
	return time.Now().UTC()
}

// Containers reports the drift of the containers ref names: one container
// by name or ID, "" for every running container, "all" for every one.
// A container that cannot be read (gone, its image deleted) is an error
// in errs, by container, beside the reports of the others.
func Containers(ctx context.Context, ref string, opts Options) (reports []*Report, errs []error, err error) {
	eng, err := newEngine(ctx, opts.DockerHost)
	if err != nil {
		return nil, nil, err
	}
	var list []Container
	if ref == "" || ref == "all" {
		if list, err = eng.containers(ctx, ref == "all"); err != nil {
			return nil, nil, err
		}
		if opts.only != nil {
			list = slices.DeleteFunc(list, func(c Container) bool { return !opts.only(c) })
		}
		if len(list) == 0 {
			return nil, nil, nil
		}
	} else {
		c, err := eng.inspect(ctx, ref)
		if err != nil {
			return nil, nil, err
		}
		list = []Container{c}
	}
	mode := opts.Changes
	if mode == "" || mode == ChangesAuto {
		driver, err := eng.driver(ctx)
		if err != nil {
			return nil, nil, err
		}
		mode = ChangesExport
		if slices.Contains(recordsChanges, driver) {
			mode = ChangesEngine
		}
	}
	for _, c := range list {
		r, err := container(ctx, eng, c, mode, opts)
		if err != nil {
			if ref != "" && ref != "all" {
				return nil, nil, err
			}
			errs = append(errs, fmt.Errorf("container %s: %w", c.Name, err))
			continue
		}
		reports = append(reports, r)
	}
	return reports, errs, nil
}

// container reports one container's drift.
func container(ctx context.Context, eng *engine, c Container, mode string, opts Options) (*Report, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	// The engine computes the changes while the image is read (in
	// ChangesEngine mode).
	type listed struct {
		changes map[string]string
		err     error
	}
	lc := make(chan listed, 1)
	if mode == ChangesEngine {
		go func() {
			m, err := eng.changes(ctx, c.ID)
			lc <- listed{m, err}
		}()
	} else {
		lc <- listed{}
	}
	var (
		up     *upper
		done   chan error
		waited bool
	)
	changes := func() (map[string]string, error) {
		waited = true
		l := <-lc
		if errors.Is(l.err, ErrNoContainer) {
			return nil, fmt.Errorf("the container is gone: %w", l.err)
		}
		return l.changes, l.err
	}
	defer func() {
		if !waited {
			cancel()
			<-lc
		}
	}()
	ig := newIgnorer(opts.ignore())
	against := target.Parse("docker:" + c.ImageID)
	if opts.Against != "" {
		against = target.Parse(opts.Against)
	}
	open := func(ctx context.Context, base *layerfs.FS) (io.ReadCloser, error) {
		m, err := changes()
		if err != nil {
			return nil, err
		}
		if mode == ChangesEngine {
			up = newUpper(m)
		} else {
			up = newExportUpper(base, c.Created, opts.Verify)
		}
		body, err := eng.export(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		pr, pw := io.Pipe()
		done = make(chan error, 1)
		go func() {
			err := up.run(ctx, body, pw)
			body.Close()
			pw.CloseWithError(err) // nil: EOF after the layer's end
			done <- err
		}()
		return &waitCloser{PipeReader: pr, done: done}, nil
	}
	sopts := opts.Scan
	sopts.Image.DockerHost = opts.DockerHost
	if sopts.Image.DockerHost == "" {
		sopts.Image.DockerHost = eng.c.Host
	}
	o, err := scan.Overlay(ctx, against, open, sopts)
	if err != nil {
		if opts.Against == "" && strings.Contains(err.Error(), "has no image") {
			sr, serr := opts.snapshotOf(ctx, c.ImageID)
			if serr != nil {
				return nil, serr
			}
			if sr != nil {
				m, cerr := changes()
				if mode != ChangesEngine {
					m, cerr = eng.changes(ctx, c.ID)
				}
				if cerr != nil {
					return nil, cerr
				}
				return fromSnapshot(ctx, eng, c, m, sr, opts)
			}
			return nil, fmt.Errorf("its image %s (%s) is no longer in the Docker Engine; compare it with an image of your choice with --against REF, or keep images in a store (customs scan --store) to compare with their record: %w", c.Image, c.ImageID, err)
		}
		if done != nil {
			if e := <-done; e != nil && !errors.Is(e, io.ErrClosedPipe) {
				return nil, fmt.Errorf("read container %s: %w", c.Name, e)
			}
		}
		return nil, err
	}
	r := &Report{
		SchemaVersion: SchemaVersion, Tool: report.Tool{Name: "customs", Version: opts.Scan.Version}, CreatedAt: opts.now(),
		Target:  Target{Ref: "docker:" + c.Name, Kind: "container", ID: c.ID, Name: c.Name, State: c.State, Image: c.Image},
		Against: Against{Ref: against.String(), Kind: "image", ImageID: o.Base.Target.ImageID},
		Ignore:  opts.ignore(),
	}
	if opts.Against == "" {
		r.Against.Ref = "docker:" + c.Image
	}
	// The store's snapshot of the image, for the record: the image itself
	// (what the container started as, read by this customs) is the
	// reference while the engine has it.
	sr, err := opts.snapshotOf(ctx, r.Against.ImageID)
	if err != nil {
		return nil, err
	}
	if sr != nil {
		r.Against.Snapshot = sr.Snapshot
	}
	sev := opts.severities()
	r.files(up, o.BaseFS, ig, sev)
	r.inventories(o.Base, o.Top, sev, false)
	if o.Top.Secrets != nil {
		r.secrets(o.Top.Secrets, ig)
	}
	for _, p := range up.skipped {
		r.Warnings = append(r.Warnings, inventory.FileError{Path: p, Err: fmt.Sprintf("package records larger than %d bytes not read: integrity of its files unchecked", maxDBFile)})
	}
	r.Warnings = append(r.Warnings, up.unread...)
	for _, p := range up.unlayered {
		r.Warnings = append(r.Warnings, inventory.FileError{Path: abs(p), Err: "changed with its size, permissions, owner and time as the image's (found by its package's record): its content was not read for packages and secrets"})
	}
	r.Warnings = append(r.Warnings, o.Top.Warnings...)
	r.summarize()
	return r, nil
}

// fromSnapshot reports the drift of a container whose image the engine no
// longer has from the store's snapshot of that image: its changes are
// the engine's (changes), its inventory that of its whole export, read as
// one layer; the findings of changed packages are the drift's, as for a
// host, and files have no image entry to compare with.
func fromSnapshot(ctx context.Context, eng *engine, c Container, changes map[string]string, sr *store.StoredReport, opts Options) (*Report, error) {
	up := newUpper(changes)
	up.whole = true
	var wc *waitCloser
	open := func(ctx context.Context, _ *layerfs.FS) (io.ReadCloser, error) {
		body, err := eng.export(ctx, c.ID)
		if err != nil {
			return nil, err
		}
		pr, pw := io.Pipe()
		wc = &waitCloser{PipeReader: pr, done: make(chan error, 1)}
		go func() {
			err := up.run(ctx, body, pw)
			body.Close()
			pw.CloseWithError(err)
			wc.done <- err
		}()
		return wc, nil
	}
	sopts := opts.Scan
	sopts.Image.DockerHost = eng.c.Host
	o, err := scan.Overlay(ctx, target.Ref{}, open, sopts)
	if err != nil {
		if wc != nil {
			if e := <-wc.done; e != nil && !errors.Is(e, io.ErrClosedPipe) {
				return nil, fmt.Errorf("read container %s: %w", c.Name, e)
			}
		}
		return nil, err
	}
	r := &Report{
		SchemaVersion: SchemaVersion, Tool: report.Tool{Name: "customs", Version: opts.Scan.Version}, CreatedAt: opts.now(),
		Target: Target{Ref: "docker:" + c.Name, Kind: "container", ID: c.ID, Name: c.Name, State: c.State, Image: c.Image},
		Against: Against{Ref: "store:" + cmp.Or(sr.Subject.Name, sr.Subject.Digest), Kind: "snapshot", ImageID: c.ImageID,
			Snapshot: sr.Snapshot},
		Ignore: opts.ignore(),
	}
	sev, ig := opts.severities(), newIgnorer(opts.ignore())
	r.files(up, nil, ig, sev)
	r.inventories(sr.Report, o.Top, sev, true)
	if o.Top.Secrets != nil {
		// The whole filesystem was scanned: the secrets of written files.
		var written []report.Secret
		for _, s := range o.Top.Secrets {
			if k, ok := up.changes[strings.TrimPrefix(s.Path, "/")]; ok && k != Deleted {
				written = append(written, s)
			}
		}
		r.secrets(written, ig)
	}
	for _, p := range up.skipped {
		r.Warnings = append(r.Warnings, inventory.FileError{Path: p, Err: fmt.Sprintf("package records larger than %d bytes not read: integrity of its files unchecked", maxDBFile)})
	}
	r.Warnings = append(r.Warnings, up.unread...)
	for _, p := range up.unlayered {
		r.Warnings = append(r.Warnings, inventory.FileError{Path: abs(p), Err: "changed with its size, permissions, owner and time as the image's (found by its package's record): its content was not read for packages and secrets"})
	}
	r.Warnings = append(r.Warnings, o.Top.Warnings...)
	r.summarize()
	return r, nil
}

// waitCloser is the upper layer's stream: closing it stops the filter and
// waits for it, so no goroutine outlives the read.
type waitCloser struct {
	*io.PipeReader
	done chan error
	err  error
	shut bool
}

func (w *waitCloser) Close() error {
	if w.shut {
		return w.err
	}
	w.shut = true
	w.PipeReader.Close()
	err := <-w.done
	w.done <- err // Containers reads it again on failure
	if err != nil && !errors.Is(err, io.ErrClosedPipe) {
		w.err = err
	}
	return w.err
}

// files reports the changed paths of the export against the image's.
func (r *Report) files(up *upper, base *layerfs.FS, ig ignorer, sev map[string]string) {
	paths := slices.Sorted(maps.Keys(up.changes))
	for _, p := range paths {
		if ig.ignored(p) {
			r.Ignored++
			continue
		}
		change := up.changes[p]
		e := up.files[p]
		if change != Deleted && e == nil {
			r.Warnings = append(r.Warnings, inventory.FileError{Path: abs(p), Err: "changed but not in the export: it changed again while the export ran"})
			continue
		}
		img := imageFile(base, p)
		if e != nil && e.Mode.IsDir() && change != Deleted {
			continue // a directory is reported by what changed in it
		}
		f := File{Path: abs(p), Change: change, Image: img}
		if e != nil {
			f.Type, f.Mode, f.Size, f.Digest, f.Linkname = entryType(e.Mode, e.Hardlink), perm(e.Mode), e.Size, e.SHA256, e.Linkname
			if !e.Mode.IsRegular() || e.Hardlink {
				f.Size = 0
			}
		}
		var kinds []string
		var evidence []string
		if k, why := sensitive(p); k != "" {
			f.Sensitive = why
			kinds = append(kinds, k)
		}
		if own, ok := up.owners[p]; ok {
			f.Owner = &Owner{Package: own.Package, Manager: own.Manager, Algorithm: own.Algorithm, Digest: own.Digest}
			switch {
			case change == Deleted:
				f.Integrity = "missing"
				kinds = append(kinds, KindIntegrity)
				evidence = append(evidence, fmt.Sprintf("%s installed it (%s); it was deleted", own.Package, own.Manager))
			case e != nil && e.Mode.IsRegular() && !e.Hardlink:
				if own.matches(e) {
					f.Integrity = "ok"
				} else {
					f.Integrity = "mismatch"
					kinds = append(kinds, KindIntegrity)
					evidence = append(evidence, fmt.Sprintf("%s %s recorded by %s for %s; content has %s %s", own.Algorithm, own.Digest, own.Manager, own.Package, own.Algorithm, own.digestOf(e)))
				}
			}
		}
		if up.byTime[p] && f.Integrity == "ok" {
			continue // written again with the content its package installed
		}
		if e != nil && e.Exec != "" && change != Deleted && f.Integrity != "ok" {
			newExec := change == Added || e.Exec == "elf" || e.Exec == "script" ||
				(img != nil && !strings.ContainsAny(img.Mode[len(img.Mode)-3:], "1357"))
			if newExec {
				f.Executable = e.Exec
				kinds = append(kinds, KindExecutable)
			}
		}
		switch change {
		case Added:
			kinds = append(kinds, KindFileAdded)
		case Changed:
			kinds = append(kinds, KindFileChanged)
		case Deleted:
			kinds = append(kinds, KindFileDeleted)
		}
		f.Kind = worst(kinds, sev)
		f.Severity = sev[f.Kind]
		if f.Digest != "" {
			evidence = append(evidence, "content "+f.Digest)
		}
		if img != nil && img.Digest != "" {
			evidence = append(evidence, "image "+img.Digest)
		}
		r.Files = append(r.Files, f)
		r.Drift = append(r.Drift, Item{Kind: f.Kind, Severity: f.Severity, Subject: f.Path, Title: fileTitle(f), Evidence: evidence})
	}
	if r.Files == nil {
		r.Files = []File{}
	}
}

// worst is the kind of kinds with the highest severity (the first on a tie).
func worst(kinds []string, sev map[string]string) string {
	best := kinds[0]
	for _, k := range kinds[1:] {
		if severityRank(sev[k]) > severityRank(sev[best]) {
			best = k
		}
	}
	return best
}

func fileTitle(f File) string {
	var b strings.Builder
	b.WriteString(f.Path)
	b.WriteString(" ")
	b.WriteString(f.Change)
	switch {
	case f.Integrity == "mismatch":
		fmt.Fprintf(&b, ": no longer what %s package %s installed", f.Owner.Manager, f.Owner.Package)
	case f.Integrity == "missing":
		fmt.Fprintf(&b, ": %s package %s installed it", f.Owner.Manager, f.Owner.Package)
	}
	if f.Executable != "" {
		fmt.Fprintf(&b, "; a new executable (%s)", f.Executable)
	}
	if f.Sensitive != "" {
		fmt.Fprintf(&b, " (%s)", f.Sensitive)
	}
	return b.String()
}

// imageFile is p as the image has it, or nil.
func imageFile(base *layerfs.FS, p string) *ImageFile {
	if base == nil {
		return nil
	}
	fi, err := base.Lstat(p)
	if err != nil {
		return nil
	}
	e, _ := fi.Sys().(layerfs.Entry)
	img := &ImageFile{Type: entryType(fi.Mode(), e.Hardlink), Mode: perm(fi.Mode()), Size: fi.Size(), Linkname: e.Linkname}
	if fi.Mode().IsRegular() {
		if data, err := base.Bytes(p); err == nil {
			sum := sha256.Sum256(data)
			img.Digest = "sha256:" + hex.EncodeToString(sum[:])
		}
	}
	return img
}

// inventories compares the image's packages and findings with the
// target's; with changedOnly, a finding is the drift's only when its
// package was added or changed (removed or changed, for a resolved one).
func (r *Report) inventories(base, top *report.Report, sev map[string]string, changedOnly bool) {
	r.Packages = diffPackages(base.Packages, top.Packages)
	for _, p := range r.Packages.Added {
		r.Drift = append(r.Drift, Item{Kind: KindPackageAdded, Severity: sev[KindPackageAdded], Subject: p.Name + "@" + p.Version,
			Title: fmt.Sprintf("%s package %s %s installed", p.Type, p.Name, p.Version), Evidence: []string{p.PURL, abs(p.Path)}})
	}
	for _, p := range r.Packages.Removed {
		r.Drift = append(r.Drift, Item{Kind: KindPackageRemoved, Severity: sev[KindPackageRemoved], Subject: p.Name + "@" + p.Version,
			Title: fmt.Sprintf("%s package %s %s removed", p.Type, p.Name, p.Version), Evidence: []string{p.PURL}})
	}
	for _, c := range r.Packages.Changed {
		r.Drift = append(r.Drift, Item{Kind: KindPackageChanged, Severity: sev[KindPackageChanged], Subject: c.Name + "@" + c.To,
			Title: fmt.Sprintf("%s package %s changed from %s to %s", c.Type, c.Name, c.From, c.To), Evidence: []string{c.PURL}})
	}
	r.Findings, r.Resolved = diffFindings(base.Findings, top.Findings), diffFindings(top.Findings, base.Findings)
	if changedOnly {
		r.Findings = ofPackages(r.Findings, r.Packages.Added, r.Packages.Changed, false)
		r.Resolved = ofPackages(r.Resolved, r.Packages.Removed, r.Packages.Changed, true)
	}
	for _, f := range r.Findings {
		r.Drift = append(r.Drift, Item{Kind: KindVulnerability, Severity: cmp0(f.Severity), Subject: f.VulnerabilityID,
			Title: fmt.Sprintf("%s in %s %s, brought in by the drift", f.VulnerabilityID, f.PackageName, f.PackageVersion), Evidence: []string{f.PURL}})
	}
}

func cmp0(s string) string {
	if s == "" {
		return "UNKNOWN"
	}
	return s
}

// secrets reports the secrets in files the target wrote.
func (r *Report) secrets(found []report.Secret, ig ignorer) {
	r.Secrets = []report.Secret{}
	for _, s := range found {
		if !s.StillPresent || ig.ignored(s.Path) {
			continue
		}
		s.Path = abs(s.Path)
		r.Secrets = append(r.Secrets, s)
		r.Drift = append(r.Drift, Item{Kind: KindSecret, Severity: cmp0(s.Severity), Subject: s.Path,
			Title: fmt.Sprintf("secret (%s) written to %s line %d", s.Rule, s.Path, s.Line), Evidence: []string{s.Match}})
	}
}

// pkgKey groups the copies of one package.
func pkgKey(p inventory.Package) string { return p.Type + "\x00" + p.Name + "\x00" + p.Arch }

// diffPackages pairs the packages of base and top by type, name and
// architecture: versions in both are unchanged, the rest pair up as
// changes, and what is left was added or removed.
func diffPackages(base, top []inventory.Package) PackageDrift {
	group := func(ps []inventory.Package) map[string][]inventory.Package {
		m := map[string][]inventory.Package{}
		for _, p := range ps {
			m[pkgKey(p)] = append(m[pkgKey(p)], p)
		}
		return m
	}
	b, t := group(base), group(top)
	d := PackageDrift{Added: []Package{}, Removed: []Package{}, Changed: []PackageChange{}}
	for _, k := range slices.Sorted(maps.Keys(b)) {
		olds, news := b[k], t[k]
		olds, news = unmatched(olds, news), unmatched(news, olds)
		n := min(len(olds), len(news))
		for i := range n {
			d.Changed = append(d.Changed, PackageChange{Name: news[i].Name, Type: news[i].Type, From: olds[i].Version, To: news[i].Version, PURL: news[i].PURL, Path: firstPath(news[i])})
		}
		for _, p := range olds[n:] {
			d.Removed = append(d.Removed, pkgOf(p))
		}
		for _, p := range news[n:] {
			d.Added = append(d.Added, pkgOf(p))
		}
	}
	for _, k := range slices.Sorted(maps.Keys(t)) {
		if _, ok := b[k]; !ok {
			for _, p := range t[k] {
				d.Added = append(d.Added, pkgOf(p))
			}
		}
	}
	return d
}

// unmatched returns the packages of a whose version none of b has (each
// of b's copies matching one of a's).
func unmatched(a, b []inventory.Package) []inventory.Package {
	left := map[string]int{}
	for _, p := range b {
		left[p.Version]++
	}
	var out []inventory.Package
	for _, p := range a {
		if left[p.Version] > 0 {
			left[p.Version]--
			continue
		}
		out = append(out, p)
	}
	sort.SliceStable(out, func(i, j int) bool { return firstPath(out[i]) < firstPath(out[j]) })
	return out
}

func firstPath(p inventory.Package) string {
	if len(p.Locations) > 0 {
		return p.Locations[0].Path
	}
	return ""
}

func pkgOf(p inventory.Package) Package {
	return Package{Name: p.Name, Version: p.Version, Type: p.Type, PURL: p.PURL, Path: firstPath(p)}
}

// diffFindings returns the findings of b that a does not have, by
// vulnerability and package.
func diffFindings(a, b []report.Finding) []report.Finding {
	key := func(f report.Finding) string {
		return f.VulnerabilityID + "\x00" + f.PackageType + "\x00" + f.PackageName + "\x00" + f.PackageVersion
	}
	have := map[string]bool{}
	for _, f := range a {
		have[key(f)] = true
	}
	out := []report.Finding{}
	for _, f := range b {
		if !have[key(f)] && report.Affects(f.Status) {
			out = append(out, f)
		}
	}
	return out
}

// Host reports the drift of a root filesystem (a host, a VM built from an
// image) from the image Options.Against or, without one, from the host's
// last snapshot in Options.Store (the host found by its machine-id):
// packages installed, removed and changed, the findings they brought in,
// and secrets the baseline does not hold. Files are not compared one by
// one: a root filesystem has no record of its changes to read.
func Host(ctx context.Context, t target.Ref, opts Options) (*Report, error) {
	root := t.Name
	hostname := ""
	if filepath.Clean(root) == "/" {
		hostname, _ = os.Hostname()
	}
	id, idErr := store.HostOf(os.DirFS(root), hostname)
	sopts := opts.Scan
	sopts.Gate = nil
	sopts.Image.DockerHost = opts.DockerHost
	var (
		base    *report.Report
		against Against
	)
	switch {
	case opts.Against != "":
		a := target.Parse(opts.Against)
		b, err := scan.Run(ctx, a, sopts)
		if err != nil {
			return nil, fmt.Errorf("scan %s: %w", opts.Against, err)
		}
		base, against = b, Against{Ref: a.String(), Kind: "image", ImageID: b.Target.ImageID}
	case opts.Store == nil:
		return nil, errors.New("a host is compared with an image or with its last snapshot in a store: give the image to compare with, or the store")
	case idErr != nil:
		return nil, fmt.Errorf("compare %s with its last snapshot: %w", t, idErr)
	default:
		sr, err := opts.snapshotOf(ctx, id.MachineID)
		if err != nil {
			return nil, err
		}
		if sr == nil {
			return nil, fmt.Errorf("the store holds no snapshot of host %s (machine-id %s): record one with customs scan %s and a store, or compare with an image", cmp.Or(id.Hostname, "?"), id.MachineID, t)
		}
		if sr.Subject.Kind != store.KindHost {
			return nil, fmt.Errorf("the store's subject %s is a %s, not a host", id.MachineID, sr.Subject.Kind)
		}
		base = sr.Report
		against = Against{Ref: "store:" + cmp.Or(sr.Subject.Name, sr.Subject.Digest), Kind: "snapshot", Snapshot: sr.Snapshot}
	}
	top, err := scan.Run(ctx, t, sopts)
	if err != nil {
		return nil, err
	}
	r := &Report{
		SchemaVersion: SchemaVersion, Tool: report.Tool{Name: "customs", Version: opts.Scan.Version}, CreatedAt: opts.now(),
		Target:  Target{Ref: t.String(), Kind: "host"},
		Against: against,
		Files:   []File{}, Ignore: opts.ignore(),
	}
	if id != nil {
		r.Target.ID, r.Target.Name = id.MachineID, id.Hostname
	}
	sev := opts.severities()
	// A snapshot's findings were matched against the DB of its day: only
	// the findings of packages that changed are the drift's.
	r.inventories(base, top, sev, against.Kind == "snapshot")
	if top.Secrets != nil {
		have := map[string]bool{}
		for _, s := range base.Secrets {
			have[s.Rule+"\x00"+s.Path+"\x00"+s.Match] = true
		}
		var fresh []report.Secret
		for _, s := range top.Secrets {
			if s.Source == "file" && !have[s.Rule+"\x00"+s.Path+"\x00"+s.Match] {
				fresh = append(fresh, s)
			}
		}
		r.secrets(fresh, newIgnorer(r.Ignore))
	}
	r.Warnings = top.Warnings
	r.summarize()
	return r, nil
}

// ofPackages keeps the findings of the packages listed (by type, name and
// version; of a change its new version, or with old its old one).
func ofPackages(fs []report.Finding, pkgs []Package, changed []PackageChange, old bool) []report.Finding {
	key := func(typ, name, version string) string { return typ + "\x00" + name + "\x00" + version }
	in := map[string]bool{}
	for _, p := range pkgs {
		in[key(p.Type, p.Name, p.Version)] = true
	}
	for _, c := range changed {
		v := c.To
		if old {
			v = c.From
		}
		in[key(c.Type, c.Name, v)] = true
	}
	out := []report.Finding{}
	for _, f := range fs {
		if in[key(f.PackageType, f.PackageName, f.PackageVersion)] {
			out = append(out, f)
		}
	}
	return out
}
