package report

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestCoverageText(t *testing.T) {
	const advice = ": no vulnerabilities can be found in them; run `customs db update`, or `customs db build` with a source for them"
	tests := []struct {
		name     string
		coverage *Coverage
		warnings []string
		line     string
	}{
		{name: "no DB used"},
		{
			name: "all covered",
			coverage: &Coverage{Ecosystems: []EcosystemCoverage{
				{Ecosystem: "alpine:3.10", Packages: 14, Covered: true, DBPackages: 239},
			}, Unmatchable: map[string]int{"golang": 1}},
		},
		{
			name: "some not",
			coverage: &Coverage{Ecosystems: []EcosystemCoverage{
				{Ecosystem: "Go", Packages: 12, Covered: true, DBPackages: 1373},
				{Ecosystem: "Go", Package: "stdlib", Packages: 1},
				{Ecosystem: "debian:13", Packages: 78, OtherReleases: []string{"debian:11", "debian:12"}},
			}},
			warnings: []string{"the DB holds no advisories for Go stdlib (1 package), debian:13 (78 packages; the DB has debian:11, debian:12)" + advice},
			line:     "not covered by the DB: Go stdlib (1 package), debian:13 (78 packages; the DB has debian:11, debian:12)",
		},
		{
			name:     "nothing found",
			coverage: &Coverage{Ecosystems: []EcosystemCoverage{}, Note: NoInventoryNote},
			warnings: []string{"rootfs: " + NoInventoryNote},
			line:     NoInventoryNote,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := &Report{Target: Target{Ref: "rootfs"}, Coverage: tc.coverage}
			if diff := cmp.Diff(tc.warnings, r.CoverageWarnings()); diff != "" {
				t.Errorf("CoverageWarnings (-want +got):\n%s", diff)
			}
			if got := r.CoverageLine(); got != tc.line {
				t.Errorf("CoverageLine = %q, want %q", got, tc.line)
			}
		})
	}
}
