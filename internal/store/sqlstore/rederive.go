package sqlstore

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/customs-scanner/customs/internal/store"
)

// SnapshotPackages returns the snapshot's packages whose name, source
// name or AlsoMatch names hold one of keys' names: the rows are found
// first (names only), the packages' JSON read for those alone.
func (s *Store) SnapshotPackages(ctx context.Context, snapshot int64, keys []store.PackageKey) ([]store.StoredPackage, error) {
	names := map[string]bool{}
	var list []any
	for _, k := range keys {
		if !names[k.Name] {
			names[k.Name] = true
			list = append(list, k.Name)
		}
	}
	if len(list) == 0 {
		return nil, nil
	}
	in := placeholders(len(list))
	var rows []any
	args := append(append([]any{snapshot, false}, list...), list...)
	err := s.query(ctx, `SELECT DISTINCT p.id, p.name, p.source_name, p.also_match FROM snapshot_layer sl JOIN package p ON p.inventory = sl.inventory
		WHERE sl.snapshot = ? AND p.owned = ? AND p.ecosystem <> '' AND (p.name IN (`+in+`) OR p.source_name IN (`+in+`) OR p.also_match <> '')`, args, func(r *sql.Rows) error {
		var id int64
		var name, source, also string
		if err := r.Scan(&id, &name, &source, &also); err != nil {
			return err
		}
		hit := names[name] || names[source]
		for _, n := range strings.Fields(also) {
			hit = hit || names[n]
		}
		if hit {
			rows = append(rows, id)
		}
		return nil
	})
	if err != nil || len(rows) == 0 {
		return nil, err
	}
	var out []store.StoredPackage
	err = s.inList(ctx, `SELECT id, data FROM package WHERE id IN (%s)`, nil, rows, func(r *sql.Rows) error {
		var sp store.StoredPackage
		var data string
		if err := r.Scan(&sp.Row, &data); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(data), &sp.Package); err != nil {
			return fmt.Errorf("snapshot %d: package: %w", snapshot, err)
		}
		out = append(out, sp)
		return nil
	})
	return out, err
}

// SnapshotFindings returns the snapshot's findings with their package rows.
func (s *Store) SnapshotFindings(ctx context.Context, snapshot int64) ([]store.RowFinding, error) {
	var out []store.RowFinding
	err := s.query(ctx, `SELECT f.package, f.vulnerability_id, f.status, f.fixed_version, f.severity, f.kev, f.epss, p.name, p.version, p.purl
		FROM finding f JOIN package p ON p.id = f.package WHERE f.snapshot = ?`, []any{snapshot}, func(r *sql.Rows) error {
		var f store.RowFinding
		if err := r.Scan(&f.Package, &f.VulnerabilityID, &f.Status, &f.FixedVersion, &f.Severity, &f.KEV, &f.EPSS, &f.PackageName, &f.PackageVersion, &f.PURL); err != nil {
			return err
		}
		out = append(out, f)
		return nil
	})
	return out, err
}

