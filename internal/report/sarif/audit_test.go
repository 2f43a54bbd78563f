package sarif

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/santhosh-tekuri/jsonschema/v6"

	"github.com/customs-scanner/customs/internal/golden"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/report/reporttest"
)

func encodeAudit(t *testing.T, r *report.AuditReport) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := (AuditEncoder{}).Encode(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestAuditGolden(t *testing.T) {
	golden.Check(t, filepath.Join("testdata", "audit.sarif"), encodeAudit(t, reporttest.AuditSample(t)))
}

// TestAuditSchema validates the audit log against the SARIF 2.1.0 schema
// (formats asserted, so a URI that is not one fails).
func TestAuditSchema(t *testing.T) {
	f, err := os.Open(filepath.Join("testdata", "sarif-schema-2.1.0.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	doc, err := jsonschema.UnmarshalJSON(zr)
	if err != nil {
		t.Fatal(err)
	}
	c := jsonschema.NewCompiler()
	c.AssertFormat()
	if err := c.AddResource(SchemaURI, doc); err != nil {
		t.Fatal(err)
	}
	sch, err := c.Compile(SchemaURI)
	if err != nil {
		t.Fatal(err)
	}
	odd := reporttest.AuditSample(t)
	odd.Findings[0].Source = "/srv/my manifests/deploy #1.yaml"
	odd.Findings[1].Source = "-"
	odd.Findings[2].Source = "k8s:dir/pod.yaml"
	sample := string(encodeAudit(t, reporttest.AuditSample(t)))
	for _, tc := range []struct {
		name string
		doc  string
		ok   bool
	}{
		{"sample", sample, true},
		{"empty", string(encodeAudit(t, &report.AuditReport{})), true},
		{"stdin, spaces, absolute and colon paths", string(encodeAudit(t, odd)), true},
		// The validator must be able to fail: a level outside the enum.
		{"broken", strings.Replace(sample, `"level": "error"`, `"level": "fatal"`, 1), false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			inst, err := jsonschema.UnmarshalJSON(strings.NewReader(tc.doc))
			if err != nil {
				t.Fatal(err)
			}
			err = sch.Validate(inst)
			if tc.ok && err != nil {
				t.Errorf("does not validate against sarif-schema-2.1.0.json: %v", err)
			}
			if !tc.ok && err == nil {
				t.Error("validated, want an error")
			}
		})
	}
}

// TestAuditShape checks what GitHub code scanning reads: one rule per
// check with a level and a security-severity, each result pointing at its
// rule and at the file the workload came from.
func TestAuditShape(t *testing.T) {
	r := reporttest.AuditSample(t)
	r.Findings[1].Source = "-"
	var l auditLog
	if err := json.Unmarshal(encodeAudit(t, r), &l); err != nil {
		t.Fatal(err)
	}
	run := l.Runs[0]
	if len(run.Results) != len(r.Findings) {
		t.Fatalf("%d results for %d findings", len(run.Results), len(r.Findings))
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
