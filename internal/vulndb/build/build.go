// Package build builds a vulnerability DB file from feed files on disk: it
// runs each feed's importer into a sqlite.Writer and commits the result
// atomically over the target path.
package build

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/customs-scanner/customs/internal/atomicfile"
	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/customs-scanner/customs/internal/vulndb/feeds/alpine"
	"github.com/customs-scanner/customs/internal/vulndb/feeds/debian"
	"github.com/customs-scanner/customs/internal/vulndb/feeds/epss"
	"github.com/customs-scanner/customs/internal/vulndb/feeds/friendsofphp"
	"github.com/customs-scanner/customs/internal/vulndb/feeds/kev"
	"github.com/customs-scanner/customs/internal/vulndb/feeds/nvd"
	"github.com/customs-scanner/customs/internal/vulndb/feeds/osv"
	"github.com/customs-scanner/customs/internal/vulndb/feeds/redhat"
	"github.com/customs-scanner/customs/internal/vulndb/feeds/rubysec"
	"github.com/customs-scanner/customs/internal/vulndb/feeds/rustsec"
	"github.com/customs-scanner/customs/internal/vulndb/feeds/ubuntu"
	"github.com/customs-scanner/customs/internal/vulndb/sqlite"
)

// Source is one feed to import: a kind (see Kinds) and a file or directory.
type Source struct {
	Kind string
	Path string
	// Keep marks a source kept from a previous DB rather than refreshed:
	// it only adds what the sources before it did not (an advisory's
	// records for a package, a KEV entry), so a stale local copy never
	// contradicts a fresh feed of its kind. Build imports kept sources
	// after the others.
	Keep bool
	// From, when set, is the previous DB file that held this source. If
	// Path is gone or cannot be imported, the records of Kind are copied
	// from From instead (as a kept source), so a rebuild never loses a
	// source it could not read again.
	From string
}

// String returns the CLI form KIND=PATH.
func (s Source) String() string { return s.Kind + "=" + s.Path }

// sink is what a build offers importers: advisories, KEV entries and EPSS
// scores.
type sink interface {
	vulndb.Sink
	vulndb.KEVSink
	vulndb.EPSSSink
}

// importFunc is the shape every feed importer has: it adds records read
// from path to sink and returns how many it added.
type importFunc func(ctx context.Context, path string, sink sink) (int, error)

// advisories adapts an advisory importer.
func advisories(f func(context.Context, string, vulndb.Sink) (int, error)) importFunc {
	return func(ctx context.Context, path string, s sink) (int, error) { return f(ctx, path, s) }
}

type kind struct {
	name, input string
	run         importFunc
}

var kinds = []kind{
	{"debian-tracker", "FILE: the Debian Security Tracker JSON export", advisories(debian.ImportTrackerJSON)},
	{"debian-lists", "DIR: a security-tracker checkout's data/ directory", advisories(debian.ImportLists)},
	{"alpine-secdb", "DIR|FILE: Alpine secdb YAML or JSON documents", advisories(alpine.Import)},
	{"osv", "FILE|DIR|ZIP: OSV records (JSON, or YAML in a DIR), e.g. osv.dev's all.zip", advisories(osv.Import)},
	{"ubuntu-tracker", "DIR: an Ubuntu CVE Tracker checkout (active/, retired/, ignored/)", advisories(ubuntu.Import)},
	{"redhat-csaf", "DIR|FILE: Red Hat CSAF VEX documents", advisories(redhat.Import)},
	{"nvd", "FILE|DIR: NVD CVE API 2.0 JSON pages or CVE records (.json, .json.gz, .zip)", advisories(nvd.Import)},
	{"kev", "FILE: CISA's Known Exploited Vulnerabilities catalog (JSON or CSV)", func(ctx context.Context, p string, s sink) (int, error) { return kev.Import(ctx, p, s) }},
	{"epss", "FILE: the daily EPSS scores CSV (plain or .gz)", func(ctx context.Context, p string, s sink) (int, error) { return epss.Import(ctx, p, s) }},
	{"rubysec", "DIR: a ruby-advisory-db checkout (gems/, rubies/)", advisories(rubysec.Import)},
	{"friendsofphp", "DIR: a FriendsOfPHP security-advisories checkout", advisories(friendsofphp.Import)},
	{"rustsec", "DIR: a RustSec advisory-db checkout (crates/, rust/)", advisories(rustsec.Import)},
}

// Kinds returns the source kinds Build accepts, with what each reads, as
// "kind (INPUT: description)" lines.
func Kinds() []string {
	out := make([]string, 0, len(kinds))
	for _, k := range kinds {
		out = append(out, fmt.Sprintf("%s (%s)", k.name, k.input))
	}
	return out
}

