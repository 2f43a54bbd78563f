package policy

import (
	"testing"

	"github.com/customs-scanner/customs/internal/report"
)

func TestFailUncovered(t *testing.T) {
	tests := []struct {
		name     string
		coverage *report.Coverage
		msg      string
	}{
		{"no DB used", nil, "--fail-on-uncovered: no vulnerability DB was used, so no package was checked"},
		{"covered", &report.Coverage{
			Ecosystems:  []report.EcosystemCoverage{{Ecosystem: "alpine:3.10", Packages: 14, Covered: true, DBPackages: 239}},
			Unmatchable: map[string]int{"golang": 1}, // cannot be matched anywhere: not the DB's gap
		}, ""},
		{"nothing found", &report.Coverage{Ecosystems: []report.EcosystemCoverage{}, Note: report.NoInventoryNote}, ""},
		{"not covered", &report.Coverage{Ecosystems: []report.EcosystemCoverage{
			{Ecosystem: "alpine:3.10", Packages: 14, Covered: true, DBPackages: 239},
			{Ecosystem: "cpe", Packages: 2},
		}}, "--fail-on-uncovered: the DB holds no advisories for cpe (2 packages)"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			msg, failed := FailUncovered(&report.Report{Coverage: tc.coverage})
			if msg != tc.msg || failed != (tc.msg != "") {
				t.Errorf("FailUncovered = %q, %v; want %q, %v", msg, failed, tc.msg, tc.msg != "")
			}
		})
	}
}
