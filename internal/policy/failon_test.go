package policy

import (
	"testing"

	"github.com/customs-scanner/customs/internal/report"
)

func TestFailOn(t *testing.T) {
	r := &report.Report{
		Findings: []report.Finding{
			{VulnerabilityID: "CVE-1", Severity: "HIGH", Status: report.StatusFixAvailable},
			{VulnerabilityID: "CVE-2", Severity: "CRITICAL", Status: report.StatusNotAffected}, // not counted: does not affect
			{VulnerabilityID: "CVE-3", Severity: "CRITICAL", Status: report.StatusUndetermined},
			{VulnerabilityID: "CVE-4", Severity: "UNKNOWN", Status: report.StatusWontFix},
			{VulnerabilityID: "CVE-5", Severity: "LOW", Status: report.StatusAffected},
		},
		Secrets:           []report.Secret{{Rule: "aws-access-key-id", Severity: "CRITICAL"}},
		Misconfigurations: []report.Misconfiguration{{ID: "image.no-healthcheck", Severity: "NEGLIGIBLE"}, {ID: "image.root-user", Severity: "MEDIUM"}},
	}
	tests := []struct {
		threshold string
		unknown   bool
		n         int
		worst     string
	}{
		{"", false, 0, ""},
		{"critical", false, 1, "CRITICAL"}, // the secret
		{"HIGH", false, 2, "CRITICAL"},
		{"medium", false, 3, "CRITICAL"},
		{"low", false, 4, "CRITICAL"},
		{"info", false, 5, "CRITICAL"}, // info is NEGLIGIBLE: the healthcheck counts
		{"negligible", false, 5, "CRITICAL"},
		{"unknown", false, 6, "CRITICAL"},
		{"", true, 1, "UNKNOWN"},
		{"critical", true, 2, "CRITICAL"},
		{"urgent", false, 0, ""}, // refused by CheckFailOn; no threshold here
	}
	for _, tc := range tests {
		n, worst := FailOn(r, tc.threshold, tc.unknown)
		if n != tc.n || worst != tc.worst {
			t.Errorf("FailOn(%q, %v) = %d, %q; want %d, %q", tc.threshold, tc.unknown, n, worst, tc.n, tc.worst)
		}
	}
}

func TestCheckFailOn(t *testing.T) {
	for _, ok := range []string{"", "unknown", "NEGLIGIBLE", "info", "Low", "medium", "high", "critical"} {
		if err := CheckFailOn(ok); err != nil {
			t.Errorf("CheckFailOn(%q) = %v, want nil", ok, err)
		}
	}
	const want = `--fail-on "urgent": want one of unknown, negligible, low, medium, high, critical`
	if err := CheckFailOn("urgent"); err == nil || err.Error() != want {
		t.Errorf("CheckFailOn(urgent) = %v, want %s", err, want)
	}
}

func TestFailOnMessage(t *testing.T) {
	tests := []struct {
		threshold string
		unknown   bool
		want      string
	}{
		{"High", false, "--fail-on high: 3 findings at or above HIGH (worst CRITICAL)"},
		{"high", true, "--fail-on high --fail-on-unknown: 3 findings at or above HIGH or without a severity (worst CRITICAL)"},
		{"", true, "--fail-on-unknown: 3 findings without a severity"},
	}
	for _, tc := range tests {
		if got := FailOnMessage(tc.threshold, tc.unknown, 3, "CRITICAL"); got != tc.want {
			t.Errorf("FailOnMessage(%q, %v) = %q, want %q", tc.threshold, tc.unknown, got, tc.want)
		}
	}
}
