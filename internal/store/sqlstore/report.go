package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/store"
)

// Report returns the current snapshot of the subject name names as a
// report.
func (s *Store) Report(ctx context.Context, name string) (*store.StoredReport, error) {
	return s.report(ctx, name, true)
}

// ReportHead is Report without packages and findings.
func (s *Store) ReportHead(ctx context.Context, name string) (*store.StoredReport, error) {
	return s.report(ctx, name, false)
}

func (s *Store) report(ctx context.Context, name string, full bool) (*store.StoredReport, error) {
	name = strings.TrimSpace(name)
	var snap sql.NullInt64
	// An image or host by its key, then a host by name, then an image by
	// its image ID; of several, the one seen last.
	for _, q := range []struct {
		where string
		args  []any
	}{
		{`key = ? OR key = ?`, []any{name, "sha256:" + name}},
		{`kind = 'host' AND name = ?`, []any{name}},
		{`kind = 'image' AND (config_digest = ? OR config_digest = ?)`, []any{name, "sha256:" + name}},
	} {
		err := s.db.QueryRowContext(ctx, s.q(`SELECT current_snapshot FROM subject WHERE (`+q.where+`) AND current_snapshot IS NOT NULL ORDER BY last_seen DESC, id DESC LIMIT 1`), q.args...).Scan(&snap)
		if err == sql.ErrNoRows {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("store %s: %w", s.name, err)
		}
		return s.snapshotReport(ctx, snap.Int64, full)
	}
	return nil, fmt.Errorf("%q: %w", name, store.ErrNotFound)
}

// SnapshotReport reads one snapshot back as a report: what was kept of
// its report (migration 0005) with its packages from the inventories, or
// else what its rows hold.
func (s *Store) SnapshotReport(ctx context.Context, snapshot int64) (*store.StoredReport, error) {
	return s.snapshotReport(ctx, snapshot, true)
}

