package policy

import (
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/customs-scanner/customs/internal/report"
)

// Baseline is the set of findings a previous report already had. Only
// findings not in it can fail the gate.
//
// A finding's key is its vulnerability ID and its package PURL without
// version, qualifiers or subpath: upgrading a package that stays vulnerable
// to the same advisory is not a new finding, while the same vulnerability in
// another package is. Aliases count: a finding whose ID or any alias is
// known for that package is in the baseline, so a feed switching from a
// GHSA to a CVE ID does not make old findings new.
type Baseline struct {
	keys map[string]bool
}

// NewBaseline indexes the findings of a previous report, including the ones
// it suppressed (an exception that later expires is then not "new").
func NewBaseline(prev *report.Report) *Baseline {
	b := &Baseline{keys: map[string]bool{}}
	add := func(f report.Finding) {
		pkg := BaselinePackage(f)
		for _, id := range ids(f) {
			b.keys[id+" "+pkg] = true
		}
	}
	for _, f := range prev.Findings {
		add(f)
	}
	for _, s := range prev.Suppressed {
		add(s.Finding)
	}
	return b
}

// Len is the number of keys in the baseline.
func (b *Baseline) Len() int { return len(b.keys) }

// Contains reports whether f was already in the baseline.
func (b *Baseline) Contains(f report.Finding) bool {
	if b == nil {
		return false
	}
	pkg := BaselinePackage(f)
	for _, id := range ids(f) {
		if b.keys[id+" "+pkg] {
			return true
		}
	}
	return false
}

func ids(f report.Finding) []string {
	out := []string{strings.ToUpper(f.VulnerabilityID)}
	for _, a := range f.Aliases {
		out = append(out, strings.ToUpper(a))
	}
	return out
}

// BaselinePackage is the package part of a baseline key: the PURL without
// version, qualifiers and subpath, or type/name when there is no PURL.
func BaselinePackage(f report.Finding) string {
	if p, err := packageurl.FromString(f.PURL); err == nil {
		p.Version, p.Qualifiers, p.Subpath = "", nil, ""
		return p.ToString()
	}
	return f.PackageType + "/" + f.PackageName
}

// MergeBaselines returns a baseline holding the keys of all of bs.
func MergeBaselines(bs ...*Baseline) *Baseline {
	out := &Baseline{keys: map[string]bool{}}
	for _, b := range bs {
		if b == nil {
			continue
		}
		for k := range b.keys {
			out.keys[k] = true
		}
	}
	return out
}
