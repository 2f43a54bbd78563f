// Package scan is the pipeline: open an image, analyse its layers once
// (or take verified results from the layer cache), build the inventory,
// match it against the vulnerability DB and return the report.
package scan

import (
	"cmp"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"maps"
	"time"

	auditimage "github.com/customs-scanner/customs/internal/audit/image"
	"github.com/customs-scanner/customs/internal/audit/secrets"
	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/image"
	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/layerfs"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/sbom"
	"github.com/customs-scanner/customs/internal/target"
	"github.com/customs-scanner/customs/internal/vulndb/cvss"
)

// Options configure one scan: loaded data, so a server can hold them in
// memory and run many scans with them.
type Options struct {
	// DBPath is the vulnerability DB; empty means inventory only (no
	// findings). Installing a DB (vulndb/dist, vulndb/update) is a
	// pipeline of its own, which a front end runs first when it must.
	DBPath string
	// DBMaxAge is how old the DB may be before Run tells Handler.StaleDB;
	// 0 means DefaultDBMaxAge.
	DBMaxAge time.Duration
	// CacheDir holds the layer cache; empty disables caching.
	CacheDir string
	Image    image.Options
	// IncludeNotAffected keeps not-affected findings in the report.
	IncludeNotAffected bool
	// KeepOwned also lists (and matches) language packages whose files an
	// OS package owns; by default they are reported as part of their owner.
	// Components compiled into an OS package's binaries (Go modules, Rust
	// crates, a static OpenSSL) are listed and matched either way.
	KeepOwned bool
	// Gate, if set, filters the report and decides its verdict (Judge);
	// nil reports everything and decides nothing.
	Gate *Gate
	// Logger receives debug information; nil discards it.
	Logger *slog.Logger
	// Handler, if set, is told about progress and what a person should
	// know while the scan runs.
	Handler Handler
	// Now is the clock (tests inject it); nil means time.Now.
	Now func() time.Time
	// Version is the tool version written into the report.
	Version string
	// Secrets scans every layer's files (deleted ones too) and the config
	// for secrets, with SecretRules, or secrets.DefaultRules when nil
	// (secrets.LoadRules and ParseRules read a rules config).
	Secrets     bool
	SecretRules []secrets.Rule
	// Config checks the image configuration (and Dockerfile, when given)
	// for isolation and hygiene problems.
	Config     bool
	Dockerfile []byte
	// SkipDirs and SkipFiles are globs (layerfs.SkipRule) of directories
	// and files passed over in every layer and root filesystem, as well as
	// the image's Skip of a root filesystem; Report.Skipped lists them.
	SkipDirs, SkipFiles []string
}

func (o Options) now() func() time.Time {
	if o.Now != nil {
		return o.Now
	}
	return time.Now
}

func (o Options) handler() Handler {
	if o.Handler != nil {
		return o.Handler
	}
	return discard{}
}

