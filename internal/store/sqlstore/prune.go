package sqlstore

import (
	"context"
	"database/sql"
	"fmt"

	"github.com/customs-scanner/customs/internal/store"
)

// Prune drops old snapshots, then the inventories no snapshot holds.
func (s *Store) Prune(ctx context.Context, opts store.PruneOptions) (store.Pruned, error) {
	var out store.Pruned
	err := s.write(ctx, func(tx *sql.Tx) error {
		out = store.Pruned{}
		q := `SELECT x.id FROM (SELECT id, recorded_at, ROW_NUMBER() OVER (PARTITION BY subject ORDER BY id DESC) AS rn FROM snapshot) x
			WHERE x.rn > ? AND NOT EXISTS (SELECT 1 FROM subject sj WHERE sj.current_snapshot = x.id)`
		args := []any{max(opts.KeepLast, 1)}
		if !opts.OlderThan.IsZero() {
			q += ` AND x.recorded_at < ?`
			args = append(args, s.d.Time(opts.OlderThan))
		}
		var ids []any
		rows, err := tx.QueryContext(ctx, s.q(q), args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var id int64
			if err := rows.Scan(&id); err != nil {
				rows.Close()
				return err
			}
			ids = append(ids, id)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for len(ids) > 0 {
			n := min(chunk, len(ids))
			in := "(" + placeholders(n) + ")"
			for _, table := range []string{"snapshot_layer", "snapshot_report"} {
				if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM `+table+` WHERE snapshot IN `+in), ids[:n]...); err != nil {
					return err
				}
			}
			res, err := tx.ExecContext(ctx, s.q(`DELETE FROM snapshot WHERE id IN `+in), ids[:n]...)
			if err != nil {
				return err
			}
			k, _ := res.RowsAffected()
			out.Snapshots += int(k)
			ids = ids[n:]
		}
		// Then the finding sets no snapshot names, the details no finding
		// names, and the inventories no snapshot holds.
		const unnamed = `NOT EXISTS (SELECT 1 FROM snapshot_layer sl WHERE sl.findings = finding_set.id)`
		if _, err := tx.ExecContext(ctx, `DELETE FROM finding WHERE finding_set IN (SELECT id FROM finding_set WHERE `+unnamed+`)`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM finding_set WHERE `+unnamed); err != nil {
			return err
		}
		const orphan = `NOT EXISTS (SELECT 1 FROM snapshot_layer sl WHERE sl.inventory = inventory.id)`
		if _, err := tx.ExecContext(ctx, `DELETE FROM package WHERE inventory IN (SELECT id FROM inventory WHERE `+orphan+`)`); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `DELETE FROM finding_detail WHERE id NOT IN (SELECT detail FROM finding WHERE detail IS NOT NULL)`); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM inventory WHERE `+orphan)
		if err != nil {
			return err
		}
		k, _ := res.RowsAffected()
		out.Inventories = int(k)
		// Delivered notifications of the pruned snapshots go with them;
		// pending and failed ones stay for customs notify status.
		res, err = tx.ExecContext(ctx, s.q(`DELETE FROM outbox WHERE state = ? AND NOT EXISTS (SELECT 1 FROM snapshot sn WHERE sn.id = outbox.snapshot)`), store.Delivered)
		if err != nil {
			return err
		}
		k, _ = res.RowsAffected()
		out.Notifications = int(k)
		return nil
	})
	if err != nil {
		return store.Pruned{}, fmt.Errorf("prune store %s: %w", s.name, err)
	}
	return out, nil
}
