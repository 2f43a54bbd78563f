package scan

import (
	"context"
	"path/filepath"
	"reflect"
	"strconv"

	"github.com/customs-scanner/customs/internal/image"
	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/layerfs"
	"github.com/customs-scanner/customs/internal/match"
	"github.com/customs-scanner/customs/internal/report"
)

// A second scan of an unchanged source against an unchanged DB takes the
// match result from one record too: matching costs more than the rest of
// such a scan (decoding the advisories of every package and vulnerability
// the inventory names). The record is keyed by the cached analysis (which
// names the build, so the matching code), the DB file's identity (path,
// size, times, inode: a rebuilt or updated DB is another file) and the
// match options. A scan that finds it does not open the DB.

// matchedRecord is a report's match result: its findings, coverage and DB
// block, a record (encodeRecord). Findings leave out what they repeat of
// their package (set again from the report's packages by
// match.PackageFields), whose index in the report's packages is in
// Packages.
type matchedRecord struct {
	DB       report.DB
	Coverage *report.Coverage
	Packages []int
	Findings []report.Finding
}

// matchedKey names the match result of the analysis cached under key
// against the DB whose file has identity db.
func matchedKey(key, db string, opts Options) string {
	return layerfs.Key("matched", analyserVersion, key, db, strconv.FormatBool(opts.IncludeNotAffected))
}

// dbIdentity identifies the DB file at path by its stat ("" when it
// cannot: then nothing is cached).
func dbIdentity(path string) string {
	abs, err := filepath.Abs(path)
	if err != nil {
		return ""
	}
	return image.FileIdentity(abs)
}

// match fills r's findings, coverage and DB block, from the record cached
// for the analysis under key when the DB is the one it was made with, or
// by matching (and caching the result).
func (a *analyser) match(ctx context.Context, key string, r *report.Report, opts Options) error {
	if opts.DBPath == "" || key == "" || a.cache == nil {
		return matchReport(ctx, r, opts)
	}
	id := dbIdentity(opts.DBPath)
	if id == "" {
		return matchReport(ctx, r, opts)
	}
	mkey := matchedKey(key, id, opts)
	if a.matched(mkey, r) {
		a.log.Debug("match cache hit")
		return nil
	}
	m, err := NewRematcher(ctx, opts)
	if err != nil {
		return err
	}
	defer m.Close()
	if err := m.match(ctx, r); err != nil {
		return err
	}
	// The DB was opened between the two stats: the file they identify
	// is the one matched against.
	if dbIdentity(opts.DBPath) == id {
		a.putMatched(mkey, r)
	}
	return nil
}

// matched sets r's match result from the record under key.
func (a *analyser) matched(key string, r *report.Report) bool {
	b, ok := a.cache.GetBlob(key)
	if !ok {
		return false
	}
	rec, ok := decodeMatched(b, r.Packages)
	if !ok {
		return false
	}
	r.DB, r.Coverage, r.Findings = &rec.db, rec.coverage, rec.findings
	return true
}

// putMatched caches r's match result under key, unless it does not come
// back exactly as it is.
func (a *analyser) putMatched(key string, r *report.Report) {
	if r.DB == nil {
		return
	}
	b, ok := encodeMatched(r)
	if !ok {
		a.log.Debug("match result not cached: it does not round-trip")
		return
	}
	if err := a.cache.PutBlob(key, b); err != nil {
		a.log.Debug("cache write", "err", err)
	}
}

func encodeMatched(r *report.Report) ([]byte, bool) {
	index := make(map[string]int, len(r.Packages))
	for i := len(r.Packages) - 1; i >= 0; i-- {
		index[r.Packages[i].ID] = i
	}
	rec := matchedRecord{DB: *r.DB, Coverage: r.Coverage, Packages: make([]int, len(r.Findings)), Findings: make([]report.Finding, len(r.Findings))}
	var none inventory.Package
	for i, f := range r.Findings {
		p, ok := index[f.PackageID]
		if !ok {
			return nil, false
		}
		match.PackageFields(&f, &none)
		f.Locations = nil
		rec.Packages[i], rec.Findings[i] = p, f
	}
	b, err := encodeRecord(rec)
	if err != nil {
		return nil, false
	}
	// A field a finding takes from elsewhere than its package would come
	// back changed: such a result is not cached.
	back, ok := decodeMatched(b, r.Packages)
	if !ok || !reflect.DeepEqual(back.findings, r.Findings) || !reflect.DeepEqual(back.coverage, r.Coverage) || !reflect.DeepEqual(back.db, *r.DB) {
		return nil, false
	}
	return b, true
}

// matchResult is a decoded matchedRecord.
type matchResult struct {
	db       report.DB
	coverage *report.Coverage
	findings []report.Finding
}

func decodeMatched(b []byte, pkgs []inventory.Package) (matchResult, bool) {
	var rec matchedRecord
	if decodeRecord(b, &rec) != nil || len(rec.Packages) != len(rec.Findings) {
		return matchResult{}, false
	}
	for i, p := range rec.Packages {
		if p < 0 || p >= len(pkgs) {
			return matchResult{}, false
		}
		match.PackageFields(&rec.Findings[i], &pkgs[p])
	}
	return matchResult{db: rec.DB, coverage: rec.Coverage, findings: rec.Findings}, true
}
