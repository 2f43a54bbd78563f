package policy

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/report"
)

var now = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func TestRules(t *testing.T) {
	layers := []report.Layer{{DiffID: "sha256:base"}, {DiffID: "sha256:app"}}
	high := report.Finding{
		VulnerabilityID: "CVE-2024-1", Aliases: []string{"GHSA-xxxx"}, Severity: "HIGH", Status: report.StatusFixAvailable, FixedVersion: "1.2",
		PURL: "pkg:npm/lodash@1.0", PackageType: "npm", PackageName: "lodash", Layer: "sha256:app",
		CVSS:      []report.CVSS{{Source: "nvd", Version: "3.1", Score: 7.5, Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}, {Source: "ghsa", Score: 5.0}},
		EPSS:      &report.EPSS{Score: 0.2, Percentile: 0.95},
		Published: now.AddDate(0, 0, -40),
	}
	critBase := report.Finding{VulnerabilityID: "CVE-2024-2", Severity: "CRITICAL", Status: report.StatusAffected, PackageType: "deb", Layer: "sha256:base", KEV: &report.KEV{DateAdded: "2024-01-01"}}
	low := report.Finding{VulnerabilityID: "CVE-2024-3", Severity: "LOW", Status: report.StatusFixAvailable, FixedVersion: "2"}
	findings := []report.Finding{high, critBase, low}

	tests := []struct {
		expr string
		want []int
	}{
		{"finding.kev || (finding.severity >= HIGH && finding.fixAvailable && finding.epss > 0.1)", []int{0, 1}},
		{"finding.severity >= HIGH", []int{0, 1}},
		{"finding.severity == LOW", []int{2}},
		{"finding.severity < MEDIUM && finding.severity > UNKNOWN", []int{2}},
		{"finding.cvss.score >= 7.0 && finding.cvss.vector.startsWith('CVSS:3.1/AV:N')", []int{0}},
		{"finding.cvss.source == 'nvd'", []int{0}},
		{"finding.baseImage", []int{1}},
		{"!finding.baseImage && finding.layerIndex == 1", []int{0}},
		{"finding.ageDays > 30", []int{0}},
		{"finding.ageDays == -1", []int{1, 2}},
		{"finding.epssPercentile >= 0.9", []int{0}},
		{"'GHSA-xxxx' in finding.aliases", []int{0}},
		{"finding.packageType == 'deb' && finding.status == 'affected'", []int{1}},
		{"finding.purl.startsWith('pkg:npm/')", []int{0}},
		{"finding.fixedVersion != '' && finding.packageName == 'lodash'", []int{0}},
		{"finding.id.matches('^CVE-2024-[23]$')", []int{1, 2}},
		{"finding.severityName == 'CRITICAL'", []int{1}},
	}
	for _, tt := range tests {
		t.Run(tt.expr, func(t *testing.T) {
			p, err := ParsePolicy("p.yaml", []byte("rules:\n  - name: r\n    expr: \""+strings.ReplaceAll(tt.expr, `"`, `\"`)+"\"\n"))
			if err != nil {
				t.Fatal(err)
			}
			got, err := p.Eval(t.Context(), findings, Context{Now: now, BaseImageLayers: 1, Layers: layers})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got[0]); diff != "" {
				t.Errorf("matches (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParsePolicyErrors(t *testing.T) {
	tests := []struct {
		name, in, want string
	}{
		{"typo in field", "rules:\n  - name: r\n    expr: finding.sevrity >= HIGH\n", `p.yaml:3:18: rule "r": undefined field 'sevrity'`},
		{"syntax error quoted", "rules:\n  - name: r\n    expr: \"finding.kev &&\"\n", `p.yaml:3:`},
		{"block scalar", "rules:\n  - name: r\n    expr: |\n      finding.kev &&\n        finding.bogus\n", `p.yaml:5:16: rule "r": undefined field 'bogus'`},
		{"not bool", "rules:\n  - name: r\n    expr: finding.epss\n", `p.yaml:3:11: rule "r": expression is double, want bool`},
		{"bad action", "rules:\n  - name: r\n    expr: finding.kev\n    action: block\n", `p.yaml:4:13: rule "r": action "block": want fail or warn`},
		{"unknown key", "rules:\n  - name: r\n    expression: finding.kev\n", `p.yaml:3:5: unknown key "expression" in a rule`},
		{"duplicate name", "rules:\n  - name: r\n    expr: finding.kev\n  - name: r\n    expr: finding.kev\n", `p.yaml:4:5: duplicate rule name "r"`},
		{"no rules", "rules: []\n", "p.yaml: rules must be a non-empty list"},
		{"no expr", "rules:\n  - name: r\n", `p.yaml:2:5: rule "r" has no expr`},
		{"undeclared constant", "rules:\n  - name: r\n    expr: finding.severity >= SEVERE\n", `p.yaml:3:31: rule "r": undeclared reference to 'SEVERE'`},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParsePolicy("p.yaml", []byte(tt.in))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("ParsePolicy error = %v, want prefix %q", err, tt.want)
			}
		})
	}
}

func TestLoadPolicy(t *testing.T) {
	p, err := LoadPolicy("testdata/policy.yaml")
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, r := range p.Rules {
		got = append(got, r.Name+" "+r.Action+" "+r.Source)
	}
	want := []string{"exploited-or-fixable fail testdata/policy.yaml:4:11", "old-critical-in-app warn testdata/policy.yaml:7:11"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
}

func FuzzParsePolicy(f *testing.F) {
	data, err := os.ReadFile("testdata/policy.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte("rules:\n  - name: r\n    expr: |\n      finding.kev &&\n        finding.bogus\n"))
	f.Fuzz(func(t *testing.T, data []byte) {
		p, err := ParsePolicy("fuzz.yaml", data)
		if err != nil {
			return
		}
		if _, err := p.Eval(t.Context(), []report.Finding{{VulnerabilityID: "X", Severity: "HIGH"}}, Context{Now: now}); err != nil {
			// Runtime errors (e.g. division by zero) are reported, not panics.
			return
		}
	})
}

func TestEvalRuntimeError(t *testing.T) {
	p, err := ParsePolicy("p.yaml", []byte("rules:\n  - name: first-alias\n    expr: finding.aliases[0] == 'GHSA-x'\n"))
	if err != nil {
		t.Fatal(err)
	}
	_, err = p.Eval(t.Context(), []report.Finding{{VulnerabilityID: "CVE-1", PURL: "pkg:npm/a@1"}}, Context{Now: now})
	want := `rule "first-alias" (p.yaml:3:11) on CVE-1 pkg:npm/a@1: index out of bounds`
	if err == nil || !strings.HasPrefix(err.Error(), want) {
		t.Fatalf("Eval error = %v, want prefix %q", err, want)
	}
}