// Rederive copies the replaced snapshot's layers, report and the findings
// of its other packages into a new snapshot and adds the new findings.
func (s *Store) Rederive(ctx context.Context, rd store.Rederivation) (store.Recorded, error) {
	now := rd.Now
	if now.IsZero() {
		now = time.Now()
	}
	seen := s.d.Time(now.UTC().Truncate(time.Microsecond))
	dbJSON, err := json.Marshal(rd.DB)
	if err != nil {
		return store.Recorded{}, err
	}
	built := s.nullTime(rd.DB.Built.UTC().Truncate(time.Microsecond))
	var fs []store.PreparedFinding
	aliases := map[[2]string]bool{}
	for _, f := range rd.Findings {
		row, ok := rd.PackageIDs[f.PackageID]
		if !ok {
			return store.Recorded{}, fmt.Errorf("rederive: finding %s names package %s, not one re-matched", f.VulnerabilityID, f.PackageID)
		}
		pf, err := store.PrepareFinding(f)
		if err != nil {
			return store.Recorded{}, err
		}
		pf.Package = int(row) // the row, here
		fs = append(fs, pf)
		for _, a := range f.Aliases {
			if a != "" && a != f.VulnerabilityID {
				aliases[[2]string{f.VulnerabilityID, a}] = true
			}
		}
	}
	replaced := slices.Clone(rd.Packages)
	slices.Sort(replaced)
	var out store.Recorded
	err = s.write(ctx, func(tx *sql.Tx) error {
		out = store.Recorded{}
		var subject int64
		var kind, key, name string
		err := tx.QueryRowContext(ctx, s.q(`UPDATE subject SET last_seen = last_seen WHERE current_snapshot = ? RETURNING id, kind, key, name`), rd.Replaces).Scan(&subject, &kind, &key, &name)
		if err == sql.ErrNoRows {
			out.Superseded = true
			return nil
		}
		if err != nil {
			return fmt.Errorf("subject: %w", err)
		}
		out.Subject = store.Subject{Kind: kind, Digest: key, Name: name}
		var oldHash string
		if err := tx.QueryRowContext(ctx, s.q(`SELECT content_hash FROM snapshot WHERE id = ?`), rd.Replaces).Scan(&oldHash); err != nil {
			return err
		}
		h := sha256.New()
		fmt.Fprintf(h, "rederived %s db %s\n", oldHash, dbJSON)
		for _, f := range fs {
			fmt.Fprintf(h, "finding %d %s\n", f.Package, f.DetailHash)
		}
		hash := "sha256:" + hex.EncodeToString(h.Sum(nil))
		var snap int64
		if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO snapshot (subject, content_hash, scanned_at, recorded_at, tool, db, db_built, packages, summary)
			SELECT subject, ?, scanned_at, ?, tool, ?, ?, packages, summary FROM snapshot WHERE id = ? RETURNING id`),
			hash, seen, string(dbJSON), built, rd.Replaces).Scan(&snap); err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
		for _, q := range []string{
			`INSERT INTO snapshot_layer (snapshot, idx, inventory, created_by) SELECT ?, idx, inventory, created_by FROM snapshot_layer WHERE snapshot = ?`,
			`INSERT INTO snapshot_report (snapshot, data) SELECT ?, data FROM snapshot_report WHERE snapshot = ?`,
		} {
			if _, err := tx.ExecContext(ctx, s.q(q), snap, rd.Replaces); err != nil {
				return err
			}
		}
		q := `INSERT INTO finding (snapshot, package, vulnerability_id, status, fixed_version, severity, kev, epss, detail)
			SELECT ?, package, vulnerability_id, status, fixed_version, severity, kev, epss, detail FROM finding WHERE snapshot = ?`
		args := []any{snap, rd.Replaces}
		if len(replaced) > 0 {
			q += ` AND package NOT IN (` + placeholders(len(replaced)) + `)`
			args = append(args, anys(replaced)...)
		}
		if _, err := tx.ExecContext(ctx, s.q(q), args...); err != nil {
			return fmt.Errorf("copy findings: %w", err)
		}
		details, err := s.details(ctx, tx, fs)
		if err != nil {
			return err
		}
		var rows [][]any
		for _, f := range fs {
			rows = append(rows, []any{snap, int64(f.Package), f.VulnerabilityID, f.Status, f.FixedVersion, f.Severity, f.KEV, f.EPSS, details[f.DetailHash]})
		}
		if err := s.insertRows(ctx, tx, "finding", []string{"snapshot", "package", "vulnerability_id", "status", "fixed_version", "severity", "kev", "epss", "detail"}, rows, ""); err != nil {
			return err
		}
		var al [][]any
		for a := range aliases {
			al = append(al, []any{a[0], a[1]})
		}
		slices.SortFunc(al, func(x, y []any) int {
			return strings.Compare(x[0].(string)+"\x00"+x[1].(string), y[0].(string)+"\x00"+y[1].(string))
		})
		if err := s.insertRows(ctx, tx, "vulnerability_alias", []string{"id", "alias"}, al, "ON CONFLICT (id, alias) DO NOTHING"); err != nil {
			return err
		}
		summary := map[string]int{}
		r, err := tx.QueryContext(ctx, s.q(`SELECT severity, COUNT(*) FROM finding WHERE snapshot = ? GROUP BY severity`), snap)
		if err != nil {
			return err
		}
		for r.Next() {
			var sev string
			var n int
			if err := r.Scan(&sev, &n); err != nil {
				r.Close()
				return err
			}
			summary[sev] = n
		}
		r.Close()
		if err := r.Err(); err != nil {
			return err
		}
		b, err := json.Marshal(summary)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE snapshot SET summary = ? WHERE id = ?`), string(b), snap); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE subject SET current_snapshot = ? WHERE id = ?`), snap, subject); err != nil {
			return err
		}
		var outbox [][]any
		for _, d := range rd.Outbox {
			outbox = append(outbox, []any{d.ID, subject, snap, d.Target, string(d.Body), seen, seen, store.Pending})
		}
		if err := s.insertRows(ctx, tx, "outbox", []string{"id", "subject", "snapshot", "target", "body", "created_at", "next_attempt", "state"}, outbox, ""); err != nil {
			return err
		}
		out.Snapshot, out.New = snap, true
		return nil
	})
	if err != nil {
		return store.Recorded{}, fmt.Errorf("re-evaluate snapshot %d in store %s: %w", rd.Replaces, s.name, err)
	}
	return out, nil
}
