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

func encode(t *testing.T, e Encoder, r *report.Report) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := e.Encode(&b, r); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

var dockerfile = filepath.Join("testdata", "Dockerfile")

func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		enc  Encoder
		file string
	}{
		{"paths", Encoder{}, "sample.sarif"},
		{"dockerfile", Encoder{Dockerfile: dockerfile}, "sample-dockerfile.sarif"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got := encode(t, tc.enc, reporttest.Sample(t))
			golden.Check(t, filepath.Join("testdata", tc.file), got)
		})
	}
}

func TestSchema(t *testing.T) {
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
	odd.Misconfigurations[0].Source = "/srv/my manifests/deploy #1.yaml"
	odd.Misconfigurations[1].Source = "-"
	odd.Misconfigurations[2].Source = "k8s:dir/pod.yaml"
	for _, tc := range []struct {
		name string
		doc  string
		ok   bool
	}{
		{"paths", string(encode(t, Encoder{}, reporttest.Sample(t))), true},
		{"audit", string(encode(t, Encoder{}, reporttest.AuditSample(t))), true},
		{"audit of nothing", string(encode(t, Encoder{}, &report.Report{Targets: []report.AuditTarget{{Target: "empty.yaml"}}})), true},
		{"audit: stdin, spaces, absolute and colon paths", string(encode(t, Encoder{}, odd)), true},
		{"dockerfile", string(encode(t, Encoder{Dockerfile: dockerfile}, reporttest.Sample(t))), true},
		{"empty", string(encode(t, Encoder{}, &report.Report{})), true},
		// The validator must be able to fail: a level outside the enum.
		{"secrets and configuration", string(encode(t, Encoder{}, withAudit(reporttest.Sample(t)))), true},
		{"broken", strings.Replace(string(encode(t, Encoder{}, reporttest.Sample(t))), `"level": "error"`, `"level": "fatal"`, 1), false},
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

// TestGitHubShape checks what GitHub code scanning reads: one rule per
// vulnerability with security-severity, a level and a location per result.
func TestGitHubShape(t *testing.T) {
	var l log
	if err := json.Unmarshal(encode(t, Encoder{Dockerfile: dockerfile}, reporttest.Sample(t)), &l); err != nil {
		t.Fatal(err)
	}
	run := l.Runs[0]
	type ruleRow struct{ ID, Severity, Level string }
	var rules []ruleRow
	for _, r := range run.Tool.Driver.Rules {
		rules = append(rules, ruleRow{r.ID, r.Properties.SecuritySeverity, r.DefaultConfiguration.Level})
	}
	wantRules := []ruleRow{
		{"CVE-2019-14697", "", "note"},
		{"CVE-2020-1967", "7.5", "error"},
		{"CVE-2020-28928", "5.5", "warning"},
		{"CVE-2021-36159", "9.1", "error"},
		{"CVE-2022-28391", "9.8", "error"},
		{"CVE-2023-0464", "0.1", "note"},
	}
	if diff := cmp.Diff(wantRules, rules); diff != "" {
		t.Errorf("rules (-want +got):\n%s", diff)
	}
	type resRow struct {
		Rule, Pkg, Level, URI string
		Line                  int
	}
	var res []resRow
	for _, r := range run.Results {
		if run.Tool.Driver.Rules[r.RuleIndex].ID != r.RuleID {
			t.Errorf("result %s points at rule %d", r.RuleID, r.RuleIndex)
		}
		loc := r.Locations[0].PhysicalLocation
		res = append(res, resRow{r.RuleID, r.Properties.(map[string]any)["packageName"].(string), r.Level, loc.ArtifactLocation.URI, loc.Region.StartLine})
	}
	// CVE-2019-1551 is not-affected and left out; ca-certificates-cacert
	// came from the RUN apk add layer (line 9), the rest from the base image
	// (the last FROM, line 7).
	wantRes := []resRow{
		{"CVE-2019-14697", "musl", "note", "testdata/Dockerfile", 7},
		{"CVE-2020-1967", "libcrypto1.1", "error", "testdata/Dockerfile", 7},
		{"CVE-2020-1967", "libssl1.1", "error", "testdata/Dockerfile", 7},
		{"CVE-2020-28928", "musl", "warning", "testdata/Dockerfile", 7},
		{"CVE-2020-28928", "musl-utils", "warning", "testdata/Dockerfile", 7},
		{"CVE-2021-36159", "apk-tools", "error", "testdata/Dockerfile", 7},
		{"CVE-2022-28391", "busybox", "error", "testdata/Dockerfile", 7},
		{"CVE-2023-0464", "ca-certificates-cacert", "note", "testdata/Dockerfile", 9},
	}
	if diff := cmp.Diff(wantRes, res); diff != "" {
		t.Errorf("results (-want +got):\n%s", diff)
	}
}

func TestMissingDockerfile(t *testing.T) {
	err := Encoder{Dockerfile: filepath.Join(t.TempDir(), "nope")}.Encode(&bytes.Buffer{}, reporttest.Sample(t))
	if err == nil || !strings.Contains(err.Error(), "read dockerfile") {
		t.Errorf("err = %v, want a read dockerfile error", err)
	}
}

// withAudit adds a secret (deleted by a later layer) and a configuration
// finding to r.
func withAudit(r *report.Report) *report.Report {
	r.Secrets = []report.Secret{{Rule: "github-token", Severity: "CRITICAL", Source: "file", Layer: "sha256:0123456789abcdef",
		CreatedBy: "COPY . /", Path: "root/.config/gh/hosts.yml", Line: 2, Match: "ghp_Zq****", StillPresent: false}}
	r.Misconfigurations = []report.Misconfiguration{{ID: "image.root-user", Title: "Container runs as root", Severity: "MEDIUM",
		Evidence: []string{"config.User is empty"}, Remediation: "Add USER <uid>", Target: "app.tar"}}
	return r
}

func TestAuditResults(t *testing.T) {
	var l struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct{ ID string }
				}
			}
			Results []struct {
				RuleID string
				Level  string
			}
		}
	}
	if err := json.Unmarshal(encode(t, Encoder{}, withAudit(reporttest.Sample(t))), &l); err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, r := range l.Runs[0].Results {
		got[r.RuleID] = r.Level
	}
	if got["secret/github-token"] != "error" || got["image.root-user"] != "warning" {
		t.Errorf("results %v: want secret/github-token at error and image.root-user at warning", got)
	}
}
