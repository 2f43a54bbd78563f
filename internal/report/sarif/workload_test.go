package sarif

import (
	"encoding/json"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/golden"
	"github.com/customs-scanner/customs/internal/report/reporttest"
)

func TestAuditGolden(t *testing.T) {
	golden.Check(t, filepath.Join("testdata", "audit.sarif"), encode(t, Encoder{}, reporttest.AuditSample(t)))
}

// TestAuditShape checks what GitHub code scanning reads: one rule per
// check with a level and a security-severity, each result pointing at its
// rule and at the file the workload came from.
func TestAuditShape(t *testing.T) {
	r := reporttest.AuditSample(t)
	r.Misconfigurations[1].Source = "-"
	var l log
	if err := json.Unmarshal(encode(t, Encoder{}, r), &l); err != nil {
		t.Fatal(err)
	}
	run := l.Runs[0]
	if len(run.Results) != len(r.Misconfigurations) {
		t.Fatalf("%d results for %d findings", len(run.Results), len(r.Misconfigurations))
	}
	type row struct{ Rule, Level, Severity, URI, Logical string }
	var got []row
	for i, res := range run.Results {
		rl := run.Tool.Driver.Rules[res.RuleIndex]
		if rl.ID != res.RuleID {
			t.Errorf("result %s points at rule %s", res.RuleID, rl.ID)
		}
		uri := ""
		if p := res.Locations[0].PhysicalLocation; p != nil {
			uri = p.ArtifactLocation.URI
		}
		if i < 4 {
			got = append(got, row{res.RuleID, res.Level, rl.Properties.SecuritySeverity, uri, res.Locations[0].LogicalLocations[0].FullyQualifiedName})
		}
	}
	want := []row{
		{"CIS-DOCKER-5.32", "error", "9.0", "docker-compose.yml", "docker-compose.yml#service/agent/container/agent"},
		{"CIS-DOCKER-5.5", "error", "9.0", "", "docker-compose.yml#service/agent/container/agent"}, // read from stdin: no file
		{"CUSTOMS-HOSTPID-PTRACE", "error", "9.0", "k8s/pod.yaml", "k8s/pod.yaml#Pod/debug/container/c"},
		{"PSS-BASELINE-HOST-NAMESPACES", "error", "7.0", "k8s/pod.yaml", "k8s/pod.yaml#Pod/debug"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("first results (-want +got):\n%s", diff)
	}
	if n := len(run.Tool.Driver.Rules); n != 13 {
		t.Errorf("%d rules, want one per check (13)", n)
	}
}
