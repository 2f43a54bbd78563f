package policy

import (
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/report"
)

func TestBaseline(t *testing.T) {
	prev := &report.Report{
		Findings:   []report.Finding{{VulnerabilityID: "CVE-2023-38545", PURL: "pkg:deb/debian/curl@7.88.1-10?arch=amd64"}},
		Suppressed: []report.Suppression{{Finding: report.Finding{VulnerabilityID: "GHSA-g4mx-q9vg-27p4", PURL: "pkg:pypi/urllib3@1.26.16"}}},
	}
	b := NewBaseline(prev)
	tests := []struct {
		name string
		f    report.Finding
		want bool
	}{
		{"same", report.Finding{VulnerabilityID: "CVE-2023-38545", PURL: "pkg:deb/debian/curl@7.88.1-10?arch=amd64"}, true},
		{"upgraded, still vulnerable", report.Finding{VulnerabilityID: "CVE-2023-38545", PURL: "pkg:deb/debian/curl@7.88.1-10+deb12u1?arch=arm64"}, true},
		{"other package", report.Finding{VulnerabilityID: "CVE-2023-38545", PURL: "pkg:deb/debian/libcurl4@7.88.1-10"}, false},
		{"known by alias", report.Finding{VulnerabilityID: "PYSEC-2023-212", Aliases: []string{"GHSA-g4mx-q9vg-27p4"}, PURL: "pkg:pypi/urllib3@1.26.17"}, true},
		{"new vulnerability", report.Finding{VulnerabilityID: "CVE-2024-1", PURL: "pkg:deb/debian/curl@7.88.1-10"}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, b.Contains(tt.f)); diff != "" {
				t.Errorf("Contains (-want +got):\n%s", diff)
			}
		})
	}
	if (*Baseline)(nil).Contains(tests[0].f) {
		t.Error("nil baseline contains a finding")
	}
}
