package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/store"
)

// chunk bounds the values of one IN list.
const chunk = 500

// inList runs query once per chunk of args, with IN (%s) filled by the
// chunk's placeholders after the fixed leading arguments, and hands each
// row to scan.
func (s *Store) inList(ctx context.Context, query string, lead []any, args []any, scan func(*sql.Rows) error) error {
	for len(args) > 0 {
		n := min(chunk, len(args))
		q := s.q(fmt.Sprintf(query, placeholders(n)))
		rows, err := s.db.QueryContext(ctx, q, append(slices.Clone(lead), args[:n]...)...)
		if err != nil {
			return fmt.Errorf("store %s: %w", s.name, err)
		}
		for rows.Next() {
			if err := scan(rows); err != nil {
				rows.Close()
				return fmt.Errorf("store %s: %w", s.name, err)
			}
		}
		err = rows.Err()
		rows.Close()
		if err != nil {
			return fmt.Errorf("store %s: %w", s.name, err)
		}
		args = args[n:]
	}
	return nil
}

func anys[T any](xs []T) []any {
	out := make([]any, len(xs))
	for i, x := range xs {
		out[i] = x
	}
	return out
}

// aliases returns id with every ID the stored findings name as its alias
// or as having it as alias, two hops deep (a GHSA naming the CVE that a
// GO- record also names).
func (s *Store) aliases(ctx context.Context, id string) ([]string, error) {
	set := map[string]bool{id: true}
	if u := strings.ToUpper(id); strings.HasPrefix(u, "CVE-") {
		set[u] = true
	}
	for range 2 {
		var ids []string
		for k := range set {
			ids = append(ids, k)
		}
		in := placeholders(len(ids))
		err := s.query(ctx, `SELECT id, alias FROM vulnerability_alias WHERE id IN (`+in+`) OR alias IN (`+in+`)`, append(anys(ids), anys(ids)...), func(r *sql.Rows) error {
			var a, b string
			if err := r.Scan(&a, &b); err != nil {
				return err
			}
			set[a], set[b] = true, true
			return nil
		})
		if err != nil {
			return nil, err
		}
	}
	out := make([]string, 0, len(set))
	for k := range set {
		out = append(out, k)
	}
	slices.Sort(out)
	return out, nil
}

// Where returns the current findings of id or its aliases.
func (s *Store) Where(ctx context.Context, id string) ([]store.Match, error) {
	ids, err := s.aliases(ctx, id)
	if err != nil {
		return nil, err
	}
	type row struct {
		subject int64
		m       store.Match
	}
	var rows []row
	err = s.inList(ctx, `SELECT sj.id, f.vulnerability_id, f.status, f.fixed_version, f.severity, p.name, p.version, p.type, p.purl, i.diff_id, sl.created_by
		FROM finding f
		JOIN snapshot_layer sl ON sl.findings = f.finding_set
		JOIN subject sj ON sj.current_snapshot = sl.snapshot
		JOIN package p ON p.id = f.package
		JOIN inventory i ON i.id = p.inventory
		WHERE f.vulnerability_id IN (%s)`, nil, anys(ids), func(r *sql.Rows) error {
		var x row
		m := &x.m
		if err := r.Scan(&x.subject, &m.VulnerabilityID, &m.Status, &m.FixedVersion, &m.Severity, &m.PackageName, &m.PackageVersion, &m.PackageType, &m.PURL, &m.Layer, &m.CreatedBy); err != nil {
			return err
		}
		rows = append(rows, x)
		return nil
	})
	if err != nil {
		return nil, err
	}
	ids64 := make([]int64, len(rows))
	for i, r := range rows {
		ids64[i] = r.subject
	}
	subjects, err := s.subjects(ctx, ids64)
	if err != nil {
		return nil, err
	}
	running, err := s.placements(ctx, subjects)
	if err != nil {
		return nil, err
	}
	out := make([]store.Match, len(rows))
	for i, r := range rows {
		out[i] = r.m
		out[i].Subject = subjects[r.subject]
		out[i].RunningIn = running[r.subject]
	}
	slices.SortFunc(out, func(a, b store.Match) int {
		return cmp.Or(compareSubjects(a.Subject, b.Subject), cmp.Compare(a.PackageName, b.PackageName), cmp.Compare(a.PackageVersion, b.PackageVersion),
			cmp.Compare(a.PURL, b.PURL), cmp.Compare(a.Layer, b.Layer), cmp.Compare(a.VulnerabilityID, b.VulnerabilityID))
	})
	return out, nil
}

