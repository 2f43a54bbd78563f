package service

import (
	"cmp"
	"context"
	"slices"
	"strings"

	"github.com/customs-scanner/customs/internal/scan"
	"github.com/customs-scanner/customs/internal/store"
	"github.com/customs-scanner/customs/internal/version"
)

// Spread answers "who has package name, in which versions" from the
// store: name is a package or source package name, or a PURL without a
// version; upstream groups a distribution's revisions of one upstream
// version. The versions are ordered in the scheme of the package type
// most holders share (customs spread and GET /v1/packages/{name}/spread).
// Without subjects, each version's Subjects is empty and only counted
// (customs spread's table and CSV).
func Spread(ctx context.Context, q store.Querier, name string, upstream, subjects bool) ([]store.VersionSpread, error) {
	return spread(name, upstream, func(pq store.PackageQuery, key func(store.Holding) string) ([]store.VersionSpread, error) {
		return q.Spread(ctx, pq, key, subjects)
	})
}

// SpreadSummary is Spread with at most perVersion subjects listed per
// version (store.Fleet.SpreadOf): the dashboard's package page, which
// shows counts, not every holder.
func SpreadSummary(ctx context.Context, f store.Fleet, name string, upstream bool, perVersion int) ([]store.VersionSpread, error) {
	return spread(name, upstream, func(pq store.PackageQuery, key func(store.Holding) string) ([]store.VersionSpread, error) {
		return f.SpreadOf(ctx, pq, key, perVersion)
	})
}

// spread runs query with name's package query and the key grouping
// versions (by upstream version with upstream set), and sorts its answer
// in the scheme of the type most holdings have.
func spread(name string, upstream bool, query func(store.PackageQuery, func(store.Holding) string) ([]store.VersionSpread, error)) ([]store.VersionSpread, error) {
	pq := store.PackageQuery{Name: name}
	if strings.HasPrefix(name, "pkg:") {
		pq = store.PackageQuery{PURL: name}
	}
	schemes := scan.Ecosystems().Schemes()
	types := map[string]int{} // holdings by package type
	upstreams := map[[2]string]string{}
	key := func(h store.Holding) string {
		types[h.PackageType]++
		s := schemes[h.PackageType]
		if !upstream || s == nil {
			return h.PackageVersion
		}
		k := [2]string{h.PackageType, h.PackageVersion}
		u, ok := upstreams[k]
		if !ok {
			u = version.Upstream(s, h.PackageVersion)
			upstreams[k] = u
		}
		return u
	}
	vs, err := query(pq, key)
	if err != nil {
		return nil, err
	}
	sortByScheme(vs, types, schemes)
	if vs == nil {
		vs = []store.VersionSpread{}
	}
	return vs, nil
}

// sortByScheme sorts in the scheme of the type count has most of;
// versions that scheme cannot read keep their text order after the others.
func sortByScheme(vs []store.VersionSpread, count map[string]int, schemes map[string]version.Scheme) {
	var typ string
	for t, n := range count {
		if n > count[typ] || (n == count[typ] && t < typ) {
			typ = t
		}
	}
	s := schemes[typ]
	if s == nil {
		return
	}
	slices.SortStableFunc(vs, func(a, b store.VersionSpread) int {
		va, ea := s.Parse(a.Version)
		vb, eb := s.Parse(b.Version)
		switch {
		case ea != nil && eb != nil:
			return cmp.Compare(a.Version, b.Version)
		case ea != nil:
			return 1
		case eb != nil:
			return -1
		}
		return va.Compare(vb)
	})
}
