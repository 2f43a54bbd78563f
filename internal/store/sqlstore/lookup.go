package sqlstore

import (
	"cmp"
	"context"
	"database/sql"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/customs-scanner/customs/internal/store"
)

// KindPage lists the subjects of one kind by ID after the cursor (an ID).
func (s *Store) KindPage(ctx context.Context, kind, cursor string, limit int) ([]store.SubjectSummary, string, error) {
	if kind != store.KindImage && kind != store.KindHost {
		return nil, "", fmt.Errorf("subjects: kind %q: want image or host", kind)
	}
	if limit < 1 || limit > store.SubjectPageMax {
		limit = store.SubjectPageMax
	}
	var after int64
	if cursor != "" {
		var err error
		if after, err = strconv.ParseInt(cursor, 10, 64); err != nil || after < 0 {
			return nil, "", fmt.Errorf("subjects: bad cursor %q", cursor)
		}
	}
	// The page's IDs first: ordered over the whole table, the summaries'
	// columns would be computed for every subject of the kind before the
	// sort.
	ids, sums, err := s.summaries(ctx, `WHERE sj.id IN (SELECT x.id FROM subject x WHERE x.kind = ? AND x.id > ? ORDER BY x.id LIMIT ?) ORDER BY sj.id`,
		[]any{kind, after, limit + 1})
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(ids) > limit {
		ids = ids[:limit]
		next = strconv.FormatInt(ids[limit-1], 10)
	}
	out := make([]store.SubjectSummary, len(ids))
	for i, id := range ids {
		out[i] = sums[id]
	}
	return out, next, nil
}

// Running returns the placements of the image keyed (or with image ID)
// digest.
func (s *Store) Running(ctx context.Context, digest string) ([]store.Placement, error) {
	var ids []int64
	err := s.query(ctx, `SELECT id FROM subject WHERE kind = 'image' AND (key = ? OR config_digest = ?)`, []any{digest, digest}, func(r *sql.Rows) error {
		var id int64
		if err := r.Scan(&id); err != nil {
			return err
		}
		ids = append(ids, id)
		return nil
	})
	if err != nil || len(ids) == 0 {
		return nil, err
	}
	subjects, err := s.subjects(ctx, ids)
	if err != nil {
		return nil, err
	}
	running, err := s.placements(ctx, subjects)
	if err != nil {
		return nil, err
	}
	var out []store.Placement
	for _, id := range ids {
		out = append(out, running[id]...)
	}
	return out, nil
}

// Find looks q up as the subjects' keys, image IDs, names and references
// name them. A digest prefix is compared with substr, which both backends
// have: the subject table is small next to the package and finding tables,
// and an index range on text depends on the collation.
func (s *Store) Find(ctx context.Context, q string, limit int) ([]store.Subject, error) {
	if limit < 1 || limit > store.FindMax {
		limit = store.FindMax
	}
	q = strings.TrimSpace(q)
	if q == "" {
		return nil, nil
	}
	found := map[int64]bool{}
	add := func(query string, args ...any) error {
		return s.query(ctx, query, args, func(r *sql.Rows) error {
			var id int64
			if err := r.Scan(&id); err != nil {
				return err
			}
			found[id] = true
			return nil
		})
	}
	if hex, ok := digestPrefix(q); ok {
		p := "sha256:" + hex
		if err := add(`SELECT id FROM subject WHERE substr(key, 1, ?) = ? OR substr(config_digest, 1, ?) = ? OR substr(key, 1, ?) = ?`,
			len(p), p, len(p), p, len(hex), hex); err != nil {
			return nil, err
		}
	}
	v := store.RefVariants(q)
	in := placeholders(len(v))
	err := add(`SELECT id FROM subject WHERE key = ? OR name IN (`+in+`) UNION SELECT subject FROM subject_ref WHERE ref IN (`+in+`)`,
		append(append([]any{q}, anys(v)...), anys(v)...)...)
	if err != nil {
		return nil, err
	}
	if repo, ok := repository(q); ok {
		if err := add(`SELECT subject FROM subject_ref WHERE substr(ref, 1, ?) = ? OR substr(ref, 1, ?) = ?`,
			len(repo)+1, repo+":", len(repo)+1, repo+"@"); err != nil {
			return nil, err
		}
	}
	ids := make([]int64, 0, len(found))
	for id := range found {
		ids = append(ids, id)
	}
	subjects, err := s.subjects(ctx, ids)
	if err != nil {
		return nil, err
	}
	out := make([]store.Subject, 0, len(subjects))
	for _, sj := range subjects {
		out = append(out, sj)
	}
	slices.SortFunc(out, func(a, b store.Subject) int {
		return cmp.Or(b.LastSeen.Compare(a.LastSeen), compareSubjects(a, b))
	})
	if len(out) > limit {
		out = out[:limit]
	}
	return out, nil
}

