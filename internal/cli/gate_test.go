package cli

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/spf13/pflag"

	"github.com/customs-scanner/customs/internal/report"
	jsonreport "github.com/customs-scanner/customs/internal/report/json"
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

var gateNow = time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)

func TestApplyGate(t *testing.T) {
	// The image is customs-testdata/debian-bookworm-dpkg:12.5; its findings
	// are 14 in perl-base, one each in apt and libapt-pkg6.0 and libpcre2-8-0.
	vexDoc := gateFile(t, "perl.vex.json", `{"@context":"https://openvex.dev/ns/v0.2.0","@id":"x","author":"a","timestamp":"2026-11-01T00:00:00Z","version":1,"statements":[
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
	pol := gateFile(t, "policy.yaml", `rules:
  - name: no-fixable-apt
    expr: finding.fixAvailable && finding.packageName.startsWith('libapt')
    action: fail
  - name: perl
    expr: finding.packageName == 'perl-base' && finding.id.startsWith('CVE-2026-4')
    action: warn
`)
	// A baseline that already had the libapt finding.
	base := gateReport(t)
	var kept []report.Finding
	for _, f := range base.Findings {
		if f.PackageName == "libapt-pkg6.0" {
			kept = append(kept, f)
		}
	}
	base.Findings = kept
	var sb strings.Builder
	if err := (jsonreport.Encoder{}).Encode(&sb, base); err != nil {
		t.Fatal(err)
	}
	baseline := gateFile(t, "baseline.json", sb.String())

	perlLines := []string{
		`policy: warning: rule "perl" matched CVE-2026-42496 in perl-base 5.36.0-7+deb12u3 (pkg:deb/debian/perl-base@5.36.0-7%2Bdeb12u3?arch=amd64&distro=debian-12&upstream=perl)`,
		`policy: warning: rule "perl" matched CVE-2026-42497 in perl-base 5.36.0-7+deb12u3 (pkg:deb/debian/perl-base@5.36.0-7%2Bdeb12u3?arch=amd64&distro=debian-12&upstream=perl)`,
		`policy: warning: rule "perl" matched CVE-2026-48959 in perl-base 5.36.0-7+deb12u3 (pkg:deb/debian/perl-base@5.36.0-7%2Bdeb12u3?arch=amd64&distro=debian-12&upstream=perl)`,
		`policy: warning: rule "perl" matched CVE-2026-48962 in perl-base 5.36.0-7+deb12u3 (pkg:deb/debian/perl-base@5.36.0-7%2Bdeb12u3?arch=amd64&distro=debian-12&upstream=perl)`,
	}
	tests := []struct {
		name           string
		opts           gateOptions
		wantFailed     bool
		wantLines      []string
		wantSuppressed []string
		wantEligible   int
	}{
		{
			name:         "nothing",
			wantEligible: 16,
		},
		{
			name:           "vex by repo:tag with subcomponent and by image ID",
			opts:           gateOptions{vexFiles: []string{vexDoc}},
			wantLines:      []string{"vex: 1 findings suppressed as not_affected or fixed, 1 annotated"},
			wantSuppressed: []string{"vex CVE-2026-7010 perl-base"},
			wantEligible:   15,
		},
		{
			name: "exceptions, one expired",
			opts: gateOptions{ignoreFile: ignore},
			wantLines: []string{
				"exceptions: 1 findings suppressed",
				"warning: exception CVE-2026-103111 (" + ignore + ":7, owner platform@example.com) expired on 2026-11-26 and no longer applies",
			},
			wantSuppressed: []string{"ignore CVE-2026-109518 apt"},
			wantEligible:   15,
		},
		{
			name:       "policy fail and warn rules",
			opts:       gateOptions{policyFile: pol},
			wantFailed: true,
			wantLines: append([]string{
				`policy: FAIL: rule "no-fixable-apt" matched CVE-2026-109518 in libapt-pkg6.0 2.6.1 (pkg:deb/debian/libapt-pkg6.0@2.6.1?arch=amd64&distro=debian-12&upstream=apt)`,
			}, perlLines...),
			wantEligible: 16,
		},
		{
			name:           "baseline knows the failing finding",
			opts:           gateOptions{policyFile: pol, baseline: baseline},
			wantFailed:     false,
			wantLines:      append([]string{"baseline: 1 findings already in " + baseline + " cannot fail the gate"}, perlLines...),
			wantSuppressed: []string{"baseline CVE-2026-109518 libapt-pkg6.0"},
			wantEligible:   15,
		},
		{
			name: "baseline image hook",
			opts: gateOptions{policyFile: pol, baselineImage: "debian:12", scanBaseline: func(_ context.Context, ref string) (*report.Report, error) {
				if ref != "debian:12" {
					return nil, fmt.Errorf("unexpected ref %s", ref)
				}
				return base, nil
			}},
			wantLines:      append([]string{"baseline: 1 findings already in debian:12 cannot fail the gate"}, perlLines...),
			wantSuppressed: []string{"baseline CVE-2026-109518 libapt-pkg6.0"},
			wantEligible:   15,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := gateReport(t)
			res, err := applyGate(t.Context(), r, tt.opts, gateNow)
			if err != nil {
				t.Fatal(err)
			}
			if res.Failed != tt.wantFailed || r.Policy.Failed != tt.wantFailed {
				t.Errorf("Failed = %v, report policy failed = %v; want %v (%s)", res.Failed, r.Policy.Failed, tt.wantFailed, res.Message)
			}
			if diff := cmp.Diff(tt.wantLines, res.Lines); diff != "" {
				t.Errorf("lines (-want +got):\n%s", diff)
			}
			var sup []string
			for _, s := range r.Suppressed {
				sup = append(sup, s.By+" "+s.Finding.VulnerabilityID+" "+s.Finding.PackageName)
			}
			if diff := cmp.Diff(tt.wantSuppressed, sup); diff != "" {
				t.Errorf("suppressed (-want +got):\n%s", diff)
			}
			if len(res.Eligible) != tt.wantEligible {
				t.Errorf("%d eligible findings, want %d", len(res.Eligible), tt.wantEligible)
			}
			if r.Summary.Findings != len(r.Findings) || len(r.Findings)+len(r.Suppressed) != 16 {
				t.Errorf("summary %d, findings %d, suppressed %d: want summary = findings and 16 in all", r.Summary.Findings, len(r.Findings), len(r.Suppressed))
			}
		})
	}
}

func TestApplyGateAnnotates(t *testing.T) {
	vexDoc := gateFile(t, "v.json", `{"@context":"https://openvex.dev/ns/v0.2.0","statements":[
		{"vulnerability":{"name":"CVE-2026-7017"},"products":[{"@id":"pkg:oci/debian-bookworm-dpkg@sha256%3A59cd8731922e897f9fd7a0e2773d2828614df50a663ed245b0c74ce9ec847841"}],"status":"under_investigation","impact_statement":"checking"}]}`)
	r := gateReport(t)
	if _, err := applyGate(t.Context(), r, gateOptions{vexFiles: []string{vexDoc}}, gateNow); err != nil {
		t.Fatal(err)
	}
	var got []report.VEXNote
	for _, f := range r.Findings {
		if f.VEX != nil {
			got = append(got, *f.VEX)
		}
	}
	want := []report.VEXNote{{Status: "under_investigation", Statement: "checking", Source: vexDoc + "#0"}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("annotations (-want +got):\n%s", diff)
	}
}

func TestGateErrors(t *testing.T) {
	badPolicy := gateFile(t, "p.yaml", "rules:\n  - name: r\n    expr: finding.sevrity >= HIGH\n")
	badIgnore := gateFile(t, "i.yaml", "exceptions:\n  - id: X\n    reason: r\n    owners: me\n")
	badVEX := gateFile(t, "v.json", `{"foo":1}`)
	badBaseline := gateFile(t, "b.json", `{"schemaVersion":"9.0"}`)
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"policy", []string{"--policy", badPolicy}, "--policy: " + badPolicy + ":3:18: rule \"r\": undefined field 'sevrity'"},
		{"ignore", []string{"--ignore-file", badIgnore}, "--ignore-file: " + badIgnore + `:4:5: unknown key "owners" in an exception`},
		{"vex", []string{"--vex", badVEX}, "--vex: vex " + badVEX + ": not an OpenVEX, CycloneDX or CSAF document"},
		{"baseline", []string{"--baseline", badBaseline}, "--baseline " + badBaseline + `: decode json report: schema version "9.0" is not supported`},
		{"layers", []string{"--base-image-layers", "-1"}, "--base-image-layers -1: want 0 or more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var o gateOptions
			fs := pflag.NewFlagSet("scan", pflag.ContinueOnError)
			addGateFlags(fs, &o)
			if err := fs.Parse(tt.args); err != nil {
				t.Fatal(err)
			}
			err := checkGate(o)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("checkGate error = %v, want prefix %q", err, tt.want)
			}
		})
	}
}

// TestPolicySeesSecretsAndChecks: a policy rule can fail the gate on a
// secret or a configuration finding, as packageType "secret" / "config".
func TestPolicySeesSecretsAndChecks(t *testing.T) {
	pol := gateFile(t, "policy.yaml", `rules:
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
	res, err := applyGate(t.Context(), r, gateOptions{policyFile: pol}, gateNow)
	if err != nil {
		t.Fatal(err)
	}
	if !res.Failed {
		t.Errorf("gate passed with a critical secret; lines %v", res.Lines)
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
