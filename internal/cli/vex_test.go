package cli

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/scan"
	"github.com/customs-scanner/customs/internal/vex"
)

func runVexCmd(t *testing.T, now time.Time, args ...string) (string, string, error) {
	t.Helper()
	cmd := newVexCmd(func() time.Time { return now })
	var out, errb bytes.Buffer
	cmd.SetOut(&out)
	cmd.SetErr(&errb)
	cmd.SetArgs(args)
	cmd.SilenceUsage, cmd.SilenceErrors = true, true
	err := cmd.Execute()
	return out.String(), errb.String(), err
}

func TestVexFromExceptionsSuppressesInScan(t *testing.T) {
	ignore := gateFile(t, "ignore.yaml", `exceptions:
  - id: CVE-2026-109518
    purl: pkg:deb/debian/apt
    reason: apt is not run in production
    expires: 2026-12-31
  - id: CVE-2026-103111
    purl: pkg:deb/debian/libpcre2-8-0
    reason: expired
    expires: 2026-11-26
  - id: CVE-2026-7010
    purl: pkg:deb/debian/perl-base
    path: usr/share/**
    reason: path-scoped
`)
	out := filepath.Join(t.TempDir(), "app.vex.json")
	_, stderr, err := runVexCmd(t, gateNow, "--exceptions", ignore, "--product", "customs-testdata/debian-bookworm-dpkg:12.5", "--author", "sec@example.com", "--output", out)
	if err != nil {
		t.Fatal(err)
	}
	wantErr := "customs: vex: skipped exception CVE-2026-103111 (" + ignore + ":6): expired on 2026-11-26\n" +
		"customs: vex: skipped exception CVE-2026-7010 (" + ignore + ":10): limited to path usr/share/**, which VEX cannot express\n"
	if diff := cmp.Diff(wantErr, stderr); diff != "" {
		t.Errorf("stderr (-want +got):\n%s", diff)
	}
	r := gateReport(t)
	gate, err := loadGate(gateOptions{vexFiles: []string{out}})
	if err != nil {
		t.Fatal(err)
	}
	if err := scan.Judge(t.Context(), r, scan.Options{Gate: gate, Now: func() time.Time { return gateNow }}); err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, s := range r.Suppressed {
		got = append(got, s.By+" "+s.Finding.VulnerabilityID+" "+s.Finding.PackageName+" "+s.Reason)
	}
	want := []string{report.SuppressedByVEX + " CVE-2026-109518 apt apt is not run in production"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("suppressed (-want +got):\n%s", diff)
	}
}

func TestVexFromDecisions(t *testing.T) {
	triage := gateFile(t, "triage.json", `[{"vulnerability":"CVE-2026-7017","products":["pkg:deb/debian/perl-base@5.36.0-7+deb12u3"],"status":"fixed"}]`)
	stdout, _, err := runVexCmd(t, gateNow, "--decisions", triage, "--author", "a", "--id", "https://example.com/vex/1")
	if err != nil {
		t.Fatal(err)
	}
	d, err := vex.Parse("stdout", []byte(stdout))
	if err != nil {
		t.Fatal(err)
	}
	if len(d.Statements) != 1 || d.Statements[0].Status != vex.Fixed || !strings.Contains(stdout, `"@id": "https://example.com/vex/1"`) {
		t.Errorf("unexpected document:\n%s", stdout)
	}
}

func TestVexErrors(t *testing.T) {
	ignore := gateFile(t, "ignore.yaml", "exceptions:\n  - id: CVE-1\n    reason: r\n")
	triage := gateFile(t, "t.yaml", "- {vulnerability: X, products: [p], status: fixed}\n")
	tests := []struct {
		name string
		args []string
		want string
	}{
		{"no input", []string{"--author", "a"}, "give one of --decisions or --exceptions"},
		{"both", []string{"--decisions", triage, "--exceptions", ignore, "--author", "a"}, "give one of --decisions or --exceptions"},
		{"no author", []string{"--decisions", triage}, "openvex: an author is required"},
		{"exception without purl or product", []string{"--exceptions", ignore, "--author", "a"}, "exception CVE-1 (" + ignore + ":2) has no purl: give the image with --product"},
		{"product with decisions", []string{"--decisions", triage, "--product", "x", "--author", "a"}, "--product is for --exceptions"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, _, err := runVexCmd(t, gateNow, tt.args...)
			if err == nil || !strings.HasPrefix(err.Error(), tt.want) {
				t.Fatalf("error = %v, want prefix %q", err, tt.want)
			}
		})
	}
}
