package markdown

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/customs-scanner/customs/internal/golden"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/report/reporttest"
)

func TestGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		enc  Encoder
		r    func(testing.TB) *report.Report
		file string
	}{
		{"default", Encoder{}, reporttest.Sample, "sample.md"},
		{"limit 2", Encoder{Limit: 2}, reporttest.Sample, "sample-limit2.md"},
		{"clean", Encoder{}, func(t testing.TB) *report.Report {
			r := reporttest.Sample(t)
			r.Findings = nil
			return r
		}, "clean.md"},
		{"secrets and misconfigurations", Encoder{}, withAudit, "sample-audit.md"},
		{"only a secret, no DB", Encoder{}, func(t testing.TB) *report.Report {
			r := withAudit(t)
			r.Findings, r.Misconfigurations, r.DB = nil, []report.Misconfiguration{}, nil
			r.Secrets = r.Secrets[:1]
			return r
		}, "secret-only.md"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := tc.enc.Encode(&b, tc.r(t)); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", tc.file), b.Bytes())
		})
	}
}

// TestShort: a big report stays short enough for a PR comment (GitHub
// caps comments at 65536 characters) and keeps the limit.
func TestShort(t *testing.T) {
	r := reporttest.Sample(t)
	base := r.Findings[0]
	r.Findings = nil
	for i := range 2000 {
		f := base
		f.VulnerabilityID = fmt.Sprintf("CVE-2024-%05d", i)
		r.Findings = append(r.Findings, f)
	}
	var b bytes.Buffer
	if err := (Encoder{}).Encode(&b, r); err != nil {
		t.Fatal(err)
	}
	main, _, _ := strings.Cut(b.String(), "<details>")
	if got := strings.Count(main, "\n| CRITICAL |"); got != DefaultLimit {
		t.Errorf("main table has %d rows, want %d", got, DefaultLimit)
	}
	if !strings.Contains(b.String(), "<summary>1950 more findings") {
		t.Error("the folded block does not count the other 1950 findings")
	}
	if got := strings.Count(b.String(), "\n| CRITICAL |"); got != DefaultLimit+MaxFolded {
		t.Errorf("%d rows in all, want %d", got, DefaultLimit+MaxFolded)
	}
	if b.Len() > 65536 {
		t.Errorf("%d bytes, more than a GitHub comment holds", b.Len())
	}
}

// withAudit is the sample report with what --scanners secret,config find:
// a private key still in the image, a token a later layer deleted (both as
// the secret scanner reports them, match redacted) and a failed check.
func withAudit(t testing.TB) *report.Report {
	r := reporttest.Sample(t)
	r.Secrets = []report.Secret{
		{Rule: "private-key", Severity: "CRITICAL", Source: "file", Layer: r.Target.Layers[1].DiffID, CreatedBy: r.Target.Layers[1].CreatedBy,
			Path: "root/.ssh/id_rsa", Line: 2, Match: "-----BEGIN RSA PRIVATE KEY----- MIIC****", StillPresent: true},
		{Rule: "github-token", Severity: "HIGH", Source: "file", Layer: r.Target.Layers[0].DiffID, Path: "root/.config/gh/hosts.yml", Line: 2, Match: "ghp_Zq****"},
		{Rule: "aws-access-key-id", Severity: "HIGH", Source: "env", Path: "Env[2]", Match: "AKIA****"},
	}
	r.Misconfigurations = []report.Misconfiguration{{ID: "image.root-user", Title: "Container runs as root", Severity: "MEDIUM",
		Evidence: []string{"config.User is empty"}, Remediation: "Add USER <uid> to the Dockerfile", Target: r.Target.Ref}}
	return r
}

// TestSecretsShown: a critical private key is in the comment even when
// the image has no vulnerabilities (it was left out before).
func TestSecretsShown(t *testing.T) {
	r := withAudit(t)
	r.Findings = nil
	var b bytes.Buffer
	if err := (Encoder{}).Encode(&b, r); err != nil {
		t.Fatal(err)
	}
	for _, want := range []string{"**3 secrets**: CRITICAL **1** · HIGH **2**", "| CRITICAL | private-key | /root/.ssh/id\\_rsa:2 |",
		"(deleted by a later layer, still in this one)", "| MEDIUM | image.root-user | Container runs as root |", "No vulnerabilities found"} {
		if !strings.Contains(b.String(), want) {
			t.Errorf("comment lacks %q:\n%s", want, b.String())
		}
	}
}

func TestAuditGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    func(testing.TB) *report.Report
		file string
	}{
		{"sample", reporttest.AuditSample, "audit.md"},
		{"clean", func(t testing.TB) *report.Report {
			r := reporttest.AuditSample(t)
			r.Misconfigurations = nil
			return r
		}, "audit-clean.md"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := (Encoder{}).Encode(&b, tc.r(t)); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", tc.file), b.Bytes())
		})
	}
}

// TestAuditShort: thousands of findings (a cluster's manifests) still
// make a comment under GitHub's 65536-character limit, and say how many
// were left out.
func TestAuditShort(t *testing.T) {
	r := reporttest.AuditSample(t)
	base := r.Misconfigurations
	r.Misconfigurations = nil
	for i := range 3000 {
		f := base[i%len(base)]
		f.Workload = fmt.Sprintf("Deployment/app-%d", i)
		r.Misconfigurations = append(r.Misconfigurations, f)
	}
	var b bytes.Buffer
	if err := (Encoder{}).Encode(&b, r); err != nil {
		t.Fatal(err)
	}
	if b.Len() > 65536 {
		t.Errorf("comment is %d bytes, over GitHub's limit", b.Len())
	}
	if want := fmt.Sprintf("…and %d more", 3000-MaxFolded); !strings.Contains(b.String(), want) {
		t.Errorf("comment lacks %q", want)
	}
}