// snapshotReport reads a snapshot as a report, with its packages and
// findings when full is set.
func (s *Store) snapshotReport(ctx context.Context, snapshot int64, full bool) (*store.StoredReport, error) {
	var subject int64
	var current sql.NullInt64
	var scanned, recorded, built timeValue
	var db string
	var data []byte
	out := &store.StoredReport{Snapshot: snapshot}
	err := s.db.QueryRowContext(ctx, s.q(`SELECT sn.subject, sj.current_snapshot, sn.scanned_at, sn.recorded_at, sn.tool, sn.db, sn.db_built, r.data
		FROM snapshot sn JOIN subject sj ON sj.id = sn.subject LEFT JOIN snapshot_report r ON r.snapshot = sn.id
		WHERE sn.id = ?`), snapshot).Scan(&subject, &current, &scanned, &recorded, &out.Tool, &db, &built, &data)
	if err == sql.ErrNoRows {
		return nil, fmt.Errorf("snapshot %d: %w", snapshot, store.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("store %s: snapshot %d: %w", s.name, snapshot, err)
	}
	out.Current = current.Valid && current.Int64 == snapshot
	out.ScannedAt, out.RecordedAt, out.DBBuilt = scanned.t, recorded.t, built.t
	subjects, err := s.subjects(ctx, []int64{subject})
	if err != nil {
		return nil, err
	}
	out.Subject = subjects[subject]
	var pkgs, owned []inventory.Package
	if full {
		if pkgs, owned, err = s.Inventory(ctx, snapshot); err != nil {
			return nil, err
		}
	}
	var r *report.Report
	if data != nil {
		if r, err = store.DecompressReport(data); err != nil {
			return nil, fmt.Errorf("store %s: snapshot %d: %w", s.name, snapshot, err)
		}
		if full {
			if r.Findings, err = s.findingDetails(ctx, snapshot); err != nil {
				return nil, err
			}
		}
	} else if r, err = s.rowsReport(ctx, snapshot, out, full); err != nil {
		return nil, err
	}
	if !full {
		r.Packages, r.Owned, r.Findings = nil, nil, nil
		out.Report = r
		return out, s.snapshotDB(snapshot, db, r)
	}
	if pkgs == nil {
		pkgs = []inventory.Package{}
	}
	r.Packages, r.Owned = pkgs, owned
	// The summary counts what the report holds now: a re-evaluation
	// that re-derived some of the findings keeps the kept report's
	// summary of the old ones.
	r.Summarize()
	if err := s.snapshotDB(snapshot, db, r); err != nil {
		return nil, err
	}
	if r.Findings == nil {
		r.Findings = []report.Finding{}
	}
	out.Report = r
	return out, nil
}

// snapshotDB sets the report's DB block to the snapshot's: a
// re-evaluation that found nothing new marks the snapshot as matched
// against its build.
func (s *Store) snapshotDB(snapshot int64, db string, r *report.Report) error {
	r.DB = nil
	if db != "" {
		r.DB = &report.DB{}
		if err := json.Unmarshal([]byte(db), r.DB); err != nil {
			return fmt.Errorf("store %s: snapshot %d: DB block: %w", s.name, snapshot, err)
		}
	}
	return nil
}

// rowsReport is the report a snapshot recorded before migration 0005
// gives from its rows: the subject as target, its layers, and findings
// without evidence (no findings unless findings is set).
func (s *Store) rowsReport(ctx context.Context, snapshot int64, sr *store.StoredReport, findings bool) (*report.Report, error) {
	sj := sr.Subject
	name, version, _ := strings.Cut(sr.Tool, " ")
	r := &report.Report{
		SchemaVersion: report.SchemaVersion,
		Tool:          report.Tool{Name: name, Version: version},
		CreatedAt:     sr.ScannedAt,
		Target:        report.Target{Ref: sj.Name, Kind: "store", Labels: sj.Labels},
		Findings:      []report.Finding{},
	}
	if sj.Kind == store.KindImage {
		r.Target.ManifestDigest, r.Target.ImageID = sj.Digest, sj.ConfigDigest
		for _, ref := range sj.Refs {
			if strings.Contains(ref, "@") {
				r.Target.RepoDigests = append(r.Target.RepoDigests, ref)
			} else {
				r.Target.RepoTags = append(r.Target.RepoTags, ref)
			}
		}
		if _, arch, ok := strings.Cut(sj.Platform, "/"); ok {
			arch, _, _ = strings.Cut(arch, "/")
			r.Target.Architecture = arch
		}
	}
	err := s.query(ctx, `SELECT i.diff_id, sl.created_by FROM snapshot_layer sl JOIN inventory i ON i.id = sl.inventory WHERE sl.snapshot = ? ORDER BY sl.idx`,
		[]any{snapshot}, func(rows *sql.Rows) error {
			var l report.Layer
			if err := rows.Scan(&l.DiffID, &l.CreatedBy); err != nil {
				return err
			}
			if l.DiffID != "" {
				r.Target.Layers = append(r.Target.Layers, l)
			}
			return nil
		})
	if err != nil {
		return nil, err
	}
	if !findings {
		return r, nil
	}
	err = s.query(ctx, `SELECT f.vulnerability_id, f.status, f.fixed_version, f.severity, f.kev, f.epss,
		  p.key, p.name, p.version, p.type, p.purl, p.source_name, p.source_version, i.diff_id,
		  sl.created_by
		FROM snapshot_layer sl JOIN finding f ON f.finding_set = sl.findings JOIN package p ON p.id = f.package JOIN inventory i ON i.id = p.inventory
		WHERE sl.snapshot = ? ORDER BY p.name, p.version, f.vulnerability_id`, []any{snapshot}, func(rows *sql.Rows) error {
		var f report.Finding
		var kev bool
		var epss float64
		if err := rows.Scan(&f.VulnerabilityID, &f.Status, &f.FixedVersion, &f.Severity, &kev, &epss,
			&f.PackageID, &f.PackageName, &f.PackageVersion, &f.PackageType, &f.PURL, &f.SourceName, &f.SourceVersion, &f.Layer, &f.CreatedBy); err != nil {
			return err
		}
		f.Aliases, f.CVSS, f.Locations, f.Evidence = []string{}, []report.CVSS{}, []inventory.Location{}, []report.Evidence{}
		if kev {
			f.KEV = &report.KEV{}
		}
		if epss != 0 {
			f.EPSS = &report.EPSS{Score: epss}
		}
		r.Findings = append(r.Findings, f)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// Resolve returns the manifest digest of the image last seen under ref.
func (s *Store) Resolve(ctx context.Context, ref string) (string, error) {
	ref = strings.TrimSpace(ref)
	if _, digest, ok := strings.Cut(ref, "@"); ok {
		var key string
		err := s.db.QueryRowContext(ctx, s.q(`SELECT key FROM subject WHERE kind = 'image' AND key = ?`), digest).Scan(&key)
		if err == nil {
			return key, nil
		}
		if err != sql.ErrNoRows {
			return "", fmt.Errorf("store %s: %w", s.name, err)
		}
	}
	v := store.RefVariants(ref)
	var key string
	err := s.db.QueryRowContext(ctx, s.q(`SELECT sj.key FROM subject_ref r JOIN subject sj ON sj.id = r.subject
		WHERE sj.kind = 'image' AND r.ref IN (`+placeholders(len(v))+`) ORDER BY r.last_seen DESC, sj.id DESC LIMIT 1`), anys(v)...).Scan(&key)
	if errors.Is(err, sql.ErrNoRows) {
		return "", fmt.Errorf("%s: %w", ref, store.ErrNotFound)
	}
	if err != nil {
		return "", fmt.Errorf("store %s: %w", s.name, err)
	}
	return key, nil
}

// SubjectsPage lists subjects by ID after the cursor (an ID).
func (s *Store) SubjectsPage(ctx context.Context, cursor string, limit int) ([]store.SubjectSummary, string, error) {
	if limit < 1 || limit > store.SubjectPageMax {
		limit = store.SubjectPageMax
	}
	var after int64
	if cursor != "" {
		var err error
		if after, err = strconv.ParseInt(cursor, 10, 64); err != nil || after < 0 {
			return nil, "", fmt.Errorf("subjects: bad cursor %q", cursor)
		}
	}
	ids, sums, err := s.summaries(ctx, `WHERE sj.id > ? ORDER BY sj.id LIMIT ?`, []any{after, limit + 1})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(ids) > limit {
		ids = ids[:limit]
		next = strconv.FormatInt(ids[limit-1], 10)
	}
	out := make([]store.SubjectSummary, len(ids))
	for i, id := range ids {
		out[i] = sums[id]
	}
	return out, next, nil
}

// findingDetails returns a snapshot's findings as the report had them, in
// the order matching gives them (package name, package ID, vulnerability
// ID).
func (s *Store) findingDetails(ctx context.Context, snapshot int64) ([]report.Finding, error) {
	out := []report.Finding{}
	err := s.query(ctx, `SELECT d.data FROM snapshot_layer sl JOIN finding f ON f.finding_set = sl.findings JOIN finding_detail d ON d.id = f.detail WHERE sl.snapshot = ?`, []any{snapshot}, func(r *sql.Rows) error {
		var data string
		if err := r.Scan(&data); err != nil {
			return err
		}
		var f report.Finding
		if err := json.Unmarshal([]byte(data), &f); err != nil {
			return fmt.Errorf("snapshot %d: finding: %w", snapshot, err)
		}
		out = append(out, f)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortStableFunc(out, func(a, b report.Finding) int {
		return cmp.Or(strings.Compare(a.PackageName, b.PackageName), strings.Compare(a.PackageID, b.PackageID), strings.Compare(a.VulnerabilityID, b.VulnerabilityID))
	})
	return out, nil
}
