package vex

import (
	"os"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/report"
)

func TestWriteOpenVEXRoundTrip(t *testing.T) {
	data, err := os.ReadFile("testdata/triage.yaml")
	if err != nil {
		t.Fatal(err)
	}
	ds, err := ParseDecisions("testdata/triage.yaml", data)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	out, err := WriteOpenVEX(ds, "Platform Security", "", now)
	if err != nil {
		t.Fatal(err)
	}
	again, err := WriteOpenVEX(ds, "Platform Security", "", now)
	if err != nil {
		t.Fatal(err)
	}
	if string(out) != string(again) {
		t.Error("WriteOpenVEX is not deterministic")
	}
	d, err := Parse("out.json", out)
	if err != nil {
		t.Fatal(err)
	}
	if d.Format != FormatOpenVEX {
		t.Errorf("format %s, want openvex", d.Format)
	}
	// The written document must do what trivy's own OpenVEX sample does.
	r := &report.Report{
		Packages: []inventory.Package{{PURL: "pkg:golang/github.com/testdata/testdata"}},
		Findings: []report.Finding{
			{VulnerabilityID: "CVE-2022-23628", PURL: "pkg:golang/github.com/open-policy-agent/opa@v0.35.0"},
			{VulnerabilityID: "GHSA-g4mx-q9vg-27p4", Aliases: []string{"CVE-2023-45803"}, PURL: "pkg:pypi/urllib3@1.26.16"},
		},
	}
	Apply(r, []*Document{d})
	want := []string{
		"kept GHSA-g4mx-q9vg-27p4 pkg:pypi/urllib3@1.26.16 vex=affected",
		"suppressed CVE-2022-23628 pkg:golang/github.com/open-policy-agent/opa@v0.35.0 not_affected vulnerable_code_not_in_execute_path",
	}
	if diff := cmp.Diff(want, outcome(r)); diff != "" {
		t.Errorf("outcome (-want +got):\n%s", diff)
	}
	if !strings.Contains(string(out), `"timestamp": "2026-11-27T12:00:00Z"`) || !strings.Contains(string(out), `"@id": "https://openvex.dev/docs/public/vex-`) {
		t.Errorf("document lacks timestamp or @id:\n%s", out)
	}
}

func TestParseDecisionsErrors(t *testing.T) {
	tests := []struct{ name, in, want string }{
		{"unknown key", "decisions:\n  - vulnerability: X\n    product: [a]\n", "t.yaml: yaml: unmarshal errors:\n  line 3: field product not found"},
		{"no products", "- vulnerability: X\n  status: fixed\n", "t.yaml: decision 1 (X): no products"},
		{"bad status", `[{"vulnerability":"X","products":["p"],"status":"ok"}]`, `t.yaml: decision 1 (X): status "ok"`},
		{"not_affected bare", "- {vulnerability: X, products: [p], status: not_affected}\n", "t.yaml: decision 1 (X): not_affected needs a justification or an impact_statement"},
		{"affected bare", "- {vulnerability: X, products: [p], status: affected}\n", "t.yaml: decision 1 (X): affected needs an action_statement"},
		{"bad justification", "- {vulnerability: X, products: [p], status: not_affected, justification: trust_me}\n", `t.yaml: decision 1 (X): justification "trust_me"`},
		{"justification on fixed", "- {vulnerability: X, products: [p], status: fixed, justification: component_not_present}\n", "t.yaml: decision 1 (X): justification is only for not_affected"},
		{"empty", "decisions: []\n", "t.yaml: no decisions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := ParseDecisions("t.yaml", []byte(tt.in))
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("ParseDecisions error = %v, want prefix %q", err, tt.want)
			}
		})
	}
}

func FuzzParseDecisions(f *testing.F) {
	data, err := os.ReadFile("testdata/triage.yaml")
	if err != nil {
		f.Fatal(err)
	}
	f.Add(data)
	f.Add([]byte(`[{"vulnerability":"X","products":["p"],"status":"fixed"}]`))
	f.Fuzz(func(t *testing.T, data []byte) {
		ds, err := ParseDecisions("fuzz.yaml", data)
		if err != nil {
			return
		}
		out, err := WriteOpenVEX(ds, "fuzz", "", time.Unix(0, 0))
		if err != nil {
			t.Fatalf("valid decisions do not write: %v", err)
		}
		if _, err := Parse("out.json", out); err != nil {
			t.Fatalf("written document does not parse: %v", err)
		}
	})
}
