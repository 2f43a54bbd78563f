package sqlstore

import (
	"cmp"
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

// SnapshotFindings returns a snapshot's findings with their package
// rows: of the given packages only, when packages is not nil.
func (s *Store) SnapshotFindings(ctx context.Context, snapshot int64, packages []int64) ([]store.RowFinding, error) {
	q := `SELECT f.package, f.vulnerability_id, f.status, f.fixed_version, f.severity, f.kev, f.epss, p.name, p.version, p.purl
		FROM snapshot_layer sl JOIN finding f ON f.finding_set = sl.findings JOIN package p ON p.id = f.package WHERE sl.snapshot = ?`
	var out []store.RowFinding
	scan := func(r *sql.Rows) error {
		var f store.RowFinding
		if err := r.Scan(&f.Package, &f.VulnerabilityID, &f.Status, &f.FixedVersion, &f.Severity, &f.KEV, &f.EPSS, &f.PackageName, &f.PackageVersion, &f.PURL); err != nil {
			return err
		}
		out = append(out, f)
		return nil
	}
	if packages == nil {
		return out, s.query(ctx, q, []any{snapshot}, scan)
	}
	if len(packages) == 0 {
		return nil, nil
	}
	return out, s.inList(ctx, q+` AND f.package IN (%s)`, []any{snapshot}, anys(packages), scan)
}

// Rederive records a new snapshot of the subject whose current snapshot
// is rd.Replaces: its layers and report, each layer's findings but those
// of rd.Packages, and rd.Findings. A layer holding none of rd.Packages
// keeps its finding set; one holding some gets the set derived from its
// old set by that change, named by a hash of the old set and the change,
// so every subject on that layer re-matched alike shares one new set
// (made by the first of them, found by the others).
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
	for i, f := range rd.Findings {
		row, ok := rd.PackageIDs[f.PackageID]
		if !ok {
			return store.Recorded{}, fmt.Errorf("rederive: finding %s names package %s, not one re-matched", f.VulnerabilityID, f.PackageID)
		}
		var pf store.PreparedFinding
		if len(rd.Prepared) == len(rd.Findings) {
			pf = rd.Prepared[i]
		} else if pf, err = store.PrepareFinding(f); err != nil {
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
	slices.SortFunc(fs, func(a, b store.PreparedFinding) int {
		return cmp.Or(cmp.Compare(a.Package, b.Package), cmp.Compare(a.VulnerabilityID, b.VulnerabilityID), cmp.Compare(a.Status, b.Status), cmp.Compare(a.DetailHash, b.DetailHash))
	})
	replaced := slices.Clone(rd.Packages)
	slices.Sort(replaced)
	replaced = slices.Compact(replaced)
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
		layers, err := s.rederiveLayers(ctx, tx, rd.Replaces, replaced, fs)
		if err != nil {
			return err
		}
		var setIDs []int64
		for _, l := range layers {
			if l.set.Valid {
				setIDs = append(setIDs, l.set.Int64)
			}
		}
		counts, err := s.setSummaries(ctx, tx, setIDs)
		if err != nil {
			return err
		}
		var cs []setCounts
		for _, id := range setIDs {
			cs = append(cs, counts[id])
		}
		summary, err := json.Marshal(addSummaries(cs...))
		if err != nil {
			return err
		}
		h := sha256.New()
		fmt.Fprintf(h, "rederived %s db %s\n", oldHash, dbJSON)
		for _, f := range fs {
			fmt.Fprintf(h, "finding %d %s\n", f.Package, f.DetailHash)
		}
		hash := "sha256:" + hex.EncodeToString(h.Sum(nil))
		if rd.ContentHash != "" {
			hash = rd.ContentHash
		}
		var snap int64
		tool := "tool"
		var args []any
		if rd.Report != nil {
			tool, args = "?", []any{rd.Tool}
		}
		args = append(append([]any{hash, seen}, args...), string(dbJSON), built, string(summary), rd.Replaces)
		if err := tx.QueryRowContext(ctx, s.q(`INSERT INTO snapshot (subject, content_hash, scanned_at, recorded_at, tool, db, db_built, packages, summary)
			SELECT subject, ?, scanned_at, ?, `+tool+`, ?, ?, packages, ? FROM snapshot WHERE id = ? RETURNING id`), args...).Scan(&snap); err != nil {
			return fmt.Errorf("snapshot: %w", err)
		}
		rows := make([][]any, len(layers))
		for i, l := range layers {
			var set any
			if l.set.Valid {
				set = l.set.Int64
			}
			rows[i] = []any{snap, l.idx, l.inventory, l.createdBy, set}
		}
		if err := s.insertRows(ctx, tx, "snapshot_layer", []string{"snapshot", "idx", "inventory", "created_by", "findings"}, rows, ""); err != nil {
			return err
		}
		if rd.Report != nil {
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO snapshot_report (snapshot, data) VALUES (?, ?)`), snap, rd.Report); err != nil {
				return err
			}
		} else if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO snapshot_report (snapshot, data) SELECT ?, data FROM snapshot_report WHERE snapshot = ?`), snap, rd.Replaces); err != nil {
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

// rederivedLayer is a layer of a re-derived snapshot.
type rederivedLayer struct {
	idx       int
	inventory int64
	createdBy string
	set       sql.NullInt64
}

// rederiveLayers returns the layers of snapshot with the findings of the
// packages replaced (sorted) replaced by fs (Package is the row): the
// layers of the inventories holding none of them keep their sets; the
// others get their derived sets, written when the store lacks them.
func (s *Store) rederiveLayers(ctx context.Context, tx *sql.Tx, snapshot int64, replaced []int64, fs []store.PreparedFinding) ([]rederivedLayer, error) {
	var layers []rederivedLayer
	oldHash := map[int64]string{} // set -> hash
	rows, err := tx.QueryContext(ctx, s.q(`SELECT sl.idx, sl.inventory, sl.created_by, sl.findings, COALESCE(fs.hash, '')
		FROM snapshot_layer sl LEFT JOIN finding_set fs ON fs.id = sl.findings WHERE sl.snapshot = ? ORDER BY sl.idx`), snapshot)
	if err != nil {
		return nil, err
	}
	for rows.Next() {
		var l rederivedLayer
		var hash string
		if err := rows.Scan(&l.idx, &l.inventory, &l.createdBy, &l.set, &hash); err != nil {
			rows.Close()
			return nil, err
		}
		if l.set.Valid {
			oldHash[l.set.Int64] = hash
		}
		layers = append(layers, l)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, err
	}
	// The inventory of each replaced package, and its place in it.
	invOf, idxOf := map[int64]int64{}, map[int64]int{}
	for rest := replaced; len(rest) > 0; {
		n := min(chunk, len(rest))
		r, err := tx.QueryContext(ctx, s.q(`SELECT id, inventory, idx FROM package WHERE id IN (`+placeholders(n)+`)`), anys(rest[:n])...)
		if err != nil {
			return nil, err
		}
		for r.Next() {
			var id, inv int64
			var idx int
			if err := r.Scan(&id, &inv, &idx); err != nil {
				r.Close()
				return nil, err
			}
			invOf[id], idxOf[id] = inv, idx
		}
		err = r.Err()
		r.Close()
		if err != nil {
			return nil, err
		}
		rest = rest[n:]
	}
	byInv := map[int64][]int64{}
	for _, p := range replaced {
		inv, ok := invOf[p]
		if !ok {
			return nil, fmt.Errorf("rederive: package %d is not in the store", p)
		}
		byInv[inv] = append(byInv[inv], p)
	}
	newByInv := map[int64][]store.PreparedFinding{}
	for _, f := range fs {
		newByInv[invOf[int64(f.Package)]] = append(newByInv[invOf[int64(f.Package)]], f)
	}
	done := map[int64]bool{} // inventories handled: a set belongs to the first layer holding its inventory
	for i := range layers {
		l := &layers[i]
		if done[l.inventory] {
			continue
		}
		done[l.inventory] = true
		pkgs := byInv[l.inventory]
		if len(pkgs) == 0 {
			continue
		}
		adds := newByInv[l.inventory]
		// Every package of the inventory replaced (a full re-evaluation):
		// the set is what its findings make, named by its content as
		// Record names it, so a set recorded before is found again.
		var invHash string
		var invPackages int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT hash, packages FROM inventory WHERE id = ?`), l.inventory).Scan(&invHash, &invPackages); err != nil {
			return nil, fmt.Errorf("inventory %d: %w", l.inventory, err)
		}
		if len(pkgs) == invPackages {
			set, err := s.contentSet(ctx, tx, l.inventory, invHash, adds, idxOf)
			if err != nil {
				return nil, err
			}
			l.set = set
			continue
		}
		h := sha256.New()
		fmt.Fprintf(h, "derived from %q inventory %d\n", oldHash[l.set.Int64], l.inventory)
		for _, p := range pkgs {
			fmt.Fprintf(h, "replaced %d\n", p)
		}
		for _, f := range adds {
			fmt.Fprintf(h, "finding %d %s %s %s %s %t %g %s\n", f.Package, f.VulnerabilityID, f.Status, f.FixedVersion, f.Severity, f.KEV, f.EPSS, f.DetailHash)
		}
		hash := "sha256:" + hex.EncodeToString(h.Sum(nil))
		var id int64
		err := tx.QueryRowContext(ctx, s.q(`SELECT id FROM finding_set WHERE hash = ?`), hash).Scan(&id)
		if err == nil {
			l.set = sql.NullInt64{Int64: id, Valid: true}
			continue
		}
		if err != sql.ErrNoRows {
			return nil, fmt.Errorf("finding set %s: %w", hash, err)
		}
		// The set is new: the old set's rows but the replaced packages',
		// and the new findings.
		var kept []setRow
		if l.set.Valid {
			args := append([]any{l.set.Int64}, anys(pkgs)...)
			r, err := tx.QueryContext(ctx, s.q(`SELECT package, vulnerability_id, status, fixed_version, severity, kev, epss, detail FROM finding
				WHERE finding_set = ? AND package NOT IN (`+placeholders(len(pkgs))+`)`), args...)
			if err != nil {
				return nil, err
			}
			for r.Next() {
				var x setRow
				var detail sql.NullInt64
				if err := r.Scan(&x.pkg, &x.vulnerability, &x.status, &x.fixed, &x.severity, &x.kev, &x.epss, &detail); err != nil {
					r.Close()
					return nil, err
				}
				if detail.Valid {
					x.detail = detail.Int64
				}
				kept = append(kept, x)
			}
			err = r.Err()
			r.Close()
			if err != nil {
				return nil, err
			}
		}
		if len(adds) > 0 {
			details, err := s.details(ctx, tx, adds)
			if err != nil {
				return nil, err
			}
			for _, f := range adds {
				kept = append(kept, setRow{pkg: int64(f.Package), vulnerability: f.VulnerabilityID, status: f.Status, fixed: f.FixedVersion,
					severity: f.Severity, kev: f.KEV, epss: f.EPSS, detail: details[f.DetailHash]})
			}
		}
		id, err = s.putSet(ctx, tx, hash, l.inventory, kept)
		if err != nil {
			return nil, err
		}
		l.set = sql.NullInt64{Int64: id, Valid: true}
	}
	return layers, nil
}

// contentSet returns the finding set of inventory (content hash invHash)
// holding fs (Package is the row; idxOf gives each row's place in the
// inventory), named by its content as Prepare names a layer's set (NULL
// when fs is empty, as a recorded layer without findings has none):
// found when the store holds it, else written.
func (s *Store) contentSet(ctx context.Context, tx *sql.Tx, inventory int64, invHash string, fs []store.PreparedFinding, idxOf map[int64]int) (sql.NullInt64, error) {
	if len(fs) == 0 {
		return sql.NullInt64{}, nil
	}
	fs = slices.Clone(fs)
	slices.SortFunc(fs, func(a, b store.PreparedFinding) int {
		return cmp.Or(cmp.Compare(idxOf[int64(a.Package)], idxOf[int64(b.Package)]), cmp.Compare(a.VulnerabilityID, b.VulnerabilityID), cmp.Compare(a.Status, b.Status),
			cmp.Compare(a.DetailHash, b.DetailHash))
	})
	h := sha256.New()
	fmt.Fprintf(h, "findings of %s\n", invHash)
	for _, f := range fs {
		fmt.Fprintf(h, "finding %d %s %s %s %s %t %g %s\n", idxOf[int64(f.Package)], f.VulnerabilityID, f.Status, f.FixedVersion, f.Severity, f.KEV, f.EPSS, f.DetailHash)
	}
	hash := "sha256:" + hex.EncodeToString(h.Sum(nil))
	var id int64
	err := tx.QueryRowContext(ctx, s.q(`SELECT id FROM finding_set WHERE hash = ?`), hash).Scan(&id)
	if err == nil {
		return sql.NullInt64{Int64: id, Valid: true}, nil
	}
	if err != sql.ErrNoRows {
		return sql.NullInt64{}, fmt.Errorf("finding set %s: %w", hash, err)
	}
	details, err := s.details(ctx, tx, fs)
	if err != nil {
		return sql.NullInt64{}, err
	}
	rows := make([]setRow, len(fs))
	for i, f := range fs {
		rows[i] = setRow{pkg: int64(f.Package), vulnerability: f.VulnerabilityID, status: f.Status, fixed: f.FixedVersion,
			severity: f.Severity, kev: f.KEV, epss: f.EPSS, detail: details[f.DetailHash]}
	}
	if id, err = s.putSet(ctx, tx, hash, inventory, rows); err != nil {
		return sql.NullInt64{}, err
	}
	return sql.NullInt64{Int64: id, Valid: true}, nil
}
