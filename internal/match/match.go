// Package match compares an inventory with advisories and explains every
// result. Distro packages are matched by source package (dpkg Source:, apk
// origin) and compared with their ecosystem's version rules.
package match

import (
	"context"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/version"
	"github.com/customs-scanner/customs/internal/vulndb"
)

// Options control matching.
type Options struct {
	// Schemes maps a package type ("deb", "apk") to its version scheme
	// (scan builds it from the registered ecosystems). Packages of a type
	// without a scheme are still looked up: a record that needs a version
	// comparison gives an undetermined finding saying so.
	Schemes map[string]version.Scheme
	// Apart lists, by ecosystem, packages that feeds track apart from the
	// rest of it, which Coverage reports on their own: Go's "stdlib" (the
	// Go vulnerability database has it, GitHub's advisories do not). Scan
	// builds it from the registered ecosystems.
	Apart map[string][]string
	// IncludeNotAffected keeps findings whose status is not-affected.
	IncludeNotAffected bool
	// Enricher, if set, supplies other sources' records, KEV and EPSS.
	Enricher vulndb.Enricher
	// Score computes a CVSS base score from a vector, for records that
	// carry a vector without a score. Nil leaves such scores at 0.
	Score func(vector string) (float64, bool)
}

// Match returns the findings for pkgs, sorted by package then vulnerability.
func Match(ctx context.Context, db vulndb.Reader, pkgs []inventory.Package, opts Options) ([]report.Finding, error) {
	var out []report.Finding
	en := newEnricher(opts.Enricher, opts.Score)
	lk := &lookups{db: db, seen: map[[2]string][]vulndb.Match{}}
	for i := range pkgs {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		fs, err := matchPackage(ctx, lk, en, &pkgs[i], opts)
		if err != nil {
			return nil, err
		}
		out = append(out, fs...)
	}
	sortFindings(out)
	return out, nil
}

// lookups remembers the DB's answers during one Match: the binary
// packages of one source package (gcc-12's fifteen, glibc's six) look up
// the same name.
type lookups struct {
	db   vulndb.Reader
	seen map[[2]string][]vulndb.Match
}

// ByPackage is db.ByPackage, asked once per name; the slice it returns is
// shared and clipped, so appending to it copies.
func (l *lookups) ByPackage(ctx context.Context, ecosystem, name string) ([]vulndb.Match, error) {
	k := [2]string{ecosystem, name}
	if ms, ok := l.seen[k]; ok {
		return ms, nil
	}
	ms, err := l.db.ByPackage(ctx, ecosystem, name)
	if err != nil {
		return nil, err
	}
	ms = slices.Clip(ms)
	l.seen[k] = ms
	return ms, nil
}

func matchPackage(ctx context.Context, db *lookups, en *enricher, p *inventory.Package, opts Options) ([]report.Finding, error) {
	if p.Ecosystem == "" {
		return nil, nil
	}
	scheme := opts.Schemes[p.Type]
	name, ver := p.SourceName, p.SourceVersion
	if name == "" {
		name = p.Name
	}
	if ver == "" {
		ver = p.Version
	}
	ms, err := db.ByPackage(ctx, p.Ecosystem, name)
	if err != nil {
		return nil, fmt.Errorf("look up %s %s: %w", p.Ecosystem, name, err)
	}
	for _, alt := range p.AlsoMatch {
		if alt == name {
			continue
		}
		more, err := db.ByPackage(ctx, p.Ecosystem, alt)
		if err != nil {
			return nil, fmt.Errorf("look up %s %s: %w", p.Ecosystem, alt, err)
		}
		ms = append(ms, more...)
	}
	if len(ms) == 0 {
		return nil, nil
	}
	var installed version.Version
	perr := fmt.Errorf("no version scheme compares %s versions", typeName(p.Type))
	if scheme != nil {
		installed, perr = scheme.Parse(ver)
	}
	byID := map[string]*report.Finding{}
	rated := map[string]*ratings{}
	var order []string
	for _, m := range ms {
		if !m.Advisory.Withdrawn.IsZero() {
			continue
		}
		ev, status, fixed := decide(m, installed, perr, ver, scheme)
		if status == report.StatusNotAffected && !opts.IncludeNotAffected {
			continue
		}
		id := m.Advisory.ID
		f, ok := byID[id]
		if !ok {
			f = newFinding(p, m)
			byID[id] = f
			order = append(order, id)
		}
		f.Evidence = append(f.Evidence, ev)
		if statusRank(status) > statusRank(f.Status) {
			f.Status, f.FixedVersion = status, fixed
			f.StatusDetail = m.Affected.StatusDetail
			if status == report.StatusFixAvailable {
				f.StatusDetail = ""
			}
		}
		rt := rated[id]
		if rt == nil {
			rt = &ratings{}
			rated[id] = rt
		}
		rt.add(m.Advisory, &m.Affected)
	}
	foldAdvisories(byID, &order)
	out := make([]report.Finding, 0, len(order))
	for _, id := range order {
		f := byID[id]
		if err := en.enrich(ctx, f, rated[id]); err != nil {
			return nil, fmt.Errorf("rate %s in %s: %w", id, p.Name, err)
		}
		out = append(out, *f)
	}
	return out, nil
}

