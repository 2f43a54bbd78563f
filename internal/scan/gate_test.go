package scan

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/policy"
	"github.com/customs-scanner/customs/internal/report"
	jsonreport "github.com/customs-scanner/customs/internal/report/json"
	"github.com/customs-scanner/customs/internal/vex"
)

// gateReport is a real report: customs scan of
// testdata/images/debian-bookworm-dpkg.tar.gz against the bookworm tracker
// slice (see testdata/gate/README.md).
func gateReport(t *testing.T) *report.Report {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", "gate", "debian.report.json"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	r, err := jsonreport.Decode(f)
	if err != nil {
		t.Fatal(err)
	}
	return r
}

func gateFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func gateNow() time.Time { return time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC) }

func loadVEX(t *testing.T, content string) *vex.Document {
	t.Helper()
	d, err := vex.Load(gateFile(t, "doc.vex.json", content))
	if err != nil {
		t.Fatal(err)
	}
	return d
}

func loadPolicy(t *testing.T, content string) *policy.Policy {
	t.Helper()
	p, err := policy.LoadPolicy(gateFile(t, "policy.yaml", content))
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// testPolicy fails on a fixable libapt finding and warns on four perl ones.
const testPolicy = `rules:
  - name: no-fixable-apt
    expr: finding.fixAvailable && finding.packageName.startsWith('libapt')
    action: fail
  - name: perl
    expr: finding.packageName == 'perl-base' && finding.id.startsWith('CVE-2026-4')
    action: warn
`

func TestJudge(t *testing.T) {
	// The image is customs-testdata/debian-bookworm-dpkg:12.5; its findings
	// are 14 in perl-base, one each in apt and libapt-pkg6.0 and libpcre2-8-0.
	vexDoc := loadVEX(t, `{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","author":"a","timestamp":"2026-11-01T00:00:00Z","version":1,"statements":[
		{"vulnerability":{"name":"CVE-2026-7010"},"products":[{"@id":"customs-testdata/debian-bookworm-dpkg:12.5","subcomponents":[{"@id":"pkg:deb/debian/perl-base"}]}],"status":"not_affected","justification":"vulnerable_code_not_in_execute_path"},
		{"vulnerability":{"name":"CVE-2026-7017"},"products":[{"@id":"sha256:59cd8731922e897f9fd7a0e2773d2828614df50a663ed245b0c74ce9ec847841"}],"status":"under_investigation"}]}`)
	ignore := gateFile(t, "ignore.yaml", `exceptions:
  - id: CVE-2026-109518
    purl: pkg:deb/debian/apt
    reason: apt is not run in production
    owner: platform@example.com
    expires: 2026-12-31
  - id: CVE-2026-103111
    reason: waiting for the distro
    owner: platform@example.com
    expires: 2026-11-26
`)
	exceptions, err := policy.LoadExceptions(ignore)
	if err != nil {
		t.Fatal(err)
	}
	pol := loadPolicy(t, testPolicy)
	// A baseline that already had the libapt finding.
	base := gateReport(t)
	var kept []report.Finding
	for _, f := range base.Findings {
		if f.PackageName == "libapt-pkg6.0" {
			kept = append(kept, f)
		}
	}
	base.Findings = kept

	perlLines := []string{
		`policy: warning: rule "perl" matched CVE-2026-42496 in perl-base 5.36.0-7+deb12u3 (pkg:deb/debian/perl-base@5.36.0-7%2Bdeb12u3?arch=amd64&distro=debian-12&upstream=perl)`,
		`policy: warning: rule "perl" matched CVE-2026-42497 in perl-base 5.36.0-7+deb12u3 (pkg:deb/debian/perl-base@5.36.0-7%2Bdeb12u3?arch=amd64&distro=debian-12&upstream=perl)`,
		`policy: warning: rule "perl" matched CVE-2026-48959 in perl-base 5.36.0-7+deb12u3 (pkg:deb/debian/perl-base@5.36.0-7%2Bdeb12u3?arch=amd64&distro=debian-12&upstream=perl)`,
		`policy: warning: rule "perl" matched CVE-2026-48962 in perl-base 5.36.0-7+deb12u3 (pkg:deb/debian/perl-base@5.36.0-7%2Bdeb12u3?arch=amd64&distro=debian-12&upstream=perl)`,
	}
	failAPT := "--policy: fail rules matched: no-fixable-apt (1)"
	tests := []struct {
		name           string
		gate           Gate
		wantVerdict    *report.Verdict
		wantLines      []string
		wantSuppressed []string
	}{
		{
			name: "nothing",
		},
		{
			name:           "vex by repo:tag with subcomponent and by image ID",
			gate:           Gate{VEX: []*vex.Document{vexDoc}},
			wantLines:      []string{"vex: 1 findings suppressed as not_affected or fixed, 1 annotated"},
			wantSuppressed: []string{"vex CVE-2026-7010 perl-base"},
		},
		{
			name: "exceptions, one expired",
			gate: Gate{Exceptions: exceptions},
			wantLines: []string{
				"exceptions: 1 findings suppressed",
				"warning: exception CVE-2026-103111 (" + ignore + ":7, owner platform@example.com) expired on 2026-11-26 and no longer applies",
			},
			wantSuppressed: []string{"ignore CVE-2026-109518 apt"},
		},
		{
			name:        "policy fail and warn rules",
			gate:        Gate{Policy: pol},
			wantVerdict: &report.Verdict{Failed: true, Message: failAPT},
			wantLines: append([]string{
				`policy: FAIL: rule "no-fixable-apt" matched CVE-2026-109518 in libapt-pkg6.0 2.6.1 (pkg:deb/debian/libapt-pkg6.0@2.6.1?arch=amd64&distro=debian-12&upstream=apt)`,
			}, perlLines...),
		},
		{
			name:           "baseline knows the failing finding",
			gate:           Gate{Policy: pol, Baseline: base, BaselineName: "base.json"},
			wantVerdict:    &report.Verdict{},
			wantLines:      append([]string{"baseline: 1 findings already in base.json cannot fail the gate"}, perlLines...),
			wantSuppressed: []string{"baseline CVE-2026-109518 libapt-pkg6.0"},
		},
		{
			// --fail-on counts only the findings the gate leaves eligible:
			// not the one the baseline knows.
			name:           "fail-on after the baseline",
			gate:           Gate{FailOnUnknown: true, Baseline: base, BaselineName: "base.json"},
			wantVerdict:    &report.Verdict{Failed: true, Message: "--fail-on-unknown: 15 findings without a severity"},
			wantLines:      []string{"baseline: 1 findings already in base.json cannot fail the gate"},
			wantSuppressed: []string{"baseline CVE-2026-109518 libapt-pkg6.0"},
		},
		{
			// A failed policy names itself; --fail-on is not counted.
			name:        "policy failure comes first",
			gate:        Gate{Policy: pol, FailOn: "low"},
			wantVerdict: &report.Verdict{Failed: true, Message: failAPT},
			wantLines: append([]string{
				`policy: FAIL: rule "no-fixable-apt" matched CVE-2026-109518 in libapt-pkg6.0 2.6.1 (pkg:deb/debian/libapt-pkg6.0@2.6.1?arch=amd64&distro=debian-12&upstream=apt)`,
			}, perlLines...),
		},
		{
			name:        "fail-on critical passes",
			gate:        Gate{FailOn: "critical"},
			wantVerdict: &report.Verdict{},
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := gateReport(t)
			var rec recorder
			if err := Judge(t.Context(), r, Options{Gate: &tt.gate, Now: gateNow, Handler: &rec}); err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantVerdict, r.Verdict); diff != "" {
				t.Errorf("verdict (-want +got):\n%s", diff)
			}
			// The policy section tells the policy's failure, not --fail-on's.
			if failed := tt.gate.Policy != nil && tt.wantVerdict.Failed; r.Policy.Failed != failed {
				t.Errorf("report policy failed = %v, want %v", r.Policy.Failed, failed)
			}
			if diff := cmp.Diff(tt.wantLines, rec.notes); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
			var sup []string
			for _, s := range r.Suppressed {
				sup = append(sup, s.By+" "+s.Finding.VulnerabilityID+" "+s.Finding.PackageName)
			}
			if diff := cmp.Diff(tt.wantSuppressed, sup); diff != "" {
				t.Errorf("suppressed (-want +got):\n%s", diff)
			}
			if r.Summary.Findings != len(r.Findings) || len(r.Findings)+len(r.Suppressed) != 16 {
				t.Errorf("summary %d, findings %d, suppressed %d: want summary = findings and 16 in all", r.Summary.Findings, len(r.Findings), len(r.Suppressed))
			}
		})
	}
}