func kindNames() string {
	names := make([]string, 0, len(kinds))
	for _, k := range kinds {
		names = append(names, k.name)
	}
	return strings.Join(names, ", ")
}

func lookup(name string) (kind, bool) {
	i := slices.IndexFunc(kinds, func(k kind) bool { return k.name == name })
	if i < 0 {
		return kind{}, false
	}
	return kinds[i], true
}

// ParseSource parses the CLI syntax KIND=PATH, e.g. "osv=./all.zip".
func ParseSource(s string) (Source, error) {
	k, p, ok := strings.Cut(s, "=")
	k, p = strings.TrimSpace(k), strings.TrimSpace(p)
	if !ok || k == "" || p == "" {
		return Source{}, fmt.Errorf("source %q: want KIND=PATH, where KIND is one of %s", s, kindNames())
	}
	if _, ok := lookup(k); !ok {
		return Source{}, fmt.Errorf("source %q: unknown kind %q; valid kinds: %s", s, k, kindNames())
	}
	return Source{Kind: k, Path: p}, nil
}

// countingSink passes records to a Writer and remembers whether the
// Writer failed, which makes an importer's error fatal. With seen set it
// notes what it adds, and with keep also leaves out what was added before.
type countingSink struct {
	w    *sqlite.Writer
	err  error
	seen *seen
	keep bool
	// skipped counts records left out as already added.
	skipped int
}

func (s *countingSink) Add(ctx context.Context, a *vulndb.Advisory) error {
	if s.seen != nil {
		if a = s.seen.advisory(a, s.keep); a == nil {
			s.skipped++
			return nil
		}
	}
	return s.note(s.w.Add(ctx, a))
}

func (s *countingSink) AddKEV(ctx context.Context, k vulndb.KEV) error {
	if s.seen != nil && !s.seen.kev(k.CVE, s.keep) {
		s.skipped++
		return nil
	}
	return s.note(s.w.AddKEV(ctx, k))
}

func (s *countingSink) AddEPSS(ctx context.Context, e vulndb.EPSS) error {
	// Of several scores of a CVE the Writer keeps the newest.
	return s.note(s.w.AddEPSS(ctx, e))
}

func (s *countingSink) note(err error) error {
	if err != nil && s.err == nil {
		s.err = err
	}
	return err
}

// maxLoggedWarnings bounds how many of an importer's record errors are logged.
const maxLoggedWarnings = 20

// Build imports sources, in order, into a new DB and renames it over dbPath
// when all went well; on any error dbPath is left as it was. dbPath's
// directory is created if needed. It returns the new DB's Info.
//
// An importer's error stops the build when the DB could not take an
// advisory, ctx was cancelled, or the importer added nothing from that
// source. Otherwise the error only reports records the importer skipped, or
// imported without a part it could not read (an OSV record's bad CVSS vector;
// all importers join per-record errors beside their count): Build logs
// them as warnings and goes on.
func Build(ctx context.Context, dbPath string, sources []Source, log *slog.Logger) (vulndb.Info, error) {
	r, err := Rebuild(ctx, dbPath, sources, log)
	return r.Info, err
}

// Result is what Rebuild made.
type Result struct {
	Info vulndb.Info
	// Copied are the sources whose records were copied from their previous
	// DB (Source.From) because their path was gone or could not be
	// imported, with why.
	Copied []Copied
}

// Copied is a source carried over from a previous DB.
type Copied struct {
	Source Source
	// Why is why its path was not imported.
	Why error
}

