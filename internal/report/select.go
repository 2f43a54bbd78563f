package report

import (
	"slices"
	"strings"
)

// Only returns a copy of r that keeps, of its findings and suppressed
// findings, those whose vulnerability ID or one of its aliases is among
// ids (compared without regard to case), for customs explain. Everything
// else (target, packages, DB) is shared with r, less the secrets and
// configuration checks, which are not vulnerabilities; the summary is
// redone.
func (r *Report) Only(ids ...string) *Report {
	want := make(map[string]bool, len(ids))
	for _, id := range ids {
		want[strings.ToUpper(strings.TrimSpace(id))] = true
	}
	named := func(f Finding) bool {
		if want[strings.ToUpper(f.VulnerabilityID)] {
			return true
		}
		return slices.ContainsFunc(f.Aliases, func(a string) bool { return want[strings.ToUpper(a)] })
	}
	out := *r
	out.Findings = []Finding{}
	for _, f := range r.Findings {
		if named(f) {
			out.Findings = append(out.Findings, f)
		}
	}
	out.Secrets, out.SecretStats, out.Misconfigurations = nil, nil, nil
	out.Suppressed = nil
	for _, s := range r.Suppressed {
		if named(s.Finding) {
			out.Suppressed = append(out.Suppressed, s)
		}
	}
	out.Summarize()
	return &out
}