// decide applies one affected record to the installed version.
func decide(m vulndb.Match, installed version.Version, perr error, ver string, scheme version.Scheme) (report.Evidence, string, string) {
	a := m.Affected
	ev := report.Evidence{
		Source: m.Advisory.Source, AdvisoryID: m.Advisory.ID,
		Ecosystem: a.Ecosystem, Package: a.Package, Record: string(a.Status),
	}
	if a.StatusDetail != "" {
		ev.Record += " (" + a.StatusDetail + ")"
	}
	switch a.Status {
	case vulndb.StatusAffected:
		return ev, report.StatusAffected, ""
	case vulndb.StatusWontFix:
		return ev, report.StatusWontFix, ""
	case vulndb.StatusEndOfLife:
		return ev, report.StatusEndOfLife, ""
	case vulndb.StatusNotAffected:
		return ev, report.StatusNotAffected, ""
	}
	ev.Ranges = a.Ranges
	if perr != nil && slices.Contains(a.Versions, ver) {
		ev.Comparison = fmt.Sprintf("%s is listed as affected", ver)
		return ev, report.StatusAffected, ""
	}
	if perr != nil {
		ev.Reason = fmt.Sprintf("installed version %q: %v", ver, perr)
		return ev, report.StatusUndetermined, ""
	}
	for _, r := range a.Ranges {
		in, cmp, err := inRange(installed, r, scheme)
		if err != nil {
			ev.Reason = err.Error()
			return ev, report.StatusUndetermined, ""
		}
		ev.Comparison = cmp
		if in {
			if r.Fixed != "" {
				return ev, report.StatusFixAvailable, r.Fixed
			}
			return ev, report.StatusAffected, ""
		}
	}
	// Versions listed one by one (OSV "versions", NVD exact CPEs) say the
	// version is affected, not where it is fixed.
	if slices.Contains(a.Versions, ver) {
		ev.Comparison = fmt.Sprintf("%s is listed as affected", ver)
		return ev, report.StatusAffected, ""
	}
	return ev, report.StatusNotAffected, ""
}

// typeName names a package type in a reason: "hex", or "untyped package".
func typeName(t string) string {
	if t == "" {
		return "untyped package"
	}
	return t
}

// inRange reports whether v lies in r and describes the comparison made.
func inRange(v version.Version, r vulndb.Range, scheme version.Scheme) (bool, string, error) {
	name := scheme.Name()
	if r.Introduced != "" && r.Introduced != "0" {
		intro, err := scheme.Parse(r.Introduced)
		if err != nil {
			return false, "", fmt.Errorf("advisory version %q: %w", r.Introduced, err)
		}
		if v.Compare(intro) < 0 {
			return false, fmt.Sprintf("%s < introduced %s (%s)", v, r.Introduced, name), nil
		}
	}
	switch {
	case r.Fixed != "":
		fixed, err := scheme.Parse(r.Fixed)
		if err != nil {
			return false, "", fmt.Errorf("advisory version %q: %w", r.Fixed, err)
		}
		if v.Compare(fixed) < 0 {
			return true, fmt.Sprintf("%s < %s (%s)", v, r.Fixed, name), nil
		}
		return false, fmt.Sprintf("%s >= %s (%s)", v, r.Fixed, name), nil
	case r.LastAffected != "":
		last, err := scheme.Parse(r.LastAffected)
		if err != nil {
			return false, "", fmt.Errorf("advisory version %q: %w", r.LastAffected, err)
		}
		if v.Compare(last) <= 0 {
			return true, fmt.Sprintf("%s <= last affected %s (%s)", v, r.LastAffected, name), nil
		}
		return false, fmt.Sprintf("%s > last affected %s (%s)", v, r.LastAffected, name), nil
	}
	return true, fmt.Sprintf("%s: no fixed version (%s)", v, name), nil
}