// Rebuild is Build for sources that may be kept from a previous DB (see
// Source.Keep and Source.From); it says which were copied from it.
func Rebuild(ctx context.Context, dbPath string, sources []Source, log *slog.Logger) (Result, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if len(sources) == 0 {
		return Result{}, fmt.Errorf("build vulnerability DB: no sources; give one or more of %s", kindNames())
	}
	for _, s := range sources {
		if _, ok := lookup(s.Kind); !ok {
			return Result{}, fmt.Errorf("build vulnerability DB: source %s: unknown kind %q; valid kinds: %s", s, s.Kind, kindNames())
		}
	}
	// Fresh sources first: kept ones only fill in what they lack.
	sources = slices.Clone(sources)
	slices.SortStableFunc(sources, func(a, b Source) int {
		switch {
		case a.Keep == b.Keep:
			return 0
		case a.Keep:
			return 1
		}
		return -1
	})
	if err := os.MkdirAll(filepath.Dir(dbPath), 0o755); err != nil {
		return Result{}, fmt.Errorf("build vulnerability DB: %w", err)
	}
	RemoveStale(dbPath, log)
	w, err := sqlite.Create(ctx, dbPath)
	if err != nil {
		return Result{}, err
	}
	defer w.Abort() // no-op after Commit
	b := &builder{w: w, log: log, prev: map[string]*sqlite.DB{}}
	defer b.closePrev()
	if slices.ContainsFunc(sources, func(s Source) bool { return s.Keep || s.From != "" }) {
		b.seen = newSeen()
	}
	var (
		res    Result
		failed []SourceError
	)
	// Sources that cannot be imported but have a previous DB are copied
	// from it last, as kept sources.
	var toCopy []Copied
	for _, s := range sources {
		fatal, err := b.importSource(ctx, s)
		if err != nil && !fatal && s.From != "" {
			log.Warn("source not imported; its records will be copied from the previous DB", "source", s.String(), "error", err)
			toCopy = append(toCopy, Copied{Source: s, Why: err})
			continue
		}
		if err == nil {
			continue
		}
		if fatal || len(sources) == 1 {
			return Result{}, fmt.Errorf("build vulnerability DB: %w", err)
		}
		log.Error("source not imported; the DB is built from the others", "source", s.String(), "error", err)
		failed = append(failed, SourceError{Source: s, Err: err})
	}
	for _, c := range toCopy {
		fatal, err := b.copySource(ctx, c.Source)
		if err == nil {
			res.Copied = append(res.Copied, c)
			continue
		}
		if fatal {
			return Result{}, fmt.Errorf("build vulnerability DB: %w", err)
		}
		err = fmt.Errorf("%w; and copying it from the previous DB: %w", c.Why, err)
		log.Error("source not imported; the DB is built from the others", "source", c.Source.String(), "error", err)
		failed = append(failed, SourceError{Source: c.Source, Err: err})
	}
	if len(failed) == len(sources) {
		errs := make([]error, len(failed))
		for i, f := range failed {
			errs[i] = f.Err
		}
		return Result{}, fmt.Errorf("build vulnerability DB: no source could be imported: %w", errors.Join(errs...))
	}
	b.closePrev()
	if err := w.Commit(ctx); err != nil {
		return Result{}, err
	}
	db, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		return Result{}, fmt.Errorf("build vulnerability DB: reopen: %w", err)
	}
	defer db.Close()
	res.Info, err = db.Info(ctx)
	if err != nil {
		return res, err
	}
	if len(failed) > 0 {
		return res, &PartialError{Failed: failed}
	}
	return res, nil
}

// SourceError is a source that could not be imported at all.
type SourceError struct {
	Source Source
	Err    error
}

// PartialError is returned beside a DB that was built and installed when
// some sources could not be imported at all (a corrupt or missing feed
// file): the DB holds the other sources. Callers decide whether that is a
// failure.
type PartialError struct {
	Failed []SourceError
}

func (e *PartialError) Error() string {
	parts := make([]string, len(e.Failed))
	for i, f := range e.Failed {
		parts[i] = f.Err.Error()
	}
	return fmt.Sprintf("%d of the sources could not be imported and are missing from the DB: %s", len(e.Failed), strings.Join(parts, "; "))
}

// builder is one build in progress.
type builder struct {
	w   *sqlite.Writer
	log *slog.Logger
	// seen is what the build added so far, kept when some source only
	// fills in (Source.Keep); nil otherwise.
	seen *seen
	// prev holds the previous DBs opened to copy sources from, by path;
	// copied is which (DB, kind) pairs were copied already.
	prev   map[string]*sqlite.DB
	copied map[[2]string]bool
}

func (b *builder) closePrev() {
	for p, db := range b.prev {
		db.Close()
		delete(b.prev, p)
	}
}

// importSource imports one source. fatal says the build cannot go on (the
// DB refused a write, or ctx ended); otherwise an error means this source
// could not be imported at all.
func (b *builder) importSource(ctx context.Context, s Source) (fatal bool, err error) {
	if s.From != "" {
		if _, err := os.Stat(s.Path); err != nil {
			return false, fmt.Errorf("source %s: %w", s, err)
		}
	}
	k, _ := lookup(s.Kind)
	return b.run(ctx, s, s.Keep, time.Time{}, k.run)
}

