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

// countingSink passes advisories to a Writer and remembers whether the
// Writer failed, which makes an importer's error fatal.
type countingSink struct {
	w   *sqlite.Writer
	err error
}

func (s *countingSink) Add(ctx context.Context, a *vulndb.Advisory) error {
	return s.note(s.w.Add(ctx, a))
}

func (s *countingSink) AddKEV(ctx context.Context, k vulndb.KEV) error {
	return s.note(s.w.AddKEV(ctx, k))
}

func (s *countingSink) AddEPSS(ctx context.Context, e vulndb.EPSS) error {
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
// source. Otherwise the error only reports records the importer skipped
// (all importers join per-record errors beside their count): Build logs
// them as warnings and goes on.
func Build(ctx context.Context, dbPath string, sources []Source, log *slog.Logger) (vulndb.Info, error) {
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	if len(sources) == 0 {
		return vulndb.Info{}, fmt.Errorf("build vulnerability DB: no sources; give one or more of %s", kindNames())
	}
	for _, s := range sources {
		if _, ok := lookup(s.Kind); !ok {
			return vulndb.Info{}, fmt.Errorf("build vulnerability DB: source %s: unknown kind %q; valid kinds: %s", s, s.Kind, kindNames())
		}
	}
	if err := os.MkdirAll(filepath.Dir(dbPath), 0o755); err != nil {
		return vulndb.Info{}, fmt.Errorf("build vulnerability DB: %w", err)
	}
	w, err := sqlite.Create(ctx, dbPath)
	if err != nil {
		return vulndb.Info{}, err
	}
	defer w.Abort() // no-op after Commit
	var failed []SourceError
	for _, s := range sources {
		fatal, err := importSource(ctx, w, s, log)
		if err == nil {
			continue
		}
		if fatal || len(sources) == 1 {
			return vulndb.Info{}, fmt.Errorf("build vulnerability DB: %w", err)
		}
		log.Error("source not imported; the DB is built from the others", "source", s.String(), "error", err)
		failed = append(failed, SourceError{Source: s, Err: err})
	}
	if len(failed) == len(sources) {
		errs := make([]error, len(failed))
		for i, f := range failed {
			errs[i] = f.Err
		}
		return vulndb.Info{}, fmt.Errorf("build vulnerability DB: no source could be imported: %w", errors.Join(errs...))
	}
	if err := w.Commit(ctx); err != nil {
		return vulndb.Info{}, err
	}
	db, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		return vulndb.Info{}, fmt.Errorf("build vulnerability DB: reopen: %w", err)
	}
	defer db.Close()
	info, err := db.Info(ctx)
	if err != nil {
		return info, err
	}
	if len(failed) > 0 {
		return info, &PartialError{Failed: failed}
	}
	return info, nil
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

// importSource imports one source. fatal says the build cannot go on (the
// DB refused a write, or ctx ended); otherwise an error means this source
// could not be imported at all.
func importSource(ctx context.Context, w *sqlite.Writer, s Source, log *slog.Logger) (fatal bool, err error) {
	k, _ := lookup(s.Kind)
	start := time.Now()
	advBefore, affBefore := w.Counts()
	sink := &countingSink{w: w}
	n, err := k.run(ctx, s.Path, sink)
	switch {
	case sink.err != nil:
		return true, fmt.Errorf("source %s: %w", s, err)
	case ctx.Err() != nil:
		return true, fmt.Errorf("source %s: %w", s, ctx.Err())
	case err != nil && n == 0:
		return false, fmt.Errorf("source %s: %w", s, err)
	case err != nil:
		warnings := leaves(err)
		log.Warn("skipped records", "source", s.String(), "count", len(warnings))
		for i, e := range warnings {
			if i == maxLoggedWarnings {
				log.Warn("more skipped records not shown", "source", s.String(), "count", len(warnings)-i)
				break
			}
			log.Warn("skipped record", "source", s.String(), "error", e.Error())
		}
	}
	advAfter, affAfter := w.Counts()
	info := vulndb.SourceInfo{
		Kind: s.Kind, Path: s.Path,
		Advisories: advAfter - advBefore, Affected: affAfter - affBefore,
		Imported: time.Now().UTC(),
	}
	if info.Advisories == 0 && n > 0 {
		// KEV and EPSS add records that are not advisories.
		info.Advisories = n
	}
	w.AddSource(info)
	if n == 0 {
		log.Warn("source has no advisories", "source", s.String())
	}
	log.Debug("imported source", "source", s.String(), "added", n,
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
