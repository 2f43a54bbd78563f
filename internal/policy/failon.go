package policy

import (
	"fmt"
	"strings"

	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/vulndb"
)

// Severity reads a severity name as a --fail-on threshold: any case of a
// name on the scale of vulndb.SeverityRank (UNKNOWN < NEGLIGIBLE < LOW <
// MEDIUM < HIGH < CRITICAL), and "info", which customs audit has always
// taken and which means NEGLIGIBLE there (docs/report-schema.md,
// Severities). The second result is false for any other name.
func Severity(name string) (string, bool) {
	s := strings.ToUpper(name)
	if s == "INFO" {
		s = vulndb.SeverityNegligible
	}
	_, ok := vulndb.SeverityRank(s)
	return s, ok
}

// CheckFailOn is the one-line error for a --fail-on value that is not a
// severity, nil for one that is (and for "", no threshold).
func CheckFailOn(threshold string) error {
	if _, ok := Severity(threshold); ok || threshold == "" {
		return nil
	}
	return fmt.Errorf("--fail-on %q: want one of unknown, negligible, low, medium, high, critical", threshold)
}

// FailOn counts what fails --fail-on threshold and --fail-on-unknown (when
// unknown is set): the vulnerability findings that affect the package
// (report.Affects) at or above the threshold, or without a severity when
// unknown is set, and the secrets and misconfigurations at or above the
// threshold. worst is the highest severity among them. threshold "" (or a
// name CheckFailOn refuses) sets no threshold. It reads only r.Findings,
// r.Secrets and r.Misconfigurations, so a caller passes the findings its
// gate left eligible.
func FailOn(r *report.Report, threshold string, unknown bool) (n int, worst string) {
	rank := -1
	if s, ok := Severity(threshold); ok {
		rank, _ = vulndb.SeverityRank(s)
	}
	worstRank := -1
	count := func(sev string, unrated bool) {
		sr, _ := vulndb.SeverityRank(sev)
		if (rank < 0 || sr < rank) && !unrated {
			return
		}
		n++
		if sr > worstRank {
			worst, worstRank = sev, sr
		}
	}
	for _, f := range r.Findings {
		if report.Affects(f.Status) {
			count(f.Severity, unknown && (f.Severity == "" || f.Severity == vulndb.SeverityUnknown))
		}
	}
	for _, s := range r.Secrets {
		count(s.Severity, false)
	}
	for _, m := range r.Misconfigurations {
		count(m.Severity, false)
	}
	return n, worst
}

// FailOnMessage is the verdict of a gate FailOn failed: n findings, the
// worst of them worst.
func FailOnMessage(threshold string, unknown bool, n int, worst string) string {
	switch {
	case threshold == "":
		return fmt.Sprintf("--fail-on-unknown: %d findings without a severity", n)
	case unknown:
		return fmt.Sprintf("--fail-on %s --fail-on-unknown: %d findings at or above %s or without a severity (worst %s)", strings.ToLower(threshold), n, strings.ToUpper(threshold), worst)
	}
	return fmt.Sprintf("--fail-on %s: %d findings at or above %s (worst %s)", strings.ToLower(threshold), n, strings.ToUpper(threshold), worst)
}
