package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"

	"github.com/customs-scanner/customs/internal/store"
)

// Record keeps a report as its subject's current snapshot. Rows are
// taken in one order by every recording (the subject, then inventories by
// hash, then aliases), so concurrent recordings wait for each other
// instead of deadlocking.
func (s *Store) Record(ctx context.Context, in store.Input) (store.Recorded, error) {
	p, err := store.Prepare(in)
	if err != nil {
		return store.Recorded{}, err
	}
	var out store.Recorded
	err = s.write(ctx, func(tx *sql.Tx) error {
		var err error
		out, err = s.record(ctx, tx, p)
		return err
	})
	if err != nil {
		return store.Recorded{}, fmt.Errorf("record %s in store %s: %w", p.Key, s.name, err)
	}
	return out, nil
}

func (s *Store) record(ctx context.Context, tx *sql.Tx, p *store.Prepared) (store.Recorded, error) {
	out := store.Recorded{Layers: len(p.Layers)}
	labels, err := json.Marshal(p.Labels)
	if err != nil {
		return out, err
	}
	if p.Labels == nil {
		labels = []byte("{}")
	}
	seen := s.d.Time(p.Seen)
	// The upsert locks the subject's row until commit: recordings of one
	// subject take turns.
	var id int64
	var current sql.NullInt64
	if p.Replaces != 0 {
		// Re-evaluation: the subject was not seen again; the update only
		// locks its row.
		err = tx.QueryRowContext(ctx, s.q(`UPDATE subject SET last_seen = last_seen WHERE kind = ? AND key = ? RETURNING id, current_snapshot`),
			p.Kind, p.Key).Scan(&id, &current)
		if err == sql.ErrNoRows {
			out.Subject, out.Superseded = store.Subject{Kind: p.Kind, Digest: p.Key, Name: p.Name}, true
			return out, nil
		}
		if err != nil {
			return out, fmt.Errorf("subject: %w", err)
		}
	} else {
		err = tx.QueryRowContext(ctx, s.q(`INSERT INTO subject (kind, key, name, config_digest, platform, labels, first_seen, last_seen)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)
		ON CONFLICT (kind, key) DO UPDATE SET
		  name = CASE WHEN excluded.name <> '' THEN excluded.name ELSE subject.name END,
		  config_digest = CASE WHEN excluded.config_digest <> '' THEN excluded.config_digest ELSE subject.config_digest END,
		  platform = CASE WHEN excluded.platform <> '' THEN excluded.platform ELSE subject.platform END,
		  labels = CASE WHEN excluded.labels <> '{}' THEN excluded.labels ELSE subject.labels END,
		  first_seen = CASE WHEN excluded.first_seen < subject.first_seen THEN excluded.first_seen ELSE subject.first_seen END,
		  last_seen = CASE WHEN excluded.last_seen > subject.last_seen THEN excluded.last_seen ELSE subject.last_seen END
		RETURNING id, current_snapshot`),
			p.Kind, p.Key, p.Name, p.ConfigDigest, p.Platform, string(labels), seen, seen).Scan(&id, &current)
		if err != nil {
			return out, fmt.Errorf("subject: %w", err)
		}
	}
	// Re-evaluation saw no reference again.
	var refs [][]any
	for _, r := range p.Refs {
		if p.Replaces == 0 {
			refs = append(refs, []any{id, r, seen, seen})
		}
	}
	if err := s.insertRows(ctx, tx, "subject_ref", []string{"subject", "ref", "first_seen", "last_seen"}, refs,
		`ON CONFLICT (subject, ref) DO UPDATE SET
		  first_seen = CASE WHEN excluded.first_seen < subject_ref.first_seen THEN excluded.first_seen ELSE subject_ref.first_seen END,
		  last_seen = CASE WHEN excluded.last_seen > subject_ref.last_seen THEN excluded.last_seen ELSE subject_ref.last_seen END`); err != nil {
		return out, err
	}
	if p.Replaces != 0 && (!current.Valid || current.Int64 != p.Replaces) {
		out.Subject, out.Snapshot, out.Superseded = store.Subject{Kind: p.Kind, Digest: p.Key, Name: p.Name}, current.Int64, true
		return out, nil
	}
	if p.Replaces != 0 && p.Unchanged {
		// The same findings from another DB build: the snapshot now
		// says it was matched against this one.
		if _, err := tx.ExecContext(ctx, s.q(`UPDATE snapshot SET db = ?, db_built = ?, content_hash = ? WHERE id = ?`),
			p.DB, s.nullTime(p.DBBuilt), p.ContentHash, p.Replaces); err != nil {
			return out, fmt.Errorf("snapshot %d: %w", p.Replaces, err)
		}
		out.Subject, out.Snapshot = store.Subject{Kind: p.Kind, Digest: p.Key, Name: p.Name}, p.Replaces
		return out, nil
	}
	if current.Valid {
		var hash string
		if err := tx.QueryRowContext(ctx, s.q(`SELECT content_hash FROM snapshot WHERE id = ?`), current.Int64).Scan(&hash); err != nil {
			return out, fmt.Errorf("current snapshot: %w", err)
		}
		if hash == p.ContentHash {
			out.Subject, out.Snapshot = store.Subject{Kind: p.Kind, Digest: p.Key, Name: p.Name}, current.Int64
			return out, nil
		}
	}

	// Inventories, in hash order.
	order := make([]int, len(p.Layers))
	for i := range order {
		order[i] = i
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(p.Layers[a].Hash, p.Layers[b].Hash) })
	invIDs := make([]int64, len(p.Layers))
	pkgIDs := make([][]int64, len(p.Layers))
	done := map[string]int{}
	for _, i := range order {
		l := p.Layers[i]
		if j, ok := done[l.Hash]; ok {
			invIDs[i], pkgIDs[i] = invIDs[j], pkgIDs[j]
			continue
		}
		done[l.Hash] = i
		inv, pkgs, isNew, err := s.inventory(ctx, tx, l)
		if err != nil {
			return out, err
		}
		invIDs[i], pkgIDs[i] = inv, pkgs
		if isNew {
			out.NewInventories++
		}
	}

	summary, err := json.Marshal(p.Summary)
	if err != nil {
		return out, err
	}
	var snap int64
	err = tx.QueryRowContext(ctx, s.q(`INSERT INTO snapshot (subject, content_hash, scanned_at, recorded_at, tool, db, db_built, packages, summary)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?) RETURNING id`),
		id, p.ContentHash, s.d.Time(p.ScannedAt), seen, p.Tool, p.DB, s.nullTime(p.DBBuilt), p.Packages, string(summary)).Scan(&snap)
	if err != nil {
		return out, fmt.Errorf("snapshot: %w", err)
	}
	if p.Report != nil {
		if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO snapshot_report (snapshot, data) VALUES (?, ?)`), snap, p.Report); err != nil {
			return out, fmt.Errorf("snapshot report: %w", err)
		}
	}
	details, err := s.details(ctx, tx, p.Findings)
	if err != nil {
		return out, err
	}
	sets, err := s.layerSets(ctx, tx, p, invIDs, pkgIDs, details)
	if err != nil {
		return out, err
	}
	var layers [][]any
	for i, l := range p.Layers {
		layers = append(layers, []any{snap, i, invIDs[i], l.CreatedBy, sets[i]})
	}
	if err := s.insertRows(ctx, tx, "snapshot_layer", []string{"snapshot", "idx", "inventory", "created_by", "findings"}, layers, ""); err != nil {
		return out, err
	}
	var aliases [][]any
	for _, a := range p.Aliases {
		aliases = append(aliases, []any{a[0], a[1]})
	}
	if err := s.insertRows(ctx, tx, "vulnerability_alias", []string{"id", "alias"}, aliases, "ON CONFLICT (id, alias) DO NOTHING"); err != nil {
		return out, err
	}
	if _, err := tx.ExecContext(ctx, s.q(`UPDATE subject SET current_snapshot = ? WHERE id = ?`), snap, id); err != nil {
		return out, err
	}
	var outbox [][]any
	for _, d := range p.Outbox {
		outbox = append(outbox, []any{d.ID, id, snap, d.Target, string(d.Body), seen, seen, store.Pending})
	}
	if err := s.insertRows(ctx, tx, "outbox", []string{"id", "subject", "snapshot", "target", "body", "created_at", "next_attempt", "state"}, outbox, ""); err != nil {
		return out, err
	}
	out.Subject, out.Snapshot, out.New = store.Subject{Kind: p.Kind, Digest: p.Key, Name: p.Name}, snap, true
	return out, nil
}

// inventory returns the ID of layer l's inventory and of its packages
// (by index), inserting them when the inventory is new.
func (s *Store) inventory(ctx context.Context, tx *sql.Tx, l store.Layer) (int64, []int64, bool, error) {
	var id int64
	err := tx.QueryRowContext(ctx, s.q(`INSERT INTO inventory (hash, diff_id, packages) VALUES (?, ?, ?) ON CONFLICT (hash) DO NOTHING RETURNING id`),
		l.Hash, l.DiffID, len(l.Packages)).Scan(&id)
	isNew := err == nil
	switch {
	case err == sql.ErrNoRows:
		if err := tx.QueryRowContext(ctx, s.q(`SELECT id FROM inventory WHERE hash = ?`), l.Hash).Scan(&id); err != nil {
			return 0, nil, false, fmt.Errorf("inventory %s: %w", l.Hash, err)
		}
	case err != nil:
		return 0, nil, false, fmt.Errorf("inventory %s: %w", l.Hash, err)
	}
	if isNew {
		var rows [][]any
		for i, p := range l.Packages {
			rows = append(rows, []any{id, i, p.Key, p.Type, p.Name, p.Version, p.PURL, p.PURLBase, p.Ecosystem, p.SourceName, p.SourceVersion, p.Owned, p.AlsoMatch, p.JSON})
		}
		if err := s.insertRows(ctx, tx, "package", []string{"inventory", "idx", "key", "type", "name", "version", "purl", "purl_base", "ecosystem", "source_name", "source_version", "owned", "also_match", "data"}, rows, ""); err != nil {
			return 0, nil, false, err
		}
	}
	ids := make([]int64, len(l.Packages))
	rows, err := tx.QueryContext(ctx, s.q(`SELECT id, idx FROM package WHERE inventory = ?`), id)
	if err != nil {
		return 0, nil, false, err
	}
	defer rows.Close()
	n := 0
	for rows.Next() {
		var pid int64
		var idx int
		if err := rows.Scan(&pid, &idx); err != nil {
			return 0, nil, false, err
		}
		if idx < 0 || idx >= len(ids) {
			return 0, nil, false, fmt.Errorf("inventory %s: package index %d out of range", l.Hash, idx)
		}
		ids[idx] = pid
		n++
	}
	if err := rows.Err(); err != nil {
		return 0, nil, false, err
	}
	if n != len(ids) {
		return 0, nil, false, fmt.Errorf("inventory %s holds %d packages, want %d", l.Hash, n, len(ids))
	}
	return id, ids, isNew, nil
}

// layerSets returns, per layer, the ID of its finding set (nil when it has
// no findings), writing the sets the store does not hold yet, in hash
// order.
func (s *Store) layerSets(ctx context.Context, tx *sql.Tx, p *store.Prepared, invIDs []int64, pkgIDs [][]int64, details map[string]int64) ([]any, error) {
	rows := make([][]setRow, len(p.Layers))
	for _, f := range p.Findings {
		rows[f.Layer] = append(rows[f.Layer], setRow{pkg: pkgIDs[f.Layer][f.Package], vulnerability: f.VulnerabilityID, status: f.Status,
			fixed: f.FixedVersion, severity: f.Severity, kev: f.KEV, epss: f.EPSS, detail: details[f.DetailHash]})
	}
	var order []int
	for i, l := range p.Layers {
		if l.FindingSet != "" {
			order = append(order, i)
		}
	}
	slices.SortFunc(order, func(a, b int) int { return cmp.Compare(p.Layers[a].FindingSet, p.Layers[b].FindingSet) })
	out := make([]any, len(p.Layers))
	ids := map[string]int64{}
	for _, i := range order {
		h := p.Layers[i].FindingSet
		if id, ok := ids[h]; ok {
			out[i] = id
			continue
		}
		id, err := s.putSet(ctx, tx, h, invIDs[i], rows[i])
		if err != nil {
			return nil, err
		}
		ids[h], out[i] = id, id
	}
	return out, nil
}

// details stores the findings' details not stored yet, in hash order, and
// returns the ID of each by hash.
func (s *Store) details(ctx context.Context, tx *sql.Tx, fs []store.PreparedFinding) (map[string]int64, error) {
	data := map[string]string{}
	for _, f := range fs {
		data[f.DetailHash] = f.Detail
	}
	hashes := make([]string, 0, len(data))
	for h := range data {
		hashes = append(hashes, h)
	}
	slices.Sort(hashes)
	rows := make([][]any, len(hashes))
	for i, h := range hashes {
		rows[i] = []any{h, data[h]}
	}
	if err := s.insertRows(ctx, tx, "finding_detail", []string{"hash", "data"}, rows, "ON CONFLICT (hash) DO NOTHING"); err != nil {
		return nil, err
	}
	ids := make(map[string]int64, len(hashes))
	for rest := hashes; len(rest) > 0; {
		n := min(chunk, len(rest))
		r, err := tx.QueryContext(ctx, s.q(`SELECT id, hash FROM finding_detail WHERE hash IN (`+placeholders(n)+`)`), anys(rest[:n])...)
		if err != nil {
			return nil, fmt.Errorf("finding details: %w", err)
		}
		for r.Next() {
			var id int64
			var h string
			if err := r.Scan(&id, &h); err != nil {
				r.Close()
				return nil, err
			}
			ids[h] = id
		}
		err = r.Err()
		r.Close()
		if err != nil {
			return nil, err
		}
		rest = rest[n:]
	}
	if len(ids) != len(hashes) {
		return nil, fmt.Errorf("finding details: %d stored, want %d", len(ids), len(hashes))
	}
	return ids, nil
}
