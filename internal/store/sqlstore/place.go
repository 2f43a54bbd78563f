package sqlstore

import (
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/customs-scanner/customs/internal/store"
)

// Place upserts the placements and drops those of the same sources that
// this recording did not see.
func (s *Store) Place(ctx context.Context, ps []store.Placement, now time.Time) error {
	if now.IsZero() {
		now = time.Now()
	}
	now = now.UTC().Truncate(time.Microsecond)
	type source struct{ runtime, file string }
	var sources []source
	var rows [][]any
	seen := map[[6]string]bool{}
	for _, p := range ps {
		if p.Runtime == "" || p.Image == "" {
			return fmt.Errorf("place: a placement needs a runtime and an image: %+v", p)
		}
		digest := p.Digest
		if _, d, ok := strings.Cut(p.Image, "@"); ok && digest == "" && strings.HasPrefix(d, "sha256:") {
			digest = d
		}
		key := [6]string{p.Runtime, p.Source, p.Namespace, p.Kind, p.Name, p.Container}
		if seen[key] {
			continue // one row per container; the first wins
		}
		seen[key] = true
		if src := (source{p.Runtime, p.Source}); !slices.Contains(sources, src) {
			sources = append(sources, src)
		}
		rows = append(rows, []any{p.Runtime, p.Source, p.Namespace, p.Kind, p.Name, p.Container, p.Image, store.NormalizeRef(p.Image), digest, s.d.Time(now), s.d.Time(now)})
	}
	// Rows in key order, as every recording takes them.
	slices.SortFunc(rows, func(a, b []any) int {
		for i := range 6 {
			if c := strings.Compare(a[i].(string), b[i].(string)); c != 0 {
				return c
			}
		}
		return 0
	})
	err := s.write(ctx, func(tx *sql.Tx) error {
		if err := s.insertRows(ctx, tx, "placement", []string{"runtime", "source", "namespace", "kind", "name", "container", "image", "ref", "digest", "first_seen", "last_seen"}, rows,
			`ON CONFLICT (runtime, source, namespace, kind, name, container) DO UPDATE SET
			  image = excluded.image, ref = excluded.ref, digest = excluded.digest, last_seen = excluded.last_seen`); err != nil {
			return err
		}
		for _, src := range sources {
			if _, err := tx.ExecContext(ctx, s.q(`DELETE FROM placement WHERE runtime = ? AND source = ? AND last_seen < ?`), src.runtime, src.file, s.d.Time(now)); err != nil {
				return err
			}
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("record placements in store %s: %w", s.name, err)
	}
	return nil
}

// placements returns, per subject ID, the placements that run it: by
// digest (its key) or by one of its references, normalised
// (store.NormalizeRef; rows from before migration 0005 as written).
func (s *Store) placements(ctx context.Context, subjects map[int64]store.Subject) (map[int64][]store.Placement, error) {
	var total int
	if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM placement`).Scan(&total); err != nil {
		return nil, fmt.Errorf("store %s: %w", s.name, err)
	}
	if total == 0 {
		return nil, nil
	}
	byName := map[string][]int64{}
	for id, sj := range subjects {
		if sj.Kind != store.KindImage {
			continue
		}
		names := []string{sj.Digest}
		for _, r := range sj.Refs {
			names = append(names, store.RefVariants(r)...)
		}
		for _, n := range names {
			if !slices.Contains(byName[n], id) {
				byName[n] = append(byName[n], id)
			}
		}
	}
	if len(byName) == 0 {
		return nil, nil
	}
	names := make([]string, 0, len(byName))
	for n := range byName {
		names = append(names, n)
	}
	slices.Sort(names)
	// The placements naming them: by IN lists of the names, or, when the
	// names outnumber the placements (a query about much of the fleet),
	// the whole table at once.
	type row struct {
		p   store.Placement
		ref string
	}
	var rows []row
	scan := func(r *sql.Rows) error {
		var x row
		var first, last timeValue
		if err := r.Scan(&x.p.Runtime, &x.p.Source, &x.p.Namespace, &x.p.Kind, &x.p.Name, &x.p.Container, &x.p.Image, &x.ref, &x.p.Digest, &first, &last); err != nil {
			return err
		}
		x.p.FirstSeen, x.p.LastSeen = first.t, last.t
		rows = append(rows, x)
		return nil
	}
	const columns = `SELECT runtime, source, namespace, kind, name, container, image, ref, digest, first_seen, last_seen FROM placement`
	switch {
	case total <= len(names):
		if err := s.query(ctx, columns+` ORDER BY runtime, source, namespace, kind, name, container`, nil, scan); err != nil {
			return nil, err
		}
	default:
		for _, col := range []string{"digest", "ref"} {
			if err := s.inList(ctx, columns+` WHERE `+col+` IN (%s)`, nil, anys(names), scan); err != nil {
				return nil, err
			}
		}
	}
	out := map[int64][]store.Placement{}
	// Two passes, by digest and by reference: a placement found both ways
	// is kept once.
	done := map[int64]map[[6]string]bool{}
	for _, byDigest := range []bool{true, false} {
		for _, x := range rows {
			p := x.p
			key := [6]string{p.Runtime, p.Source, p.Namespace, p.Kind, p.Name, p.Container}
			name := x.ref
			if byDigest {
				name = p.Digest
			}
			for _, id := range byName[name] {
				if done[id] == nil {
					done[id] = map[[6]string]bool{}
				}
				if !done[id][key] {
					done[id][key] = true
					out[id] = append(out[id], p)
				}
			}
		}
	}
	for id := range out {
		slices.SortFunc(out[id], func(a, b store.Placement) int {
			return strings.Compare(a.Runtime+"\x00"+a.Source+"\x00"+a.Namespace+"\x00"+a.Kind+"\x00"+a.Name+"\x00"+a.Container,
				b.Runtime+"\x00"+b.Source+"\x00"+b.Namespace+"\x00"+b.Kind+"\x00"+b.Name+"\x00"+b.Container)
		})
	}
	return out, nil
}