func TestJudgeNoGate(t *testing.T) {
	r := gateReport(t)
	want := gateReport(t)
	if err := Judge(t.Context(), r, Options{}); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, r); diff != "" {
		t.Errorf("a nil gate changed the report (-want +got):\n%s", diff)
	}
}

func TestJudgeKeeps(t *testing.T) {
	tests := []struct {
		name string
		gate Gate
		want int
	}{
		{"all", Gate{}, 16},
		{"ignore unfixed", Gate{IgnoreUnfixed: true}, 0},
		{"high only", Gate{Severities: []string{"HIGH"}}, 0},
		{"medium and low", Gate{Severities: []string{"MEDIUM", "LOW"}}, 0},
	}
	// The fixture's findings are all fixed and of UNKNOWN severity: make
	// some unfixed, some HIGH, MEDIUM and LOW.
	fixture := func(t *testing.T) *report.Report {
		r := gateReport(t)
		for i := range r.Findings {
			f := &r.Findings[i]
			f.Severity = []string{"HIGH", "MEDIUM", "LOW", "UNKNOWN"}[i%4]
			if i%3 == 0 {
				f.Status = report.StatusAffected
			}
		}
		return r
	}
	counts := map[string]int{}
	fixed := 0
	for _, f := range fixture(t).Findings {
		counts[strings.ToUpper(f.Severity)]++
		if f.Status == report.StatusFixAvailable {
			fixed++
		}
	}
	tests[1].want, tests[2].want, tests[3].want = fixed, counts["HIGH"], counts["MEDIUM"]+counts["LOW"]
	if fixed == 0 || fixed == 16 || counts["HIGH"] == 0 {
		t.Fatalf("the fixture no longer tells the filters apart: %d fixed, %v", fixed, counts)
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := fixture(t)
			if err := Judge(t.Context(), r, Options{Gate: &tt.gate, Now: gateNow}); err != nil {
				t.Fatal(err)
			}
			if len(r.Findings) != tt.want || r.Summary.Findings != tt.want {
				t.Errorf("%d findings, summary %d; want %d", len(r.Findings), r.Summary.Findings, tt.want)
			}
		})
	}
}

