package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
)

// A finding set is the findings of one layer inventory's packages as the
// snapshots naming it (snapshot_layer.findings) have them, addressed by a
// hash of its content (migration 0009): images on one base layer matched
// against one build share their base's set.

// findingColumns are a finding row's columns after its set.
var findingColumns = []string{"finding_set", "package", "vulnerability_id", "status", "fixed_version", "severity", "kev", "epss", "detail"}

// setRow is one finding of a set as written.
type setRow struct {
	pkg                                    int64
	vulnerability, status, fixed, severity string
	kev                                    bool
	epss                                   float64
	detail                                 any // int64, or nil for rows recorded before details were kept
}

// setCounts are what a finding_set row counts of its findings.
type setCounts struct {
	findings, kev, fixable int
	summary                map[string]int
}

func countRows(rows []setRow) setCounts {
	c := setCounts{findings: len(rows), summary: map[string]int{}}
	for _, r := range rows {
		c.summary[r.severity]++
		if r.kev {
			c.kev++
		}
		if r.fixed != "" {
			c.fixable++
		}
	}
	return c
}

// putSet returns the ID of the set with the given hash, writing it with
// rows when the store does not hold it yet. Concurrent writers of one
// set wait for each other on its hash (as for inventories): the second
// finds the first's.
func (s *Store) putSet(ctx context.Context, tx *sql.Tx, hash string, inventory int64, rows []setRow) (int64, error) {
	c := countRows(rows)
	summary, err := json.Marshal(c.summary)
	if err != nil {
		return 0, err
	}
	var id int64
	err = tx.QueryRowContext(ctx, s.q(`INSERT INTO finding_set (hash, inventory, findings, kev, fixable, summary) VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT (hash) DO NOTHING RETURNING id`), hash, inventory, c.findings, c.kev, c.fixable, string(summary)).Scan(&id)
	switch {
	case err == sql.ErrNoRows:
		if err := tx.QueryRowContext(ctx, s.q(`SELECT id FROM finding_set WHERE hash = ?`), hash).Scan(&id); err != nil {
			return 0, fmt.Errorf("finding set %s: %w", hash, err)
		}
		return id, nil
	case err != nil:
		return 0, fmt.Errorf("finding set %s: %w", hash, err)
	}
	vals := make([][]any, len(rows))
	for i, r := range rows {
		vals[i] = []any{id, r.pkg, r.vulnerability, r.status, r.fixed, r.severity, r.kev, r.epss, r.detail}
	}
	if err := s.insertRows(ctx, tx, "finding", findingColumns, vals, ""); err != nil {
		return 0, err
	}
	return id, nil
}

// setSummaries returns the counts of the given sets, by ID.
func (s *Store) setSummaries(ctx context.Context, tx *sql.Tx, ids []int64) (map[int64]setCounts, error) {
	out := map[int64]setCounts{}
	ids = slices.Compact(slices.Sorted(slices.Values(ids)))
	for rest := ids; len(rest) > 0; {
		n := min(chunk, len(rest))
		rows, err := tx.QueryContext(ctx, s.q(`SELECT id, findings, kev, fixable, summary FROM finding_set WHERE id IN (`+placeholders(n)+`)`), anys(rest[:n])...)
		if err != nil {
			return nil, err
		}
		for rows.Next() {
			var id int64
			var c setCounts
			var summary string
			if err := rows.Scan(&id, &c.findings, &c.kev, &c.fixable, &summary); err != nil {
				rows.Close()
				return nil, err
			}
			if err := json.Unmarshal([]byte(summary), &c.summary); err != nil {
				rows.Close()
				return nil, fmt.Errorf("finding set %d summary: %w", id, err)
			}
			out[id] = c
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return nil, err
		}
		rest = rest[n:]
	}
	return out, nil
}

// addSummaries sums the by-severity counts of sets.
func addSummaries(cs ...setCounts) map[string]int {
	out := map[string]int{}
	for _, c := range cs {
		for k, v := range c.summary {
			out[k] += v
		}
	}
	return out
}