// copySource copies the records of s.Kind from the previous DB s.From,
// recording the source with its previous import time. Records of the kind
// that the build already has are not copied again.
func (b *builder) copySource(ctx context.Context, s Source) (fatal bool, err error) {
	db := b.prev[s.From]
	if db == nil {
		if db, err = sqlite.Open(ctx, s.From); err != nil {
			return false, fmt.Errorf("source %s: previous DB: %w", s, err)
		}
		b.prev[s.From] = db
	}
	info, err := db.Info(ctx)
	if err != nil {
		return false, fmt.Errorf("source %s: previous DB: %w", s, err)
	}
	i := slices.IndexFunc(info.Sources, func(p vulndb.SourceInfo) bool { return p.Kind == s.Kind && p.Path == s.Path })
	if i < 0 {
		return false, fmt.Errorf("source %s: the previous DB %s does not hold it", s, s.From)
	}
	key := [2]string{s.From, s.Kind}
	if b.copied == nil {
		b.copied = map[[2]string]bool{}
	}
	once := !b.copied[key]
	b.copied[key] = true
	return b.run(ctx, s, true, info.Sources[i].Imported, func(ctx context.Context, _ string, sk sink) (int, error) {
		if !once { // another source of this kind copied them all
			return 0, nil
		}
		return copyKind(ctx, db, s.Kind, sk)
	})
}

// copyKind adds every record of one source kind in db to sk.
func copyKind(ctx context.Context, db *sqlite.DB, kind string, sk sink) (int, error) {
	n := 0
	switch kind {
	case "kev":
		kevs, err := db.KEVs(ctx)
		if err != nil {
			return 0, err
		}
		for _, k := range kevs {
			if err := sk.AddKEV(ctx, k); err != nil {
				return n, err
			}
			n++
		}
		return n, nil
	case "epss":
		err := db.EachEPSS(ctx, func(e vulndb.EPSS) error {
			n++
			return sk.AddEPSS(ctx, e)
		})
		return n, err
	}
	err := db.Advisories(ctx, kind, func(a *vulndb.Advisory) error {
		n++
		return sk.Add(ctx, a)
	})
	return n, err
}

// run runs one importer. keep makes its records only fill in (see
// Source.Keep); imported, when set, is the import time to record.
func (b *builder) run(ctx context.Context, s Source, keep bool, imported time.Time, run importFunc) (fatal bool, err error) {
	w, log := b.w, b.log
	start := time.Now()
	advBefore, affBefore := w.Counts()
	sink := &countingSink{w: w, seen: b.seen, keep: keep}
	n, err := run(ctx, s.Path, sink)
	switch {
	case sink.err != nil:
		return true, fmt.Errorf("source %s: %w", s, err)
	case ctx.Err() != nil:
		return true, fmt.Errorf("source %s: %w", s, ctx.Err())
	case err != nil && n == 0:
		return false, fmt.Errorf("source %s: %w", s, err)
	case err != nil:
		warnings := leaves(err)
		log.Warn("records skipped or imported in part", "source", s.String(), "count", len(warnings))
		for i, e := range warnings {
			if i == maxLoggedWarnings {
				log.Warn("more record warnings not shown", "source", s.String(), "count", len(warnings)-i)
				break
			}
			log.Warn("record warning", "source", s.String(), "error", e.Error())
		}
	}
	advAfter, affAfter := w.Counts()
	if imported.IsZero() {
		imported = time.Now().UTC()
	}
	info := vulndb.SourceInfo{
		Kind: s.Kind, Path: s.Path,
		Advisories: advAfter - advBefore, Affected: affAfter - affBefore,
		Imported: imported,
	}
	if info.Advisories == 0 && n > 0 {
		// KEV and EPSS add records that are not advisories.
		info.Advisories = n - sink.skipped
	}
	w.AddSource(info)
	if n == 0 {
		log.Warn("source has no advisories", "source", s.String())
	}
	log.Debug("imported source", "source", s.String(), "added", n, "skipped as already added", sink.skipped,
		"advisories", info.Advisories, "affected", info.Affected, "took", time.Since(start).Round(time.Millisecond))
	return false, nil
}

// leaves flattens errors.Join trees (also under fmt.Errorf("...: %w")) into
// the individual errors.
func leaves(err error) []error {
	switch u := err.(type) {
	case interface{ Unwrap() []error }:
		var out []error
		for _, e := range u.Unwrap() {
			out = append(out, leaves(e)...)
		}
		return out
	case interface{ Unwrap() error }:
		if inner := u.Unwrap(); inner != nil {
			if _, ok := inner.(interface{ Unwrap() []error }); ok {
				return leaves(inner)
			}
		}
	}
	return []error{err}
}

// RemoveStale removes the temporary files that builds of dbPath killed
// before they could clean up left beside it (sqlite.Create names them
// .NAME.*.tmp); live builds' files are left alone (see
// atomicfile.RemoveStale). Every build calls it; so does db update when
// it has nothing to build.
func RemoveStale(dbPath string, log *slog.Logger) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	dir, base := filepath.Split(dbPath)
	if dir == "" {
		dir = "."
	}
	for _, p := range atomicfile.RemoveStale(dir, "."+base+".*.tmp") {
		log.Warn("removed a leftover of an interrupted build", "file", p)
	}
}
