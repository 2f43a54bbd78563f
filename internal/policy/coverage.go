package policy

import "github.com/customs-scanner/customs/internal/report"

// FailUncovered is the --fail-on-uncovered gate: it fails a report in which
// some packages were not checked because the DB holds no advisories for
// their ecosystem, and says which. A report without coverage fails too:
// no DB was used, so nothing was checked. Packages that no ecosystem can
// match (Coverage.Unmatchable) and a target with no packages do not fail it.
func FailUncovered(r *report.Report) (msg string, failed bool) {
	if r.Coverage == nil {
		return "--fail-on-uncovered: no vulnerability DB was used, so no package was checked", true
	}
	if un := r.Coverage.UncoveredList(); un != "" {
		return "--fail-on-uncovered: the DB holds no advisories for " + un, true
	}
	return "", false
}