func newFinding(p *inventory.Package, m vulndb.Match) *report.Finding {
	f := &report.Finding{
		VulnerabilityID: m.Advisory.ID,
		Aliases:         slices.Clone(m.Advisory.Aliases),
		Title:           m.Advisory.Summary,
		Status:          "",
		Severity:        vulndb.SeverityUnknown,
	}
	PackageFields(f, p)
	if f.Aliases == nil {
		f.Aliases = []string{}
	}
	if len(f.Title) > 200 {
		f.Title = f.Title[:197] + "..."
	}
	return f
}

// PackageFields sets the fields of f that describe its package p, which
// every finding of p repeats: a cache of findings (scan's) keeps them
// without these and sets them again from the inventory.
func PackageFields(f *report.Finding, p *inventory.Package) {
	f.PackageID, f.PackageName, f.PackageVersion, f.PackageType, f.PURL = p.ID, p.Name, p.Version, p.Type, p.PURL
	f.SourceName, f.SourceVersion, f.Layer, f.CreatedBy = p.SourceName, p.SourceVersion, p.Layer, p.CreatedBy
	f.Locations = slices.Clone(p.Locations)
	if f.Locations == nil {
		f.Locations = []inventory.Location{}
	}
	f.Path = ""
	if len(p.Locations) > 0 {
		f.Path = p.Locations[0].Path
	}
}

// foldAdvisories merges an advisory that only aggregates CVEs (a DSA or DLA
// whose aliases are CVEs found for the same package) into those CVE
// findings, so one problem is reported once; likewise one of two records
// that name each other (GHSA-... and RUSTSEC-... of one crate) into the
// other. A finding is folded only into one that stays: two records that
// alias each other once both folded away, and the package had no finding.
// The finding that stays takes the stronger status of the two.
func foldAdvisories(byID map[string]*report.Finding, order *[]string) {
	keep := (*order)[:0]
	gone := map[string]bool{}
	for _, id := range *order {
		f := byID[id]
		folded := false
		for _, alias := range f.Aliases {
			if t, ok := byID[alias]; ok && t != f && !gone[alias] && !strings.HasPrefix(alias, "DSA-") && !strings.HasPrefix(alias, "DLA-") {
				if !slices.Contains(t.Aliases, id) {
					t.Aliases = append(t.Aliases, id)
				}
				t.Evidence = append(t.Evidence, f.Evidence...)
				if statusRank(f.Status) > statusRank(t.Status) {
					t.Status, t.StatusDetail, t.FixedVersion = f.Status, f.StatusDetail, f.FixedVersion
				}
				folded = true
			}
		}
		if folded {
			gone[id] = true
		} else {
			keep = append(keep, id)
		}
	}
	*order = keep
}

// statusRank orders statuses by how much they ask of the user; the
// strongest record of several feeds wins.
func statusRank(s string) int {
	switch s {
	case report.StatusFixAvailable:
		return 6
	case report.StatusAffected:
		return 5
	case report.StatusWontFix:
		return 4
	case report.StatusEndOfLife:
		return 3
	case report.StatusUndetermined:
		return 2
	case report.StatusNotAffected:
		return 1
	}
	return 0
}

func rank(s string) int {
	r, _ := vulndb.SeverityRank(s)
	return r
}

// Affects reports whether a finding's status means the package is
// vulnerable; it is report.Affects.
func Affects(status string) bool { return report.Affects(status) }

func sortFindings(fs []report.Finding) {
	sort.SliceStable(fs, func(i, j int) bool {
		a, b := fs[i], fs[j]
		if a.PackageName != b.PackageName {
			return a.PackageName < b.PackageName
		}
		if a.PackageID != b.PackageID {
			return a.PackageID < b.PackageID
		}
		return a.VulnerabilityID < b.VulnerabilityID
	})
}