// inspect reads the target and matches its inventory: the report before
// the gate.
func inspect(ctx context.Context, t target.Ref, opts Options) (*report.Report, error) {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	now := opts.now()
	ref := t.String()
	if t.Kind == target.SBOM {
		return scanSBOM(ctx, t.Name, opts, now)
	}
	src, err := image.OpenRef(ctx, t, opts.Image)
	if err != nil {
		return nil, err
	}
	defer src.Close()

	a := analyserFor(opts, log)
	defer a.flush()
	exts, sec := a.exts, a.sec
	var key string
	if id := src.Identity(); id != "" && a.cache != nil {
		key = a.inspectedKey(id, ref, opts)
		if r, wait, ok := a.inspected(key); ok {
			log.Debug("analysis cache hit for source identity", "packages", len(r.Packages))
			r.Tool.Version, r.CreatedAt = opts.Version, now().UTC()
			if err := a.match(ctx, key, r, opts); err != nil {
				return nil, err
			}
			if wait() {
				r.Summarize()
				return r, nil
			}
			log.Debug("cached analysis without its owned packages: reading the layers")
		}
	}
	meta, scans, err := a.load(ctx, src)
	if err != nil {
		return nil, err
	}
	layers := make([]*layerfs.Layer, len(scans))
	found := make([]*secrets.LayerResult, len(scans))
	for i, sc := range scans {
		layers[i], found[i] = sc.layer, sc.secrets
	}

	infos := make([]extract.LayerInfo, len(layers))
	for i := range layers {
		if i < len(meta.Layers) {
			infos[i] = extract.LayerInfo{DiffID: layers[i].DiffID, CreatedBy: meta.Layers[i].CreatedBy}
		}
	}
	inv, err := extract.Run(ctx, layers, infos, exts, extract.Options{KeepOwned: opts.KeepOwned})
	if err != nil {
		return nil, err
	}

	// Files served the ownership of packages (extract.Run); the report
	// does not carry them, so a cached analysis gives the same report.
	for _, pkgs := range [][]inventory.Package{inv.Packages, inv.Owned} {
		for i := range pkgs {
			pkgs[i].Files = nil
		}
	}
	r := newReport(reportTarget(ref, meta, infos), inv.Packages, inv.OS, opts, now)
	r.Warnings = inv.Errors
	r.Skipped = skipped(scans, infos)
	r.Owned = inv.Owned
	r.Relationships = inv.Relationships
	// Matching reads only the packages and sets the findings, coverage
	// and DB block (Rematcher.match): it runs on a copy of the report,
	// on the other core, while the audit reads the final filesystem and
	// the analysis is cached.
	m := *r
	matched := make(chan error, 1)
	go func() { matched <- a.match(ctx, key, &m, opts) }()
	if opts.Secrets || opts.Config {
		audit(r, meta, found, infos, inv.FS, sec, opts)
	}
	if key != "" {
		a.putInspected(key, r)
	}
	if err := <-matched; err != nil {
		return nil, err
	}
	r.DB, r.Coverage, r.Findings = m.DB, m.Coverage, m.Findings
	r.Summarize()
	return r, nil
}

// matched matches r's packages and summarises it.
func matched(ctx context.Context, r *report.Report, opts Options) (*report.Report, error) {
	if err := matchReport(ctx, r, opts); err != nil {
		return nil, err
	}
	r.Summarize()
	return r, nil
}

// analyserFor returns the analyser of a scan with opts: the extractors,
// the secret scanner when opts.Secrets, the layer cache when opts.CacheDir
// opens, and the skip rules.
func analyserFor(opts Options, log *slog.Logger) *analyser {
	var sec *secrets.Scanner
	if opts.Secrets {
		rules := opts.SecretRules
		if rules == nil {
			rules = secrets.DefaultRules()
		}
		sec = secrets.New(rules)
	}
	var cache *layerfs.Cache
	if opts.CacheDir != "" {
		var err error
		if cache, err = layerfs.OpenCache(opts.CacheDir); err != nil {
			log.Warn("layer cache disabled", "err", err)
			cache = nil
		}
	}
	var build string
	if cache != nil {
		var err error
		if build, err = buildID(cache); err != nil {
			log.Warn("layer cache disabled", "err", err)
			cache = nil
		}
	}
	a := newAnalyser(Extractors(), sec)
	a.cache, a.build, a.progress, a.log = cache, build, opts.handler().Progress, log
	a.skipRules(opts.SkipDirs, opts.SkipFiles)
	return a
}