// digestPrefix returns the hex digits of q when q is a digest or a prefix
// of one: store.FindPrefix to 64 lower-case hex digits, with or without
// "sha256:".
func digestPrefix(q string) (string, bool) {
	hex := strings.TrimPrefix(q, "sha256:")
	if len(hex) < store.FindPrefix || len(hex) > 64 || strings.Trim(hex, "0123456789abcdef") != "" {
		return "", false
	}
	return hex, true
}

// repository returns q's repository, normalised, when q names one
// without a tag or a digest.
func repository(q string) (string, bool) {
	if strings.Contains(q, "@") || strings.ContainsAny(q, " \t") {
		return "", false
	}
	if i := strings.LastIndex(q, ":"); i > strings.LastIndex(q, "/") {
		return "", false
	}
	repo, ok := strings.CutSuffix(store.NormalizeRef(q), ":latest")
	return repo, ok && repo != ""
}

// HolderCount counts the current snapshots' holders of q's packages by
// kind, reading no finding and no subject beyond its kind.
func (s *Store) HolderCount(ctx context.Context, q store.PackageQuery) (store.Holders, error) {
	var out store.Holders
	cond, args, err := packageCondition(q)
	if err != nil {
		return out, err
	}
	err = s.query(ctx, `SELECT sj.kind, COUNT(DISTINCT sj.id) FROM package p
		JOIN snapshot_layer sl ON sl.inventory = p.inventory
		JOIN subject sj ON sj.current_snapshot = sl.snapshot
		WHERE `+cond+` GROUP BY sj.kind`, args, func(r *sql.Rows) error {
		var kind string
		var n int
		if err := r.Scan(&kind, &n); err != nil {
			return err
		}
		if kind == store.KindHost {
			out.Hosts += n
		} else {
			out.Images += n
		}
		return nil
	})
	return out, err
}

// matchRow is a light row of a Where query: the match without its
// subject's references, labels and workloads, with what orders it.
type matchRow struct {
	subject int64
	m       store.Match
}

// whereRows reads the current findings of id and its aliases, with their
// subjects' kind, name and key (Where's order) but nothing else of them.
func (s *Store) whereRows(ctx context.Context, id string) ([]*matchRow, error) {
	ids, err := s.aliases(ctx, id)
	if err != nil {
		return nil, err
	}
	var rows []*matchRow
	err = s.inList(ctx, `SELECT sj.id, sj.kind, sj.key, sj.name, f.vulnerability_id, f.status, f.fixed_version, f.severity, p.name, p.version, p.type, p.purl, i.diff_id, sl.created_by
		FROM finding f
		JOIN snapshot_layer sl ON sl.findings = f.finding_set
		JOIN subject sj ON sj.current_snapshot = sl.snapshot
		JOIN package p ON p.id = f.package
		JOIN inventory i ON i.id = p.inventory
		WHERE f.vulnerability_id IN (%s)`, nil, anys(ids), func(r *sql.Rows) error {
		x := &matchRow{}
		m := &x.m
		if err := r.Scan(&x.subject, &m.Subject.Kind, &m.Subject.Digest, &m.Subject.Name, &m.VulnerabilityID, &m.Status, &m.FixedVersion, &m.Severity,
			&m.PackageName, &m.PackageVersion, &m.PackageType, &m.PURL, &m.Layer, &m.CreatedBy); err != nil {
			return err
		}
		rows = append(rows, x)
		return nil
	})
	if err != nil {
		return nil, err
	}
	slices.SortFunc(rows, func(a, b *matchRow) int {
		return cmp.Or(compareSubjects(a.m.Subject, b.m.Subject), cmp.Compare(a.m.PackageName, b.m.PackageName), cmp.Compare(a.m.PackageVersion, b.m.PackageVersion),
			cmp.Compare(a.m.PURL, b.m.PURL), cmp.Compare(a.m.Layer, b.m.Layer), cmp.Compare(a.m.VulnerabilityID, b.m.VulnerabilityID))
	})
	return rows, nil
}

