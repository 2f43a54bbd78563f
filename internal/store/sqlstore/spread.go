package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"maps"
	"math"
	"slices"
	"strings"

	"github.com/customs-scanner/customs/internal/store"
)

// Spread reads a short row per package row q selects and per current
// snapshot's layer holding one, each holder once (its kind, key and name
// only, unless subjects is set), groups the holdings, and reads the
// findings of each distinct (finding set, package) pair once.
//
// A holding's findings are its package's in the finding set of the lowest
// layer of its snapshot holding the package's inventory, as Holders has
// them. Where two holdings of a version name one vulnerability of one
// package version with different details (snapshots matched against
// different builds), the version lists it as the first of them in Holders'
// order gives it, as store.Spread does.
func (s *Store) Spread(ctx context.Context, q store.PackageQuery, key func(store.Holding) string, subjects bool) ([]store.VersionSpread, error) {
	if subjects {
		return s.spread(ctx, q, key, listWhole)
	}
	return s.spread(ctx, q, key, 0)
}

// SpreadOf is Spread listing at most perVersion holders of each version
// (all when perVersion is 0), each by its kind, key and name: the
// dashboard's package page.
func (s *Store) SpreadOf(ctx context.Context, q store.PackageQuery, key func(store.Holding) string, perVersion int) ([]store.VersionSpread, error) {
	if perVersion <= 0 {
		perVersion = math.MaxInt
	}
	return s.spread(ctx, q, key, perVersion)
}

// listWhole, as spread's list, lists every holder whole.
const listWhole = -1

