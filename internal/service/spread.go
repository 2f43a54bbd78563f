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
func Spread(ctx context.Context, q store.Querier, name string, upstream bool) ([]store.VersionSpread, error) {
	pq := store.PackageQuery{Name: name}
	if strings.HasPrefix(name, "pkg:") {
		pq = store.PackageQuery{PURL: name}
	}
	hs, err := q.Holders(ctx, pq)
	if err != nil {
		return nil, err
	}
	schemes := scan.Ecosystems().Schemes()
	var key func(store.Holding) string
	if upstream {
		key = func(h store.Holding) string {
			if s := schemes[h.PackageType]; s != nil {
				return version.Upstream(s, h.PackageVersion)
			}
			return h.PackageVersion
		}
	}
	vs := store.Spread(hs, key)
	sortSpread(vs, hs, schemes)
	if vs == nil {
		vs = []store.VersionSpread{}
	}
	return vs, nil
}

// SpreadSummary is Spread with at most perVersion subjects listed per
// version (store.Fleet.SpreadOf): the dashboard's package page, which
// shows counts, not every holder. The versions are ordered in the scheme
// of the package type most of the matching package rows have.
func SpreadSummary(ctx context.Context, f store.Fleet, name string, upstream bool, perVersion int) ([]store.VersionSpread, error) {
	pq := store.PackageQuery{Name: name}
	if strings.HasPrefix(name, "pkg:") {
		pq = store.PackageQuery{PURL: name}
	}
	schemes := scan.Ecosystems().Schemes()
	types := map[string]int{}
	key := func(h store.Holding) string {
		types[h.PackageType]++
		if s := schemes[h.PackageType]; upstream && s != nil {
			return version.Upstream(s, h.PackageVersion)
		}
		return h.PackageVersion
	}
	vs, err := f.SpreadOf(ctx, pq, key, perVersion)
	if err != nil {
		return nil, err
	}
	sortByScheme(vs, types, schemes)
	if vs == nil {
		vs = []store.VersionSpread{}
	}
	return vs, nil
}

// sortSpread orders the groups by version in the scheme of the package
// type most of them share; versions that scheme cannot read keep Spread's
// text order after the others.
func sortSpread(vs []store.VersionSpread, hs []store.Holding, schemes map[string]version.Scheme) {
	count := map[string]int{}
	for _, h := range hs {
		count[h.PackageType]++
	}
	sortByScheme(vs, count, schemes)
}

// sortByScheme sorts in the scheme of the type count has most of.
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
