package report

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSortMisconfigurations: host escapes first, then privilege escalation,
// then hardening (a check without an impact among them), worst severity
// first within each, whatever the input order; the input is not changed.
func TestSortMisconfigurations(t *testing.T) {
	in := []Misconfiguration{
		{ID: "h", Severity: "CRITICAL", Impact: ImpactHardening},
		{ID: "n", Severity: "NEGLIGIBLE"},
		{ID: "p", Severity: "HIGH", Impact: ImpactPrivilegeEscalation},
		{ID: "e2", Severity: "HIGH", Impact: ImpactHostEscape},
		{ID: "e1", Severity: "CRITICAL", Impact: ImpactHostEscape},
	}
	var got []string
	for _, m := range SortMisconfigurations(in) {
		got = append(got, m.ID)
	}
	if diff := cmp.Diff([]string{"e1", "e2", "p", "h", "n"}, got); diff != "" {
		t.Errorf("order (-want +got):\n%s", diff)
	}
	if in[0].ID != "h" {
		t.Error("SortMisconfigurations changed its input")
	}
	r := &Report{Misconfigurations: in}
	r.Summarize()
	want := &CheckSummary{BySeverity: map[string]int{"CRITICAL": 2, "HIGH": 2, "NEGLIGIBLE": 1},
		ByImpact: map[string]int{"host-escape": 2, "privilege-escalation": 1, "hardening": 2}}
	if diff := cmp.Diff(want, r.Summary.Misconfigurations); diff != "" {
		t.Errorf("summary (-want +got):\n%s", diff)
	}
}
