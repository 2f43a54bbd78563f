package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"

	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/store"
)

// SnapshotLayers reads the snapshots' layers with their inventories'
// DiffIDs and hashes.
func (s *Store) SnapshotLayers(ctx context.Context, snapshots []int64) (map[int64][]store.LayerFindings, error) {
	out := make(map[int64][]store.LayerFindings, len(snapshots))
	err := s.inList(ctx, `SELECT sl.snapshot, sl.inventory, sl.findings, i.diff_id, i.hash, sl.created_by
		FROM snapshot_layer sl JOIN inventory i ON i.id = sl.inventory WHERE sl.snapshot IN (%s) ORDER BY sl.snapshot, sl.idx`, nil, anys(snapshots), func(r *sql.Rows) error {
		var snap int64
		var l store.LayerFindings
		var set sql.NullInt64
		if err := r.Scan(&snap, &l.Inventory, &set, &l.DiffID, &l.Hash, &l.CreatedBy); err != nil {
			return err
		}
		l.Set = set.Int64
		out[snap] = append(out[snap], l)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// InventoryPackages reads the packages of inventories in their order.
func (s *Store) InventoryPackages(ctx context.Context, inventories []int64) (map[int64][]store.StoredPackage, error) {
	out := make(map[int64][]store.StoredPackage, len(inventories))
	err := s.inList(ctx, `SELECT inventory, id, idx, owned, data FROM package WHERE inventory IN (%s) ORDER BY inventory, idx`,
		nil, anys(inventories), func(r *sql.Rows) error {
			var inv int64
			var sp store.StoredPackage
			var data string
			if err := r.Scan(&inv, &sp.Row, &sp.Idx, &sp.Owned, &data); err != nil {
				return err
			}
			if err := json.Unmarshal([]byte(data), &sp.Package); err != nil {
				return fmt.Errorf("inventory %d: package: %w", inv, err)
			}
			out[inv] = append(out[inv], sp)
			return nil
		})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// SnapshotHead reads and decompresses a snapshot's kept report.
func (s *Store) SnapshotHead(ctx context.Context, snapshot int64) (*report.Report, error) {
	var data []byte
	err := s.db.QueryRowContext(ctx, s.q(`SELECT data FROM snapshot_report WHERE snapshot = ?`), snapshot).Scan(&data)
	if err == sql.ErrNoRows {
		return nil, nil
	}
	if err != nil {
		return nil, fmt.Errorf("store %s: snapshot %d: %w", s.name, snapshot, err)
	}
	r, err := store.DecompressReport(data)
	if err != nil {
		return nil, fmt.Errorf("store %s: snapshot %d: %w", s.name, snapshot, err)
	}
	return r, nil
}

// SetFindings reads finding sets with their packages' names, versions and
// PURLs.
func (s *Store) SetFindings(ctx context.Context, sets []int64) (map[int64][]store.Finding, error) {
	out := make(map[int64][]store.Finding, len(sets))
	err := s.inList(ctx, `SELECT f.finding_set, f.vulnerability_id, f.status, f.fixed_version, f.severity, f.kev, f.epss, p.name, p.version, p.purl
		FROM finding f JOIN package p ON p.id = f.package WHERE f.finding_set IN (%s)`, nil, anys(sets), func(r *sql.Rows) error {
		var set int64
		var f store.Finding
		if err := r.Scan(&set, &f.VulnerabilityID, &f.Status, &f.FixedVersion, &f.Severity, &f.KEV, &f.EPSS, &f.PackageName, &f.PackageVersion, &f.PURL); err != nil {
			return err
		}
		out[set] = append(out[set], f)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}
