package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"strings"

	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/store"
)

// The dashboard's pages of a snapshot's findings and packages read the
// short rows of all of them (to count and sort them) and decode the JSON
// of one page only: an image with thousands of findings costs its rows,
// not thousands of decoded documents.

// severityOrder ranks severities most severe first, others last.
var severityOrder = map[string]int{"CRITICAL": 0, "HIGH": 1, "MEDIUM": 2, "LOW": 3, "NEGLIGIBLE": 4, "UNKNOWN": 5}

func severityRank(s string) int {
	if r, ok := severityOrder[strings.ToUpper(s)]; ok {
		return r
	}
	return len(severityOrder)
}

// FindingPage reads the snapshot's finding rows, sorts them and decodes
// the details of one page.
func (s *Store) FindingPage(ctx context.Context, snapshot int64, layer string, offset, limit int) (store.FindingPage, error) {
	out := store.FindingPage{Findings: []report.Finding{}, ByLayer: map[string]int{}, BySeverity: map[string]int{}}
	type row struct {
		detail sql.NullInt64
		pkg    int64
		rank   int
		f      report.Finding
	}
	var rows []*row
	err := s.query(ctx, `SELECT f.detail, f.vulnerability_id, f.status, f.fixed_version, f.severity, f.kev, f.epss,
		  p.id, p.key, p.name, p.version, p.type, p.purl, p.source_name, p.source_version, i.diff_id
		FROM snapshot_layer sl JOIN finding f ON f.finding_set = sl.findings JOIN package p ON p.id = f.package JOIN inventory i ON i.id = p.inventory
		WHERE sl.snapshot = ?`, []any{snapshot}, func(r *sql.Rows) error {
		x := &row{}
		f := &x.f
		var kev bool
		var epss float64
		if err := r.Scan(&x.detail, &f.VulnerabilityID, &f.Status, &f.FixedVersion, &f.Severity, &kev, &epss,
			&x.pkg, &f.PackageID, &f.PackageName, &f.PackageVersion, &f.PackageType, &f.PURL, &f.SourceName, &f.SourceVersion, &f.Layer); err != nil {
			return err
		}
		out.ByLayer[f.Layer]++
		if layer != "" && f.Layer != layer {
			return nil
		}
		if kev {
			f.KEV = &report.KEV{}
		}
		if epss != 0 {
			f.EPSS = &report.EPSS{Score: epss}
		}
		out.BySeverity[f.Severity]++
		x.rank = severityRank(f.Severity)
		rows = append(rows, x)
		return nil
	})
	if err != nil {
		return out, err
	}
	out.Total = len(rows)
	slices.SortFunc(rows, func(a, b *row) int {
		return cmp.Or(cmp.Compare(a.rank, b.rank), cmp.Compare(a.f.PackageName, b.f.PackageName),
			cmp.Compare(a.f.VulnerabilityID, b.f.VulnerabilityID), cmp.Compare(a.pkg, b.pkg))
	})
	rows = page(rows, offset, limit)
	var ids []int64
	for _, x := range rows {
		if x.detail.Valid {
			ids = append(ids, x.detail.Int64)
		}
	}
	details := map[int64]report.Finding{}
	err = s.inList(ctx, `SELECT id, data FROM finding_detail WHERE id IN (%s)`, nil, anys(ids), func(r *sql.Rows) error {
		var id int64
		var data string
		if err := r.Scan(&id, &data); err != nil {
			return err
		}
		var f report.Finding
		if err := json.Unmarshal([]byte(data), &f); err != nil {
			return fmt.Errorf("snapshot %d: finding: %w", snapshot, err)
		}
		details[id] = f
		return nil
	})
	if err != nil {
		return out, err
	}
	for _, x := range rows {
		f, ok := details[x.detail.Int64]
		if !x.detail.Valid || !ok {
			// Recorded before details were kept: what the row holds.
			f = x.f
			f.Aliases, f.CVSS, f.Locations, f.Evidence = []string{}, []report.CVSS{}, []inventory.Location{}, []report.Evidence{}
		}
		out.Findings = append(out.Findings, f)
	}
	return out, nil
}

// PackagePage reads the snapshot's package rows (each inventory once, at
// its first layer, as Inventory does), sorts them and decodes one page.
func (s *Store) PackagePage(ctx context.Context, snapshot int64, layer string, offset, limit int) (store.PackagePage, error) {
	out := store.PackagePage{Packages: []inventory.Package{}, ByLayer: map[string]int{}}
	type row struct {
		id            int64
		name, version string
	}
	var rows []row
	err := s.query(ctx, `SELECT p.id, p.name, p.version, i.diff_id FROM snapshot_layer sl
		JOIN package p ON p.inventory = sl.inventory JOIN inventory i ON i.id = sl.inventory
		WHERE sl.snapshot = ? AND NOT p.owned AND sl.idx = (SELECT MIN(x.idx) FROM snapshot_layer x WHERE x.snapshot = sl.snapshot AND x.inventory = sl.inventory)`,
		[]any{snapshot}, func(r *sql.Rows) error {
			var x row
			var diffID string
			if err := r.Scan(&x.id, &x.name, &x.version, &diffID); err != nil {
				return err
			}
			out.ByLayer[diffID]++
			if layer == "" || diffID == layer {
				rows = append(rows, x)
			}
			return nil
		})
	if err != nil {
		return out, err
	}
	out.Total = len(rows)
	slices.SortFunc(rows, func(a, b row) int {
		return cmp.Or(cmp.Compare(a.name, b.name), cmp.Compare(a.version, b.version), cmp.Compare(a.id, b.id))
	})
	rows = page(rows, offset, limit)
	ids := make([]int64, len(rows))
	for i, x := range rows {
		ids[i] = x.id
	}
	pkgs := map[int64]inventory.Package{}
	err = s.inList(ctx, `SELECT id, data FROM package WHERE id IN (%s)`, nil, anys(ids), func(r *sql.Rows) error {
		var id int64
		var data string
		if err := r.Scan(&id, &data); err != nil {
			return err
		}
		var p inventory.Package
		if err := json.Unmarshal([]byte(data), &p); err != nil {
			return fmt.Errorf("snapshot %d: package: %w", snapshot, err)
		}
		pkgs[id] = p
		return nil
	})
	if err != nil {
		return out, err
	}
	for _, x := range rows {
		out.Packages = append(out.Packages, pkgs[x.id])
	}
	return out, nil
}

// page returns xs[offset:offset+limit], within xs.
func page[T any](xs []T, offset, limit int) []T {
	if limit < 1 {
		limit = len(xs)
	}
	offset = max(0, min(offset, len(xs)))
	return xs[offset:min(offset+limit, len(xs))]
}