// spread answers Spread and SpreadOf: list is how many holders of each
// version are listed, by kind, key and name (0: none), or listWhole.
func (s *Store) spread(ctx context.Context, q store.PackageQuery, key func(store.Holding) string, list int) ([]store.VersionSpread, error) {
	cond, args, err := packageCondition(q)
	if err != nil {
		return nil, err
	}
	if key == nil {
		key = func(h store.Holding) string { return h.PackageVersion }
	}
	type pkgRow struct {
		id    int64
		h     store.Holding // name, version, type and PURL
		layer string        // its inventory's DiffID
	}
	pkgs := map[int64]*pkgRow{}
	byInventory := map[int64][]*pkgRow{}
	err = s.query(ctx, `SELECT p.id, p.name, p.version, p.type, p.purl, p.inventory, i.diff_id
		FROM package p JOIN inventory i ON i.id = p.inventory WHERE `+cond, args, func(r *sql.Rows) error {
		x := &pkgRow{}
		var inv int64
		if err := r.Scan(&x.id, &x.h.PackageName, &x.h.PackageVersion, &x.h.PackageType, &x.h.PURL, &inv, &x.layer); err != nil {
			return err
		}
		pkgs[x.id] = x
		byInventory[inv] = append(byInventory[inv], x)
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(pkgs) == 0 {
		return []store.VersionSpread{}, nil
	}
	// The current snapshots' layers holding those inventories: a row per
	// layer, not per package, without the subject's columns (an index
	// probe on SQLite). A subject holds an inventory at its lowest layer
	// holding it.
	type held struct{ subject, inventory int64 }
	type at struct {
		idx int
		set sql.NullInt64
	}
	first := map[held]at{}
	holderIDs := map[int64]bool{}
	err = s.query(ctx, `SELECT sj.id, sl.inventory, sl.idx, sl.findings
		FROM snapshot_layer sl JOIN subject sj ON sj.current_snapshot = sl.snapshot
		WHERE sl.inventory IN (SELECT p.inventory FROM package p WHERE `+cond+`)`, args, func(r *sql.Rows) error {
		var k held
		var l at
		if err := r.Scan(&k.subject, &k.inventory, &l.idx, &l.set); err != nil {
			return err
		}
		holderIDs[k.subject] = true
		if prev, ok := first[k]; !ok || l.idx < prev.idx {
			first[k] = l
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	// The holders: whole when they are listed, else their kind, key and
	// name (what counts and orders them).
	type subjectRow struct{ kind, digest, name string }
	subjectsOf := make(map[int64]*subjectRow, len(holderIDs))
	var full map[int64]store.Subject
	if list == listWhole {
		if full, err = s.subjects(ctx, slices.Collect(maps.Keys(holderIDs))); err != nil {
			return nil, err
		}
		for id, sj := range full {
			subjectsOf[id] = &subjectRow{sj.Kind, sj.Digest, sj.Name}
		}
	} else {
		rd, err := s.subjectReader(ctx, slices.Collect(maps.Keys(holderIDs)))
		if err != nil {
			return nil, err
		}
		err = rd.read(ctx, `SELECT id, kind, key, name FROM subject WHERE %s`, "id", func(r *sql.Rows) error {
			var id int64
			sj := &subjectRow{}
			if err := r.Scan(&id, &sj.kind, &sj.digest, &sj.name); err != nil {
				return err
			}
			if rd.want(id) {
				subjectsOf[id] = sj
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	// A holding's place in Holders' order: by subject (kind, name,
	// digest), package name, version, PURL and layer.
	type holding struct {
		subject *subjectRow
		pkg     *pkgRow
	}
	compareHoldings := func(a, b holding) int {
		return cmp.Or(cmp.Compare(a.subject.kind, b.subject.kind), cmp.Compare(a.subject.name, b.subject.name), cmp.Compare(a.subject.digest, b.subject.digest),
			cmp.Compare(a.pkg.h.PackageName, b.pkg.h.PackageName), cmp.Compare(a.pkg.h.PackageVersion, b.pkg.h.PackageVersion),
			cmp.Compare(a.pkg.h.PURL, b.pkg.h.PURL), cmp.Compare(a.pkg.layer, b.pkg.layer))
	}
	type pair = [2]int64 // (finding set, package)
	type group struct {
		v        store.VersionSpread
		subjects map[int64]bool
		// firstOf is, per (set, package) pair of the group's holdings,
		// the first holding of it in Holders' order.
		firstOf map[pair]holding
	}
	groups := map[string]*group{}
	pairs := map[pair]bool{}
	for k, l := range first {
		sj := subjectsOf[k.subject]
		if sj == nil {
			continue // gone since the layers were read
		}
		for _, x := range byInventory[k.inventory] {
			gk := key(x.h)
			g := groups[gk]
			if g == nil {
				g = &group{v: store.VersionSpread{Version: gk, Versions: []string{}, Subjects: []store.Subject{}, Vulnerabilities: []store.Finding{}},
					subjects: map[int64]bool{}, firstOf: map[pair]holding{}}
				groups[gk] = g
			}
			if !slices.Contains(g.v.Versions, x.h.PackageVersion) {
				g.v.Versions = append(g.v.Versions, x.h.PackageVersion)
			}
			if !g.subjects[k.subject] {
				g.subjects[k.subject] = true
				if sj.kind == store.KindHost {
					g.v.Hosts++
				} else {
					g.v.Images++
				}
			}
			if !l.set.Valid {
				continue
			}
			p, h := pair{l.set.Int64, x.id}, holding{sj, x}
			if prev, ok := g.firstOf[p]; !ok || compareHoldings(h, prev) < 0 {
				g.firstOf[p] = h
			}
			pairs[p] = true
		}
	}
	found, err := s.pairFindings(ctx, slices.SortedFunc(maps.Keys(pairs), comparePairs))
	if err != nil {
		return nil, err
	}
	out := make([]store.VersionSpread, 0, len(groups))
	for _, g := range groups {
		v := g.v
		// The findings of the group's pairs in the order of their first
		// holdings, each vulnerability of a version once.
		ps := slices.SortedFunc(maps.Keys(g.firstOf), func(a, b pair) int {
			return cmp.Or(compareHoldings(g.firstOf[a], g.firstOf[b]), comparePairs(a, b))
		})
		seen := map[[2]string]bool{}
		for _, p := range ps {
			x := pkgs[p[1]]
			for _, f := range found[p] {
				if k := [2]string{f.VulnerabilityID, x.h.PackageVersion}; !seen[k] {
					seen[k] = true
					f.PackageName, f.PackageVersion, f.PURL = x.h.PackageName, x.h.PackageVersion, x.h.PURL
					v.Vulnerabilities = append(v.Vulnerabilities, f)
				}
			}
		}
		if list != 0 {
			// Sorted by their short rows: a Subject is large to swap.
			type member struct {
				id  int64
				row *subjectRow
			}
			ms := make([]member, 0, len(g.subjects))
			for id := range g.subjects {
				ms = append(ms, member{id, subjectsOf[id]})
			}
			slices.SortFunc(ms, func(a, b member) int {
				return cmp.Or(cmp.Compare(a.row.kind, b.row.kind), cmp.Compare(a.row.name, b.row.name), cmp.Compare(a.row.digest, b.row.digest))
			})
			if list != listWhole {
				ms = ms[:min(list, len(ms))]
			}
			v.Subjects = make([]store.Subject, len(ms))
			for i, m := range ms {
				if list == listWhole {
					v.Subjects[i] = full[m.id]
				} else {
					v.Subjects[i] = store.Subject{Kind: m.row.kind, Digest: m.row.digest, Name: m.row.name}
				}
			}
		}
		slices.Sort(v.Versions)
		slices.SortFunc(v.Vulnerabilities, func(a, b store.Finding) int {
			return cmp.Or(cmp.Compare(a.VulnerabilityID, b.VulnerabilityID), cmp.Compare(a.PackageVersion, b.PackageVersion))
		})
		out = append(out, v)
	}
	slices.SortFunc(out, func(a, b store.VersionSpread) int { return cmp.Compare(a.Version, b.Version) })
	return out, nil
}

func comparePairs(a, b [2]int64) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) }

// pairFindings reads the findings of (finding set, package) pairs, one
// index probe a pair, each pair's sorted by vulnerability ID. The
// findings carry no package name, version or PURL.
func (s *Store) pairFindings(ctx context.Context, pairs [][2]int64) (map[[2]int64][]store.Finding, error) {
	found := map[[2]int64][]store.Finding{}
	const pairChunk = 250
	for rest := pairs; len(rest) > 0; {
		n := min(pairChunk, len(rest))
		args := make([]any, 0, 2*n)
		for _, p := range rest[:n] {
			args = append(args, p[0], p[1])
		}
		// The pairs as a table joined to the finding index (both
		// backends name a VALUES list's columns column1, …).
		values := "(CAST(? AS BIGINT), CAST(? AS BIGINT))" + strings.Repeat(", (?, ?)", n-1)
		err := s.query(ctx, `SELECT f.finding_set, f.package, f.vulnerability_id, f.status, f.fixed_version, f.severity, f.kev
			FROM (VALUES `+values+`) v JOIN finding f ON f.finding_set = v.column1 AND f.package = v.column2`,
			args, func(r *sql.Rows) error {
				var p [2]int64
				var f store.Finding
				if err := r.Scan(&p[0], &p[1], &f.VulnerabilityID, &f.Status, &f.FixedVersion, &f.Severity, &f.KEV); err != nil {
					return err
				}
				found[p] = append(found[p], f)
				return nil
			})
		if err != nil {
			return nil, err
		}
		rest = rest[n:]
	}
	for _, fs := range found {
		slices.SortFunc(fs, func(a, b store.Finding) int { return cmp.Compare(a.VulnerabilityID, b.VulnerabilityID) })
	}
	return found, nil
}
