package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"
	"time"

	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/store"
)

// PackageKeys returns the distinct keys of the stored packages matched on
// their own (not owned, with an ecosystem).
func (s *Store) PackageKeys(ctx context.Context) ([]store.PackageKey, error) {
	set := map[store.PackageKey]bool{}
	err := s.query(ctx, `SELECT DISTINCT ecosystem, CASE WHEN source_name <> '' THEN source_name ELSE name END, also_match
		FROM package WHERE owned = ? AND ecosystem <> ''`, []any{false}, func(r *sql.Rows) error {
		var eco, name, also string
		if err := r.Scan(&eco, &name, &also); err != nil {
			return err
		}
		set[store.PackageKey{Ecosystem: eco, Name: name}] = true
		for _, n := range strings.Fields(also) {
			set[store.PackageKey{Ecosystem: eco, Name: n}] = true
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make([]store.PackageKey, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	slices.SortFunc(out, func(a, b store.PackageKey) int {
		return strings.Compare(a.Ecosystem+"\x00"+a.Name, b.Ecosystem+"\x00"+b.Name)
	})
	return out, nil
}

// Digests returns the digests kept for build built.
func (s *Store) Digests(ctx context.Context, built time.Time) (map[store.PackageKey]string, error) {
	var out map[store.PackageKey]string
	err := s.query(ctx, `SELECT ecosystem, package, digest FROM advisory_digest WHERE built = ?`, []any{s.d.Time(built.UTC().Truncate(time.Microsecond))}, func(r *sql.Rows) error {
		var k store.PackageKey
		var d string
		if err := r.Scan(&k.Ecosystem, &k.Name, &d); err != nil {
			return err
		}
		if out == nil {
			out = map[store.PackageKey]string{}
		}
		out[k] = d
		return nil
	})
	return out, err
}

// SaveDigests replaces the digests of build built and drops those of
// builds no current snapshot was matched against.
func (s *Store) SaveDigests(ctx context.Context, built time.Time, digests map[store.PackageKey]string) error {
	b := s.d.Time(built.UTC().Truncate(time.Microsecond))
	rows := make([][]any, 0, len(digests))
	for k, d := range digests {
		rows = append(rows, []any{b, k.Ecosystem, k.Name, d})
	}
	slices.SortFunc(rows, func(x, y []any) int {
		return strings.Compare(x[1].(string)+"\x00"+x[2].(string), y[1].(string)+"\x00"+y[2].(string))
	})
	err := s.write(ctx, func(tx *sql.Tx) error {
		if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM advisory_digest WHERE built = ?`), b); err != nil {
			return err
		}
		if err := s.insertRows(ctx, tx, "advisory_digest", []string{"built", "ecosystem", "package", "digest"}, rows, ""); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, s.q(`DELETE FROM advisory_digest WHERE built <> ? AND built NOT IN
			(SELECT sn.db_built FROM subject sj JOIN snapshot sn ON sn.id = sj.current_snapshot WHERE sn.db_built IS NOT NULL)`), b)
		return err
	})
	if err != nil {
		return fmt.Errorf("store %s: advisory digests: %w", s.name, err)
	}
	return nil
}

// Holding returns the current snapshots holding a package with one of
// keys: found by name through the name and source indexes (and the
// AlsoMatch names through theirs), then checked key by key.
func (s *Store) Holding(ctx context.Context, keys []store.PackageKey) (map[int64]bool, error) {
	want := map[store.PackageKey]bool{}
	var names []any
	seen := map[string]bool{}
	for _, k := range keys {
		want[k] = true
		if !seen[k.Name] {
			seen[k.Name] = true
			names = append(names, k.Name)
		}
	}
	out := map[int64]bool{}
	for len(names) > 0 {
		n := min(chunk, len(names))
		in := placeholders(n)
		args := append(append([]any{false}, names[:n]...), names[:n]...)
		err := s.query(ctx, `SELECT sl.snapshot, p.ecosystem, p.name, p.source_name FROM package p
			JOIN snapshot_layer sl ON sl.inventory = p.inventory
			JOIN subject sj ON sj.current_snapshot = sl.snapshot
			WHERE p.owned = ? AND (p.source_name IN (`+in+`) OR (p.source_name = '' AND p.name IN (`+in+`)))`, args, func(r *sql.Rows) error {
			var snap int64
			var eco, name, source string
			if err := r.Scan(&snap, &eco, &name, &source); err != nil {
				return err
			}
			if source != "" {
				name = source
			}
			if want[store.PackageKey{Ecosystem: eco, Name: name}] {
				out[snap] = true
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		names = names[n:]
	}
	// AlsoMatch names: the few packages that have them.
	err := s.query(ctx, `SELECT sl.snapshot, p.ecosystem, p.also_match FROM package p
		JOIN snapshot_layer sl ON sl.inventory = p.inventory
		JOIN subject sj ON sj.current_snapshot = sl.snapshot
		WHERE p.also_match <> '' AND p.owned = ?`, []any{false}, func(r *sql.Rows) error {
		var snap int64
		var eco, also string
		if err := r.Scan(&snap, &eco, &also); err != nil {
			return err
		}
		for _, n := range strings.Fields(also) {
			if want[store.PackageKey{Ecosystem: eco, Name: n}] {
				out[snap] = true
			}
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return out, nil
}

// MarkMatched replaces the DB block of the given snapshots that are still
// current.
func (s *Store) MarkMatched(ctx context.Context, snapshots []int64, db *report.DB) error {
	return s.mark(ctx, slices.Sorted(slices.Values(snapshots)), nil, db)
}

// MarkRematched is MarkMatched with each snapshot's new content hash.
func (s *Store) MarkRematched(ctx context.Context, hashes map[int64]string, db *report.DB) error {
	return s.mark(ctx, slices.Sorted(maps.Keys(hashes)), hashes, db)
}

// mark sets the DB block, and with hashes the content hash, of the
// snapshots ids that are still current: one statement per markChunk of
// them (a full re-evaluation marks every subject, 10,000 round trips to a
// PostgreSQL server one by one).
func (s *Store) mark(ctx context.Context, ids []int64, hashes map[int64]string, db *report.DB) error {
	if len(ids) == 0 {
		return nil
	}
	b, err := json.Marshal(db)
	if err != nil {
		return err
	}
	built := s.nullTime(db.Built.UTC().Truncate(time.Microsecond))
	const markChunk = 200
	err = s.write(ctx, func(tx *sql.Tx) error {
		for rest := ids; len(rest) > 0; {
			n := min(markChunk, len(rest))
			var q strings.Builder
			args := make([]any, 0, 2+3*n)
			args = append(args, string(b), built)
			q.WriteString(`UPDATE snapshot SET db = ?, db_built = ?`)
			if hashes != nil {
				q.WriteString(`, content_hash = CASE id`)
				for _, id := range rest[:n] {
					q.WriteString(` WHEN ? THEN ?`)
					args = append(args, id, hashes[id])
				}
				q.WriteString(` END`)
			}
			q.WriteString(` WHERE id IN (` + placeholders(n) + `)
				AND EXISTS (SELECT 1 FROM subject WHERE current_snapshot = snapshot.id)`)
			args = append(args, anys(rest[:n])...)
			if _, err := tx.ExecContext(ctx, s.q(q.String()), args...); err != nil {
				return err
			}
			rest = rest[n:]
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("store %s: mark snapshots matched: %w", s.name, err)
	}
	return nil
}