// wherePage returns rows' matches with their subjects and workloads.
func (s *Store) wherePage(ctx context.Context, rows []*matchRow) ([]store.Match, error) {
	ids := make([]int64, len(rows))
	for i, x := range rows {
		ids[i] = x.subject
	}
	subjects, err := s.subjects(ctx, slices.Clone(ids))
	if err != nil {
		return nil, err
	}
	running, err := s.placements(ctx, subjects)
	if err != nil {
		return nil, err
	}
	out := make([]store.Match, len(rows))
	for i, x := range rows {
		out[i] = x.m
		out[i].Subject = subjects[x.subject]
		out[i].RunningIn = running[x.subject]
	}
	return out, nil
}

// Holds looks for one holding of q's packages.
func (s *Store) Holds(ctx context.Context, q store.PackageQuery) (bool, error) {
	cond, args, err := packageCondition(q)
	if err != nil {
		return false, err
	}
	found := false
	err = s.query(ctx, `SELECT 1 FROM package p
		JOIN snapshot_layer sl ON sl.inventory = p.inventory
		JOIN subject sj ON sj.current_snapshot = sl.snapshot
		WHERE `+cond+` LIMIT 1`, args, func(*sql.Rows) error { found = true; return nil })
	return found, err
}

// Exposure reads the short rows of Where's matches, the subjects that run
// anywhere, and the page's subjects.
func (s *Store) Exposure(ctx context.Context, id string, offset, limit int) (store.Exposure, error) {
	out := store.Exposure{Fixes: []string{}, Severities: []string{}, Matches: []store.Match{}}
	rows, err := s.whereRows(ctx, id)
	if err != nil {
		return out, err
	}
	if limit > 0 {
		if out.Matches, err = s.wherePage(ctx, page(rows, offset, limit)); err != nil {
			return out, err
		}
	}
	subjects := map[int64]string{}
	fixes, sevs := map[string]bool{}, map[string]bool{}
	for _, x := range rows {
		out.Findings++
		subjects[x.subject] = x.m.Subject.Kind
		if x.m.FixedVersion != "" {
			fixes[x.m.FixedVersion] = true
		}
		if x.m.Severity != "" {
			sevs[x.m.Severity] = true
		}
	}
	for _, kind := range subjects {
		if kind == store.KindHost {
			out.Hosts++
		} else {
			out.Images++
		}
	}
	for f := range fixes {
		out.Fixes = append(out.Fixes, f)
	}
	for s := range sevs {
		out.Severities = append(out.Severities, s)
	}
	slices.Sort(out.Fixes)
	slices.Sort(out.Severities)
	if out.Images == 0 {
		return out, nil
	}
	running, err := s.running(ctx)
	if err != nil {
		return out, err
	}
	for sid := range subjects {
		ws := running[sid]
		if len(ws) > 0 {
			out.Running++
		}
		out.WorkloadsTotal += len(ws)
		out.Workloads = append(out.Workloads, ws...)
	}
	slices.SortFunc(out.Workloads, func(a, b store.Workload) int {
		return cmp.Or(comparePlacements(a.Placement, b.Placement), cmp.Compare(a.Subject.Digest, b.Subject.Digest))
	})
	if len(out.Workloads) > store.ExposureWorkloads {
		out.Workloads = out.Workloads[:store.ExposureWorkloads]
	}
	return out, nil
}

