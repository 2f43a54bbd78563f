package store

import (
	"cmp"
	"slices"
)

// VersionSpread is one version of a package across the stored fleet: who
// has it, and what it is vulnerable to.
type VersionSpread struct {
	// Version is the package version, or the group's key when Spread
	// groups versions (an upstream version).
	Version string `json:"version"`
	// Versions are the distinct versions in the group, sorted.
	Versions []string  `json:"versions"`
	Images   int       `json:"images"`
	Hosts    int       `json:"hosts"`
	Subjects []Subject `json:"subjects"`
	// Vulnerabilities are the findings of the group's packages, one per
	// vulnerability ID and package version, sorted.
	Vulnerabilities []Finding `json:"vulnerabilities"`
}

// Spread groups holdings (Querier.Holders) by version: by
// Holding.PackageVersion, or by key when key is not nil (the CLI's
// --upstream passes a function that drops the distro revision, which needs
// the package's version scheme). Groups are sorted by their key as text;
// a caller with a version scheme sorts them again.
func Spread(hs []Holding, key func(Holding) string) []VersionSpread {
	if key == nil {
		key = func(h Holding) string { return h.PackageVersion }
	}
	index := map[string]int{}
	var out []VersionSpread
	type member struct{ kind, digest string }
	members := map[int]map[member]bool{}
	vulns := map[int]map[[2]string]bool{}
	for _, h := range hs {
		k := key(h)
		i, ok := index[k]
		if !ok {
			i = len(out)
			index[k] = i
			out = append(out, VersionSpread{Version: k, Versions: []string{}, Subjects: []Subject{}, Vulnerabilities: []Finding{}})
			members[i], vulns[i] = map[member]bool{}, map[[2]string]bool{}
		}
		v := &out[i]
		if !slices.Contains(v.Versions, h.PackageVersion) {
			v.Versions = append(v.Versions, h.PackageVersion)
		}
		if m := (member{h.Subject.Kind, h.Subject.Digest}); !members[i][m] {
			members[i][m] = true
			v.Subjects = append(v.Subjects, h.Subject)
			if h.Subject.Kind == KindHost {
				v.Hosts++
			} else {
				v.Images++
			}
		}
		for _, f := range h.Findings {
			if k := [2]string{f.VulnerabilityID, f.PackageVersion}; !vulns[i][k] {
				vulns[i][k] = true
				v.Vulnerabilities = append(v.Vulnerabilities, f)
			}
		}
	}
	for i := range out {
		slices.Sort(out[i].Versions)
		slices.SortFunc(out[i].Subjects, compareSubjects)
		slices.SortFunc(out[i].Vulnerabilities, func(a, b Finding) int {
			return cmp.Or(cmp.Compare(a.VulnerabilityID, b.VulnerabilityID), cmp.Compare(a.PackageVersion, b.PackageVersion))
		})
	}
	slices.SortFunc(out, func(a, b VersionSpread) int { return cmp.Compare(a.Version, b.Version) })
	return out
}

func compareSubjects(a, b Subject) int {
	return cmp.Or(cmp.Compare(a.Kind, b.Kind), cmp.Compare(a.Name, b.Name), cmp.Compare(a.Digest, b.Digest))
}
