package scan

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"time"

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