func comparePlacements(a, b store.Placement) int {
	return cmp.Or(cmp.Compare(a.Runtime, b.Runtime), cmp.Compare(a.Source, b.Source), cmp.Compare(a.Namespace, b.Namespace),
		cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Container, b.Container))
}

// running returns, per image ID, the placements that run it, by digest
// or by reference as placements matches them, each once.
func (s *Store) running(ctx context.Context) (map[int64][]store.Workload, error) {
	out := map[int64][]store.Workload{}
	seen := map[int64]map[[6]string]bool{}
	const cols = `pl.runtime, pl.source, pl.namespace, pl.kind, pl.name, pl.container, pl.image, pl.digest, pl.first_seen, pl.last_seen, sj.id, sj.key, sj.name`
	err := s.query(ctx, `SELECT `+cols+` FROM placement pl JOIN subject sj ON sj.kind = 'image' AND sj.key = pl.digest WHERE pl.digest <> ''
		UNION SELECT `+cols+` FROM placement pl JOIN subject_ref r ON r.ref = pl.ref JOIN subject sj ON sj.id = r.subject`, nil, func(r *sql.Rows) error {
		var w store.Workload
		var id int64
		p := &w.Placement
		var first, last timeValue
		if err := r.Scan(&p.Runtime, &p.Source, &p.Namespace, &p.Kind, &p.Name, &p.Container, &p.Image, &p.Digest, &first, &last, &id, &w.Subject.Digest, &w.Subject.Name); err != nil {
			return err
		}
		p.FirstSeen, p.LastSeen = first.t, last.t
		w.Subject.Kind = store.KindImage
		key := [6]string{p.Runtime, p.Source, p.Namespace, p.Kind, p.Name, p.Container}
		if seen[id] == nil {
			seen[id] = map[[6]string]bool{}
		}
		if !seen[id][key] {
			seen[id][key] = true
			out[id] = append(out[id], w)
		}
		return nil
	})
	return out, err
}

// HistoryPage reads the page's snapshots (and the next older one) with
// their findings, not every snapshot's: a host scanned daily keeps
// hundreds.
func (s *Store) HistoryPage(ctx context.Context, name string, offset, limit int) ([]store.Snapshot, *store.Snapshot, int, error) {
	ids, err := s.named(ctx, name)
	if err != nil || len(ids) == 0 {
		return nil, nil, 0, err
	}
	if limit < 1 {
		limit = store.SubjectPageMax
	}
	in := placeholders(len(ids))
	var total int
	if err := s.db.QueryRowContext(ctx, s.q(`SELECT COUNT(*) FROM snapshot WHERE subject IN (`+in+`)`), anys(ids)...).Scan(&total); err != nil {
		return nil, nil, 0, fmt.Errorf("store %s: %w", s.name, err)
	}
	subjects, err := s.subjects(ctx, slices.Clone(ids))
	if err != nil {
		return nil, nil, 0, err
	}
	var snaps []store.Snapshot
	err = s.query(ctx, `SELECT `+snapshotColumns+` FROM snapshot WHERE subject IN (`+in+`) ORDER BY id DESC LIMIT ? OFFSET ?`,
		append(anys(ids), limit+1, max(0, offset)), snapshotRows(subjects, &snaps))
	if err != nil {
		return nil, nil, 0, err
	}
	if err := s.snapshotFindings(ctx, snaps); err != nil {
		return nil, nil, 0, err
	}
	var older *store.Snapshot
	if len(snaps) > limit {
		older = &snaps[limit]
		snaps = snaps[:limit]
	}
	return snaps, older, total, nil
}