func compareSubjects(a, b store.Subject) int {
	return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Digest, b.Digest))
}

// packageCondition is the WHERE condition on package p for q, and its
// arguments.
func packageCondition(q store.PackageQuery) (string, []any, error) {
	switch {
	case q.PURL != "":
		base := store.PURLBase(q.PURL)
		if base != strings.SplitN(q.PURL, "?", 2)[0] {
			return `p.purl_base = ? AND p.purl = ?`, []any{base, q.PURL}, nil
		}
		return `p.purl_base = ?`, []any{base}, nil
	case q.Name != "":
		return `(p.name = ? OR p.source_name = ?)`, []any{q.Name, q.Name}, nil
	}
	return "", nil, fmt.Errorf("package query: give a name or a PURL")
}

// Holders returns the packages of current snapshots that q selects. The
// holdings of one package row whose layers name one finding set share
// their Findings' array (clipped): read them, do not write them.
func (s *Store) Holders(ctx context.Context, q store.PackageQuery) ([]store.Holding, error) {
	cond, args, err := packageCondition(q)
	if err != nil {
		return nil, err
	}
	// The package rows q selects, with their layers' DiffIDs: a few per
	// inventory, however many subjects hold them.
	type pkgRow struct {
		name, version, typ, purl, eco, sourceName, sourceVersion, layer string
		owned                                                           bool
	}
	rows := map[int64]*pkgRow{}
	err = s.query(ctx, `SELECT p.id, p.name, p.version, p.type, p.purl, p.ecosystem, p.source_name, p.source_version, p.owned, i.diff_id
		FROM package p JOIN inventory i ON i.id = p.inventory WHERE `+cond, args, func(r *sql.Rows) error {
		var id int64
		var x pkgRow
		if err := r.Scan(&id, &x.name, &x.version, &x.typ, &x.purl, &x.eco, &x.sourceName, &x.sourceVersion, &x.owned, &x.layer); err != nil {
			return err
		}
		rows[id] = &x
		return nil
	})
	if err != nil {
		return nil, err
	}
	if len(rows) == 0 {
		return []store.Holding{}, nil
	}
	// Their holders: the current snapshots' layers holding their
	// inventories. The findings of a holding are its package's in the
	// finding set of the first layer holding its inventory: (set,
	// package) pairs, far fewer than the holdings when images share
	// layers.
	type key struct{ subject, pkg int64 }
	type pair = [2]int64 // (finding set, package)
	var keys []key
	held := map[key]*store.Holding{}
	holders := map[pair][]*store.Holding{}
	// A holding is its package at the lowest layer holding it.
	type at struct {
		idx int
		set sql.NullInt64
	}
	first := map[key]at{}
	err = s.query(ctx, `SELECT sj.id, sl.findings, p.id, sl.idx, sl.created_by
		FROM package p
		JOIN snapshot_layer sl ON sl.inventory = p.inventory
		JOIN subject sj ON sj.current_snapshot = sl.snapshot
		WHERE `+cond, args, func(r *sql.Rows) error {
		var k key
		var l at
		var createdBy string
		if err := r.Scan(&k.subject, &l.set, &k.pkg, &l.idx, &createdBy); err != nil {
			return err
		}
		x := rows[k.pkg]
		if x == nil {
			return nil
		}
		if h, ok := held[k]; ok {
			if l.idx < first[k].idx {
				first[k], h.CreatedBy = l, createdBy
			}
			return nil
		}
		held[k] = &store.Holding{PackageName: x.name, PackageVersion: x.version, PackageType: x.typ, PURL: x.purl, Ecosystem: x.eco,
			SourceName: x.sourceName, SourceVersion: x.sourceVersion, Layer: x.layer, CreatedBy: createdBy, Owned: x.owned, Findings: []store.Finding{}}
		first[k] = l
		keys = append(keys, k)
		return nil
	})
	if err != nil {
		return nil, err
	}
	for _, k := range keys {
		if l := first[k]; l.set.Valid {
			p := pair{l.set.Int64, k.pkg}
			holders[p] = append(holders[p], held[k])
		}
	}
	found, err := s.pairFindings(ctx, slices.SortedFunc(maps.Keys(holders), comparePairs))
	if err != nil {
		return nil, err
	}
	for p, fs := range found {
		x := rows[p[1]]
		for i := range fs {
			fs[i].PackageName, fs[i].PackageVersion, fs[i].PURL = x.name, x.version, x.purl
		}
		for _, h := range holders[p] {
			h.Findings = slices.Clip(fs)
		}
	}
	ids := make([]int64, len(keys))
	for i, k := range keys {
		ids[i] = k.subject
	}
	subjects, err := s.subjects(ctx, ids)
	if err != nil {
		return nil, err
	}
	running, err := s.placements(ctx, subjects)
	if err != nil {
		return nil, err
	}
	// Sorted by subject (ranked once), package and layer.
	order := slices.SortedFunc(maps.Keys(subjects), func(a, b int64) int { return compareSubjects(subjects[a], subjects[b]) })
	rank := make(map[int64]int, len(order))
	for i, id := range order {
		rank[id] = i
	}
	type ranked struct {
		rank int
		h    *store.Holding
	}
	sorted := make([]ranked, len(keys))
	for i, k := range keys {
		h := held[k]
		h.Subject = subjects[k.subject]
		h.RunningIn = running[k.subject]
		sorted[i] = ranked{rank[k.subject], h}
	}
	slices.SortFunc(sorted, func(a, b ranked) int {
		return cmp.Or(cmp.Compare(a.rank, b.rank), cmp.Compare(a.h.PackageName, b.h.PackageName), cmp.Compare(a.h.PackageVersion, b.h.PackageVersion),
			cmp.Compare(a.h.PURL, b.h.PURL), cmp.Compare(a.h.Layer, b.h.Layer))
	})
	out := make([]store.Holding, len(sorted))
	for i, x := range sorted {
		out[i] = *x.h
	}
	return out, nil
}