func TestJudgeAnnotates(t *testing.T) {
	doc := loadVEX(t, `{"@context":"https://openvex.dev/ns/v0.2.0","statements":[
		{"vulnerability":{"name":"CVE-2026-7017"},"products":[{"@id":"pkg:oci/debian-bookworm-dpkg@sha256%3A59cd8731922e897f9fd7a0e2773d2828614df50a663ed245b0c74ce9ec847841"}],"status":"under_investigation","impact_statement":"checking"}]}`)
	r := gateReport(t)
	if err := Judge(t.Context(), r, Options{Gate: &Gate{VEX: []*vex.Document{doc}}, Now: gateNow}); err != nil {
		t.Fatal(err)
	}
	var got []report.VEXNote
	for _, f := range r.Findings {
		if f.VEX != nil {
			got = append(got, *f.VEX)
		}
	}
	if len(got) != 1 || got[0].Status != "under_investigation" || got[0].Statement != "checking" {
		t.Errorf("annotations = %+v, want one under_investigation, checking", got)
	}
}

// TestPolicySeesSecretsAndChecks: a policy rule can fail the gate on a
// secret or a configuration finding, as packageType "secret" / "config".
func TestPolicySeesSecretsAndChecks(t *testing.T) {
	pol := loadPolicy(t, `rules:
  - name: no-secrets
    expr: finding.packageType == 'secret' && finding.severity >= HIGH
    action: fail
  - name: root
    expr: finding.packageType == 'config' && finding.id == 'image.root-user'
    action: warn
`)
	r := gateReport(t)
	r.Secrets = []report.Secret{{Rule: "github-token", Severity: "CRITICAL", Path: "app/config.env", Line: 1, Match: "ghp_Zq****", StillPresent: true}}
	r.Misconfigurations = []report.Misconfiguration{{ID: "image.root-user", Title: "Container runs as root", Severity: "MEDIUM"}}
	if err := Judge(t.Context(), r, Options{Gate: &Gate{Policy: pol}, Now: gateNow}); err != nil {
		t.Fatal(err)
	}
	if r.Verdict == nil || !r.Verdict.Failed {
		t.Errorf("gate passed with a critical secret: verdict %+v", r.Verdict)
	}
	var names []string
	for _, rr := range r.Policy.Rules {
		if len(rr.Matched) > 0 {
			names = append(names, rr.Name)
		}
	}
	if diff := cmp.Diff([]string{"no-secrets", "root"}, names); diff != "" {
		t.Errorf("matched rules (-want +got):\n%s", diff)
	}
}
