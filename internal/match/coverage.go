package match

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/vulndb"
)

// Catalog is what coverage needs from the store: the ecosystems it holds
// package records in, with how many packages each, and lookups by package.
type Catalog interface {
	vulndb.Reader
	Ecosystems(ctx context.Context) (map[string]int, error)
}

// Coverage says, for each namespace pkgs are matched in, whether db holds
// advisories for it: the ecosystems Match would look packages up in, with
// the packages of opts.Apart (Go's standard library) apart from the rest. Packages Match cannot
// look up (no ecosystem) are counted as unmatchable; a type without a
// scheme in opts.Schemes is looked up (its findings are undetermined). os is the detected distribution, nil if none: with
// no packages, the note says whether one was found.
func Coverage(ctx context.Context, db Catalog, pkgs []inventory.Package, os *inventory.OS, opts Options) (*report.Coverage, error) {
	held, err := db.Ecosystems(ctx)
	if err != nil {
		return nil, err
	}
	c := &report.Coverage{Ecosystems: []report.EcosystemCoverage{}}
	if len(pkgs) == 0 {
		c.Note = report.NoInventoryNote
		if os != nil {
			c.Note = fmt.Sprintf("the operating system (%s %s) lists no packages: nothing was checked for vulnerabilities", os.Family, os.Version)
		}
		return c, nil
	}
	type key struct{ eco, pkg string }
	counts := map[key]int{}
	for _, p := range pkgs {
		if p.Ecosystem == "" {
			if c.Unmatchable == nil {
				c.Unmatchable = map[string]int{}
			}
			c.Unmatchable[p.Type]++
			continue
		}
		k := key{eco: p.Ecosystem}
		if slices.Contains(opts.Apart[p.Ecosystem], p.Name) {
			k.pkg = p.Name
		}
		counts[k]++
	}
	// apart[k] is 1 when the DB holds the package k apart (Go's standard
	// library); its ecosystem's other packages are counted without it.
	apart := map[key]int{}
	heldApart := map[string]int{}
	for eco, names := range opts.Apart {
		if held[eco] == 0 {
			continue
		}
		for _, name := range names {
			ms, err := db.ByPackage(ctx, eco, name)
			if err != nil {
				return nil, fmt.Errorf("look up %s %s: %w", eco, name, err)
			}
			apart[key{eco, name}] = min(len(ms), 1)
			heldApart[eco] += min(len(ms), 1)
		}
	}
	for k, n := range counts {
		e := report.EcosystemCoverage{Ecosystem: k.eco, Package: k.pkg, Packages: n, DBPackages: held[k.eco] - heldApart[k.eco]}
		if k.pkg != "" {
			e.DBPackages = apart[k]
		}
		e.Covered = e.DBPackages > 0
		if !e.Covered {
			e.OtherReleases = otherReleases(held, k.eco)
		}
		c.Ecosystems = append(c.Ecosystems, e)
	}
	sort.Slice(c.Ecosystems, func(i, j int) bool { return c.Ecosystems[i].Name() < c.Ecosystems[j].Name() })
	return c, nil
}

// otherReleases lists, sorted, the ecosystems of held that are other
// releases of eco's distribution: "debian:11" and "debian:12" for
// "debian:13". Language ecosystems (no ":") have none.
func otherReleases(held map[string]int, eco string) []string {
	family, _, ok := strings.Cut(eco, ":")
	if !ok {
		return nil
	}
	var out []string
	for h := range held {
		if f, _, ok := strings.Cut(h, ":"); ok && f == family && h != eco {
			out = append(out, h)
		}
	}
	slices.Sort(out)
	return out
}