// audit adds secrets (files of every layer, deleted ones too, and the
// config) and image configuration checks to r.
func audit(r *report.Report, meta *image.Metadata, found []*secrets.LayerResult, infos []extract.LayerInfo, final *layerfs.FS, sec *secrets.Scanner, opts Options) {
	if sec != nil {
		r.Secrets = []report.Secret{} // ran: [] in JSON when nothing is found
		for _, f := range append(secrets.Collect(found, infos, final), sec.ScanConfig(meta.Config)...) {
			r.Secrets = append(r.Secrets, report.Secret{
				Rule: f.Rule, Severity: f.Severity, Source: f.Source, Layer: f.Layer, CreatedBy: f.CreatedBy,
				Path: f.Path, Line: f.Line, Match: f.Match, StillPresent: f.StillPresent,
			})
		}
		st := secrets.Tally(found)
		r.SecretStats = &report.SecretStats{Scanned: st.Scanned, SkippedTooLarge: st.SkippedTooLarge, SkippedBinary: st.SkippedBinary}
	}
	if opts.Config {
		r.Misconfigurations = []report.Misconfiguration{}
		for _, m := range auditimage.Check(meta, final, opts.Dockerfile) {
			m.Target = cmp.Or(m.Target, r.Target.Ref) // the Dockerfile's checks name it
			r.Misconfigurations = append(r.Misconfigurations, m)
		}
		facts := auditimage.Facts(meta, final)
		r.ImageFacts = &facts
	}
}

// cvssScore computes a base score for records that carry only a vector.
func cvssScore(vector string) (float64, bool) {
	v, err := cvss.Parse(vector)
	if err != nil {
		return 0, false
	}
	return v.BaseScore(), true
}

// matchReport fills r's findings from the DB, when there is one.
func matchReport(ctx context.Context, r *report.Report, opts Options) error {
	if opts.DBPath == "" {
		return nil
	}
	m, err := NewRematcher(ctx, opts)
	if err != nil {
		return err
	}
	defer m.Close()
	return m.match(ctx, r)
}

// scanSBOM matches an existing SBOM instead of an image.
func scanSBOM(ctx context.Context, path string, opts Options, now func() time.Time) (*report.Report, error) {
	doc, err := sbom.Load(path, Ecosystems())
	if err != nil {
		return nil, err
	}
	r := newReport(report.Target{Ref: path, Kind: "sbom"}, doc.Packages, doc.OS, opts, now)
	if doc.Name != "" {
		r.Target.RepoTags = []string{doc.Name}
	}
	if doc.Skipped > 0 {
		r.Warnings = append(r.Warnings, inventory.FileError{Path: path, Err: fmt.Sprintf("%d components without a usable package URL were not matched", doc.Skipped)})
	}
	if w := unknownTypes(doc.Unknown); w != "" {
		r.Warnings = append(r.Warnings, inventory.FileError{Path: path, Err: w})
	}
	if err := matchReport(ctx, r, opts); err != nil {
		return nil, err
	}
	r.Summarize()
	return r, nil
}

// newReport starts a report of packages found in t.
func newReport(t report.Target, pkgs []inventory.Package, os inventory.OS, opts Options, now func() time.Time) *report.Report {
	r := &report.Report{
		SchemaVersion: report.SchemaVersion,
		Tool:          report.Tool{Name: "customs", Version: opts.Version},
		CreatedAt:     now().UTC(),
		Target:        t,
		Packages:      pkgs,
		Findings:      []report.Finding{},
	}
	if r.Packages == nil {
		r.Packages = []inventory.Package{}
	}
	if os.Family != "" {
		r.OS = &os
	}
	return r
}

func reportTarget(ref string, meta *image.Metadata, infos []extract.LayerInfo) report.Target {
	t := report.Target{
		Ref: meta.Ref, Kind: meta.Kind,
		ManifestDigest: meta.ManifestDigest, ImageID: meta.ConfigDigest,
		RepoTags: meta.RepoTags, RepoDigests: meta.RepoDigests,
	}
	if t.Ref == "" {
		t.Ref = ref
	}
	if meta.Config != nil {
		t.Architecture = meta.Config.Architecture
		if len(meta.Config.Config.Labels) > 0 {
			t.Labels = maps.Clone(meta.Config.Config.Labels)
		}
	}
	for _, in := range infos {
		if in.DiffID == "" {
			continue
		}
		t.Layers = append(t.Layers, report.Layer{DiffID: in.DiffID, CreatedBy: in.CreatedBy})
	}
	return t
}

// ErrLayerMismatch is returned when a layer's content does not hash to the
// DiffID the image config claims for it.
var ErrLayerMismatch = errors.New("layer content does not match the image config")
