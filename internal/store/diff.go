package store

import (
	"cmp"
	"slices"
)

// Change is what differs between two snapshots of a subject.
type Change struct {
	Added    []Finding       `json:"added"`
	Resolved []Finding       `json:"resolved"`
	Changed  []FindingChange `json:"changed"`
}

// EPSSJump is the EPSS score whose crossing, up or down, makes a finding
// changed: a 10% probability of exploitation in the next 30 days.
const EPSSJump = 0.1

// FindingChange is a finding present in both snapshots whose status,
// fixed version, severity or KEV listing differs, or whose EPSS score
// crossed EPSSJump.
type FindingChange struct {
	Before Finding `json:"before"`
	After  Finding `json:"after"`
}

// Empty reports whether nothing changed.
func (c Change) Empty() bool {
	return len(c.Added) == 0 && len(c.Resolved) == 0 && len(c.Changed) == 0
}

// findingKey identifies a finding across snapshots: the package (name,
// version, PURL) and the vulnerability.
type findingKey struct{ name, version, purl, id string }

func keyOf(f Finding) findingKey {
	return findingKey{f.PackageName, f.PackageVersion, f.PURL, f.VulnerabilityID}
}

// Diff returns what changed from the findings before to the findings
// after. A package upgraded past a fix shows as that finding resolved; a
// finding on the new version, if any, as added. Each list is sorted.
func Diff(before, after []Finding) Change {
	old := make(map[findingKey]Finding, len(before))
	for _, f := range before {
		old[keyOf(f)] = f
	}
	c := Change{Added: []Finding{}, Resolved: []Finding{}, Changed: []FindingChange{}}
	seen := make(map[findingKey]bool, len(after))
	for _, f := range after {
		k := keyOf(f)
		if seen[k] {
			continue
		}
		seen[k] = true
		b, ok := old[k]
		switch {
		case !ok:
			c.Added = append(c.Added, f)
		case b.Status != f.Status || b.FixedVersion != f.FixedVersion || b.Severity != f.Severity || b.KEV != f.KEV ||
			(b.EPSS < EPSSJump) != (f.EPSS < EPSSJump):
			c.Changed = append(c.Changed, FindingChange{Before: b, After: f})
		}
	}
	for _, f := range before {
		k := keyOf(f)
		if !seen[k] {
			seen[k] = true
			c.Resolved = append(c.Resolved, f)
		}
	}
	slices.SortFunc(c.Added, compareFindings)
	slices.SortFunc(c.Resolved, compareFindings)
	slices.SortFunc(c.Changed, func(a, b FindingChange) int { return compareFindings(a.After, b.After) })
	return c
}

func compareFindings(a, b Finding) int {
	return cmp.Or(cmp.Compare(a.PackageName, b.PackageName), cmp.Compare(a.PackageVersion, b.PackageVersion),
		cmp.Compare(a.PURL, b.PURL), cmp.Compare(a.VulnerabilityID, b.VulnerabilityID))
}
