package scan

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"slices"
	"time"

	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/match"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/vulndb/sqlite"
)

// Rematcher matches inventories kept elsewhere (the store) against one
// open DB, without reading their targets: re-evaluation. The gate is not
// applied.
type Rematcher struct {
	db   *sqlite.DB
	info report.DB
	opts match.Options
	ids  map[string][]byte // KeyDigest's per-ID digests
}

// NewRematcher opens the DB at opts.DBPath for Rematch.
func NewRematcher(ctx context.Context, opts Options) (*Rematcher, error) {
	if opts.DBPath == "" {
		return nil, errors.New("rematch: no vulnerability DB given")
	}
	if _, err := os.Stat(opts.DBPath); errors.Is(err, fs.ErrNotExist) {
		return nil, &NoDBError{Path: opts.DBPath}
	}
	db, err := sqlite.Open(ctx, opts.DBPath)
	if err != nil {
		return nil, err
	}
	info, err := db.Info(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	ecos := Ecosystems()
	return &Rematcher{
		db:   db,
		info: report.DB{SchemaVersion: info.SchemaVersion, Built: info.Built, Sources: info.Sources},
		opts: match.Options{Schemes: ecos.Schemes(), Apart: ecos.Apart(), IncludeNotAffected: opts.IncludeNotAffected, Enricher: db, Score: cvssScore},
	}, nil
}

// Built is when the DB was built.
func (m *Rematcher) Built() time.Time { return m.info.Built }

// Info is the DB block Rematch gives reports.
func (m *Rematcher) Info() report.DB { return m.info }

// Close closes the DB.
func (m *Rematcher) Close() error { return m.db.Close() }

// Rematch replaces r's findings, coverage and DB block by matching the
// packages r holds, as a scan matches them.
func (m *Rematcher) Rematch(ctx context.Context, r *report.Report) error {
	if err := m.match(ctx, r); err != nil {
		return err
	}
	r.Summarize()
	return nil
}

// match sets r's findings, coverage and DB block, leaving its summary.
func (m *Rematcher) match(ctx context.Context, r *report.Report) error {
	info := m.info
	r.DB = &info
	var err error
	if r.Coverage, err = match.Coverage(ctx, m.db, r.Packages, r.OS, m.opts); err != nil {
		return err
	}
	if r.Findings, err = match.Match(ctx, m.db, r.Packages, m.opts); err != nil {
		return err
	}
	if r.Findings == nil {
		r.Findings = []report.Finding{}
	}
	return nil
}

// Rematch is one Rematcher's Rematch of r against the DB at opts.DBPath.
func Rematch(ctx context.Context, r *report.Report, opts Options) error {
	m, err := NewRematcher(ctx, opts)
	if err != nil {
		return err
	}
	defer m.Close()
	return m.Rematch(ctx, r)
}

// KeyDigest returns a digest of everything matching reads for the packages
// looked up as (ecosystem, name): the DB's records for the key, every
// source's advisory for their IDs and aliases, KEV listings, and whether
// EPSS scores are at or above epssStep. Packages whose key has one digest
// in two builds match alike in both (up to EPSS moves on one side of
// epssStep): re-evaluation re-matches only subjects holding a key whose
// digest changed. Calls on one Rematcher share the per-ID part.
func (m *Rematcher) KeyDigest(ctx context.Context, ecosystem, name string, epssStep float64) (string, error) {
	ms, err := m.db.ByPackage(ctx, ecosystem, name)
	if err != nil {
		return "", fmt.Errorf("look up %s %s: %w", ecosystem, name, err)
	}
	h := sha256.New()
	enc := json.NewEncoder(h)
	var ids []string
	for _, x := range ms {
		if err := enc.Encode(x); err != nil {
			return "", err
		}
		ids = append(ids, x.Advisory.ID)
		ids = append(ids, x.Advisory.Aliases...)
	}
	slices.Sort(ids)
	for _, id := range slices.Compact(ids) {
		d, err := m.idDigest(ctx, id, epssStep)
		if err != nil {
			return "", err
		}
		h.Write(d)
	}
	return hex.EncodeToString(h.Sum(nil)[:16]), nil
}

// idDigest digests what enrichment reads for one vulnerability ID.
func (m *Rematcher) idDigest(ctx context.Context, id string, epssStep float64) ([]byte, error) {
	if d, ok := m.ids[id]; ok {
		return d, nil
	}
	h := sha256.New()
	enc := json.NewEncoder(h)
	recs, err := m.db.ByID(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("look up %s: %w", id, err)
	}
	kev, err := m.db.KEV(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("look up %s: %w", id, err)
	}
	epss, err := m.db.EPSS(ctx, id)
	if err != nil {
		return nil, fmt.Errorf("look up %s: %w", id, err)
	}
	for _, v := range []any{id, recs, kev, epss != nil && epss.Score >= epssStep} {
		if err := enc.Encode(v); err != nil {
			return nil, err
		}
	}
	d := h.Sum(nil)
	if m.ids == nil {
		m.ids = map[string][]byte{}
	}
	m.ids[id] = d
	return d, nil
}

// Coverage is the coverage Rematch gives a report holding pkgs, of the
// operating system os.
func (m *Rematcher) Coverage(ctx context.Context, pkgs []inventory.Package, os *inventory.OS) (*report.Coverage, error) {
	return match.Coverage(ctx, m.db, pkgs, os, m.opts)
}

// MatchPackages matches packages as Rematch does and returns their
// findings: re-evaluation's re-matching of the packages whose advisories
// changed.
func (m *Rematcher) MatchPackages(ctx context.Context, pkgs []inventory.Package) ([]report.Finding, error) {
	return match.Match(ctx, m.db, pkgs, m.opts)
}