// query runs one query and hands each row to scan.
func (s *Store) query(ctx context.Context, query string, args []any, scan func(*sql.Rows) error) error {
	rows, err := s.db.QueryContext(ctx, s.q(query), args...)
	if err != nil {
		return fmt.Errorf("store %s: %w", s.name, err)
	}
	defer rows.Close()
	for rows.Next() {
		if err := scan(rows); err != nil {
			return fmt.Errorf("store %s: %w", s.name, err)
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("store %s: %w", s.name, err)
	}
	return nil
}

// manySubjects is how many subjects a query must name before subjects
// considers reading the subject tables whole.
const manySubjects = 1000

// subjects loads the subjects with the given IDs, with their references:
// by IN lists of the IDs, or, when they are half the subjects or more (a
// query about much of the fleet), by reading the tables whole.
func (s *Store) subjects(ctx context.Context, ids []int64) (map[int64]store.Subject, error) {
	rd, err := s.subjectReader(ctx, ids)
	if err != nil {
		return nil, err
	}
	read := make(map[int64]*store.Subject, len(rd.ids))
	// Labels decoded once per distinct text: a fleet's images share a few
	// hundred label sets.
	labelSets := map[string]map[string]string{}
	err = rd.read(ctx, `SELECT id, kind, key, name, config_digest, platform, labels, first_seen, last_seen FROM subject WHERE %s`, "id", func(r *sql.Rows) error {
		var id int64
		sj := &store.Subject{}
		var labels string
		var first, last timeValue
		if err := r.Scan(&id, &sj.Kind, &sj.Digest, &sj.Name, &sj.ConfigDigest, &sj.Platform, &labels, &first, &last); err != nil {
			return err
		}
		if !rd.want(id) {
			return nil
		}
		if labels != "" && labels != "{}" {
			m, ok := labelSets[labels]
			if !ok {
				if err := json.Unmarshal([]byte(labels), &m); err != nil {
					return fmt.Errorf("subject %d labels: %w", id, err)
				}
				labelSets[labels] = m
			}
			sj.Labels = maps.Clone(m)
		}
		sj.FirstSeen, sj.LastSeen = first.t, last.t
		read[id] = sj
		return nil
	})
	if err != nil {
		return nil, err
	}
	err = rd.read(ctx, `SELECT subject, ref FROM subject_ref WHERE %s ORDER BY subject, ref`, "subject", func(r *sql.Rows) error {
		var id int64
		var ref string
		if err := r.Scan(&id, &ref); err != nil {
			return err
		}
		if sj := read[id]; sj != nil {
			sj.Refs = append(sj.Refs, ref)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	out := make(map[int64]store.Subject, len(read))
	for id, sj := range read {
		out[id] = *sj
	}
	return out, nil
}

// subjectReader reads rows about some subjects: by IN lists of their
// IDs, or, when they are half the subjects or more, by reading the table
// whole and skipping the others' rows.
type subjectReader struct {
	s     *Store
	ids   []int64 // sorted
	whole bool
}

func (s *Store) subjectReader(ctx context.Context, ids []int64) (subjectReader, error) {
	slices.Sort(ids)
	rd := subjectReader{s: s, ids: slices.Compact(ids)}
	if len(rd.ids) >= manySubjects {
		var total int
		if err := s.db.QueryRowContext(ctx, `SELECT COUNT(*) FROM subject`).Scan(&total); err != nil {
			return rd, fmt.Errorf("store %s: %w", s.name, err)
		}
		rd.whole = 2*len(rd.ids) >= total
	}
	return rd, nil
}

// read runs query, whose WHERE is %s, on the whole table or on the IDs in
// column col.
func (rd subjectReader) read(ctx context.Context, query, col string, scan func(*sql.Rows) error) error {
	if rd.whole {
		return rd.s.query(ctx, fmt.Sprintf(query, "1 = 1"), nil, scan)
	}
	return rd.s.inList(ctx, fmt.Sprintf(query, col+" IN (%s)"), nil, anys(rd.ids), scan)
}

// want says whether a row read is about one of the subjects.
func (rd subjectReader) want(id int64) bool {
	if !rd.whole {
		return true
	}
	_, ok := slices.BinarySearch(rd.ids, id)
	return ok
}

// Subjects lists every subject with its current snapshot's counts.
func (s *Store) Subjects(ctx context.Context) ([]store.SubjectSummary, error) {
	ids, sums, err := s.summaries(ctx, "", nil)
	if err != nil {
		return nil, err
	}
	out := make([]store.SubjectSummary, 0, len(ids))
	for _, id := range ids {
		out = append(out, sums[id])
	}
	slices.SortFunc(out, func(a, b store.SubjectSummary) int { return compareSubjects(a.Subject, b.Subject) })
	return out, nil
}

// summaries returns the subjects that tail (a WHERE, ORDER BY or LIMIT
// over subject sj) selects, in its order, with their current snapshot's
// counts.
func (s *Store) summaries(ctx context.Context, tail string, args []any) ([]int64, map[int64]store.SubjectSummary, error) {
	var ids []int64
	sums := map[int64]store.SubjectSummary{}
	err := s.query(ctx, `SELECT sj.id, (SELECT COUNT(*) FROM snapshot x WHERE x.subject = sj.id), COALESCE(sn.packages, 0), COALESCE(sn.summary, '{}')
		FROM subject sj LEFT JOIN snapshot sn ON sn.id = sj.current_snapshot `+tail, args, func(r *sql.Rows) error {
		var id int64
		var sum store.SubjectSummary
		var summary string
		if err := r.Scan(&id, &sum.Snapshots, &sum.Packages, &summary); err != nil {
			return err
		}
		if err := json.Unmarshal([]byte(summary), &sum.BySeverity); err != nil {
			return fmt.Errorf("subject %d summary: %w", id, err)
		}
		ids = append(ids, id)
		sums[id] = sum
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	subjects, err := s.subjects(ctx, slices.Clone(ids))
	if err != nil {
		return nil, nil, err
	}
	for id, sum := range sums {
		sum.Subject = subjects[id]
		sums[id] = sum
	}
	return ids, sums, nil
}

// History returns the snapshots of the subjects name names: a digest (with
// or without "sha256:"), a reference (as written or normalised), a host
// name or a machine-id.
func (s *Store) History(ctx context.Context, name string) ([]store.Snapshot, error) {
	ids, err := s.named(ctx, name)
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	subjects, err := s.subjects(ctx, slices.Clone(ids))
	if err != nil {
		return nil, err
	}
	var snaps []store.Snapshot
	err = s.inList(ctx, `SELECT `+snapshotColumns+` FROM snapshot WHERE subject IN (%s) ORDER BY id`, nil, anys(ids), snapshotRows(subjects, &snaps))
	if err != nil {
		return nil, err
	}
	if err := s.snapshotFindings(ctx, snaps); err != nil {
		return nil, err
	}
	return snaps, nil
}

// snapshotColumns are the columns snapshotRows reads.
const snapshotColumns = `id, subject, scanned_at, recorded_at, tool, db_built, packages`

// snapshotRows appends each row of snapshotColumns to snaps, as a snapshot
// of its subject (from subjects) with no findings yet.
func snapshotRows(subjects map[int64]store.Subject, snaps *[]store.Snapshot) func(*sql.Rows) error {
	return func(r *sql.Rows) error {
		var sn store.Snapshot
		var subject int64
		var scanned, recorded, built timeValue
		if err := r.Scan(&sn.ID, &subject, &scanned, &recorded, &sn.Tool, &built, &sn.Packages); err != nil {
			return err
		}
		sn.Subject, sn.ScannedAt, sn.RecordedAt, sn.DBBuilt = subjects[subject], scanned.t, recorded.t, built.t
		sn.Findings = []store.Finding{}
		*snaps = append(*snaps, sn)
		return nil
	}
}

// snapshotFindings reads the findings of snaps through their layers'
// finding sets, sorted by package and vulnerability.
func (s *Store) snapshotFindings(ctx context.Context, snaps []store.Snapshot) error {
	snapIDs := make([]int64, len(snaps))
	index := make(map[int64]int, len(snaps))
	for i, sn := range snaps {
		snapIDs[i], index[sn.ID] = sn.ID, i
	}
	err := s.inList(ctx, `SELECT sl.snapshot, f.vulnerability_id, f.status, f.fixed_version, f.severity, f.kev, p.name, p.version, p.purl
		FROM snapshot_layer sl JOIN finding f ON f.finding_set = sl.findings JOIN package p ON p.id = f.package WHERE sl.snapshot IN (%s)`, nil, anys(snapIDs), func(r *sql.Rows) error {
		var id int64
		var f store.Finding
		if err := r.Scan(&id, &f.VulnerabilityID, &f.Status, &f.FixedVersion, &f.Severity, &f.KEV, &f.PackageName, &f.PackageVersion, &f.PURL); err != nil {
			return err
		}
		sn := &snaps[index[id]]
		sn.Findings = append(sn.Findings, f)
		return nil
	})
	if err != nil {
		return err
	}
	for i := range snaps {
		slices.SortFunc(snaps[i].Findings, func(a, b store.Finding) int {
			return cmp.Or(cmp.Compare(a.PackageName, b.PackageName), cmp.Compare(a.PackageVersion, b.PackageVersion), cmp.Compare(a.PURL, b.PURL), cmp.Compare(a.VulnerabilityID, b.VulnerabilityID))
		})
	}
	return nil
}

// named returns the IDs of the subjects name names, as History takes it.
func (s *Store) named(ctx context.Context, name string) ([]int64, error) {
	var ids []int64
	v := store.RefVariants(name)
	in := placeholders(len(v))
	err := s.query(ctx, `SELECT id FROM subject WHERE key = ? OR key = ? OR name IN (`+in+`) UNION SELECT subject FROM subject_ref WHERE ref IN (`+in+`)`,
		append(append([]any{name, "sha256:" + name}, anys(v)...), anys(v)...), func(r *sql.Rows) error {
			var id int64
			if err := r.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
			return nil
		})
	return ids, err
}

// Inventory returns the packages of a snapshot's layers, bottom layer
// first, each layer's in the order it stored them.
func (s *Store) Inventory(ctx context.Context, snapshot int64) ([]inventory.Package, []inventory.Package, error) {
	var pkgs, owned []inventory.Package
	err := s.query(ctx, `SELECT p.data, p.owned FROM snapshot_layer sl JOIN package p ON p.inventory = sl.inventory
		WHERE sl.snapshot = ? AND sl.idx = (SELECT MIN(x.idx) FROM snapshot_layer x WHERE x.snapshot = sl.snapshot AND x.inventory = sl.inventory)
		ORDER BY sl.idx, p.idx`, []any{snapshot}, func(r *sql.Rows) error {
		var data string
		var isOwned bool
		if err := r.Scan(&data, &isOwned); err != nil {
			return err
		}
		var p inventory.Package
		if err := json.Unmarshal([]byte(data), &p); err != nil {
			return fmt.Errorf("snapshot %d: package: %w", snapshot, err)
		}
		if isOwned {
			owned = append(owned, p)
		} else {
			pkgs = append(pkgs, p)
		}
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return pkgs, owned, nil
}
