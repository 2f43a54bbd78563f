package report

import (
	"fmt"
	"strings"
)

// Coverage says, for each advisory namespace the inventory's packages are
// matched in, whether the vulnerability DB holds advisories for it. A DB
// built without a distribution's feed finds nothing in that distribution's
// packages; Coverage is how a report tells that apart from a clean result.
// It is set when the scan used a DB.
type Coverage struct {
	// Ecosystems has one entry per namespace, sorted by Name.
	Ecosystems []EcosystemCoverage `json:"ecosystems"`
	// Unmatchable counts, by package type, packages that cannot be matched
	// in any namespace: a Go main module built from a work tree, a package
	// of an OS whose release is unknown, a type no ecosystem declares.
	Unmatchable map[string]int `json:"unmatchable,omitempty"`
	// Note explains an empty Ecosystems.
	Note string `json:"note,omitempty"`
}

// EcosystemCoverage is one namespace of the inventory.
type EcosystemCoverage struct {
	// Ecosystem is the namespace as advisories are keyed on it:
	// "debian:12", "alpine:3.10", "Go", "npm", "PyPI", "cpe" (software
	// identified by evidence in binaries, matched on NVD's CPE ranges).
	Ecosystem string `json:"ecosystem"`
	// Package is set for a package that feeds track apart from the rest of
	// its ecosystem: Go's "stdlib" (the Go vulnerability database has it,
	// GitHub's advisories do not).
	Package string `json:"package,omitempty"`
	// Packages counts the inventory's packages in the namespace.
	Packages int `json:"packages"`
	// Covered is true when the DB holds advisories for the namespace.
	Covered bool `json:"covered"`
	// DBPackages counts the packages the DB holds advisories for in the
	// namespace (for an entry with Package, 1 or 0).
	DBPackages int `json:"dbPackages"`
	// OtherReleases, for a distribution release the DB does not cover,
	// lists the releases of the same distribution it does ("debian:12"
	// for a "debian:13" image): the DB may be older than the image.
	OtherReleases []string `json:"otherReleases,omitempty"`
}

// Name is how the entry is shown: the ecosystem, then the package if any
// ("Go stdlib").
func (e EcosystemCoverage) Name() string {
	if e.Package != "" {
		return e.Ecosystem + " " + e.Package
	}
	return e.Ecosystem
}

// Uncovered returns the entries the DB holds no advisories for; nil for a
// nil Coverage.
func (c *Coverage) Uncovered() []EcosystemCoverage {
	if c == nil {
		return nil
	}
	var out []EcosystemCoverage
	for _, e := range c.Ecosystems {
		if !e.Covered {
			out = append(out, e)
		}
	}
	return out
}

// NoInventoryNote is Coverage.Note for a target in which nothing was
// found to check: such a target cannot have findings, which says nothing
// about it.
const NoInventoryNote = "no operating system and no packages were found: nothing was checked for vulnerabilities"

// CoverageWarnings are the warnings for a person about what the scan could
// not check: nothing found in the target, or ecosystems the DB holds no
// advisories for. One line each, without a trailing newline; none when no
// DB was used.
func (r *Report) CoverageWarnings() []string {
	c := r.Coverage
	switch {
	case c == nil:
		return nil
	case c.Note != "":
		return []string{fmt.Sprintf("%s: %s", r.Target.Ref, c.Note)}
	}
	un := c.UncoveredList()
	if un == "" {
		return nil
	}
	return []string{fmt.Sprintf("the DB holds no advisories for %s: no vulnerabilities can be found in them; run `customs db update`, or `customs db build` with a source for them", un)}
}

// CoverageLine is the table summary's line about coverage, "" when there
// is nothing to say: e.g. "not covered by the DB: alpine:3.10 (14 packages)".
func (r *Report) CoverageLine() string {
	c := r.Coverage
	switch {
	case c == nil:
		return ""
	case c.Note != "":
		return c.Note
	}
	if un := c.UncoveredList(); un != "" {
		return "not covered by the DB: " + un
	}
	return ""
}

// UncoveredList names the uncovered entries with their package counts,
// "debian:12 (88 packages), Go stdlib (1 package)"; "" when there are none.
func (c *Coverage) UncoveredList() string {
	es := c.Uncovered()
	parts := make([]string, len(es))
	for i, e := range es {
		noun := "packages"
		if e.Packages == 1 {
			noun = "package"
		}
		parts[i] = fmt.Sprintf("%s (%d %s", e.Name(), e.Packages, noun)
		if len(e.OtherReleases) > 0 {
			parts[i] += "; the DB has " + strings.Join(e.OtherReleases, ", ")
		}
		parts[i] += ")"
	}
	return strings.Join(parts, ", ")
}
