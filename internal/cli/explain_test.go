package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/customs-scanner/customs/internal/golden"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/report/table"
)

// debianReport scans the bookworm dpkg image against the DB of the
// Alpine secdb and the bookworm tracker slice and writes the JSON report;
// it returns the cache dir holding the DB and the report's path.
func debianReport(t *testing.T) (cache, rep string) {
	t.Helper()
	cache = testDB(t)
	rep = filepath.Join(t.TempDir(), "report.json")
	if r := run(t, "--cache-dir", cache, "scan", "--no-progress", "-o", "json="+rep, debianImage); r.code != 0 {
		t.Fatalf("scan: exit %d: %s", r.code, r.stderr)
	}
	return cache, rep
}

// TestExplain explains findings of a real report: the bookworm image
// scanned with real Debian tracker data. One ID affects two packages
// (apt and libapt-pkg6.0); one is not in the report.
func TestExplain(t *testing.T) {
	cache, rep := debianReport(t)

	r := run(t, "--cache-dir", cache, "explain", rep, "CVE-2026-109518", "cve-2025-15649", "CVE-2099-0001")
	if r.code != 0 {
		t.Fatalf("explain: exit %d: %s", r.code, r.stderr)
	}
	golden.Check(t, filepath.Join("testdata", "explain", "debian.golden"), []byte(r.stdout))
	for _, want := range []string{
		"CVE-2025-15649 · UNKNOWN · fix-available\n  in          perl-base 5.36.0-7+deb12u3 (deb)\n",
		"  matched     debian-tracker CVE-2025-15649: perl in debian:12\n",
		"              compared 5.36.0-7+deb12u3 < 5.36.0-7+deb12u4 (dpkg)\n",
		"  found in    var/lib/dpkg/status\n",
		"CVE-2099-0001: no finding in this report\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("explanation lacks %q", want)
		}
	}
	if n := strings.Count(r.stdout, "CVE-2026-109518 · "); n != 2 {
		t.Errorf("CVE-2026-109518 explained %d times, want 2 (apt, libapt-pkg6.0)", n)
	}

	// From stdin, as the end of a pipe.
	b, err := os.ReadFile(rep)
	if err != nil {
		t.Fatal(err)
	}
	var out, errb strings.Builder
	if code := Main(t.Context(), []string{"explain", "-", "CVE-2025-15649"}, strings.NewReader(string(b)), &out, &errb); code != 0 || !strings.Contains(out.String(), "perl-base 5.36.0-7+deb12u3") {
		t.Errorf("explain - : exit %d, stdout %q, stderr %q", code, out.String(), errb.String())
	}

	// The other formats write the report cut down to those findings.
	r = run(t, "--cache-dir", cache, "explain", rep, "CVE-2026-109518", "-o", "json")
	if r.code != 0 {
		t.Fatalf("explain -o json: exit %d: %s", r.code, r.stderr)
	}
	var got report.Report
	if err := json.Unmarshal([]byte(r.stdout), &got); err != nil {
		t.Fatal(err)
	}
	if len(got.Findings) != 2 || got.Findings[0].VulnerabilityID != "CVE-2026-109518" || got.Summary.Findings != 2 || len(got.Packages) != 88 {
		t.Errorf("explain -o json: %d findings, summary %+v, %d packages", len(got.Findings), got.Summary, len(got.Packages))
	}
}

// TestExplainTarget explains by scanning the Alpine image: the advisory
// of CVE-2017-15873 names busybox (and ssl_client, of the same origin)
// but is fixed in an older version than installed, which only a scan
// that keeps not-affected advisories can say.
func TestExplainTarget(t *testing.T) {
	cache := testDB(t)
	r := run(t, "--cache-dir", cache, "explain", "--no-progress", alpineImage, "CVE-2017-15873")
	if r.code != 0 {
		t.Fatalf("explain: exit %d: %s", r.code, r.stderr)
	}
	for _, want := range []string{
		"CVE-2017-15873 · UNKNOWN · not-affected\n  in          busybox 1.30.1-r3 (apk)\n",
		"  status      not-affected: the advisory names the package, but not this version\n",
		"  matched     alpine-secdb CVE-2017-15873: busybox in alpine:3.10\n              affected < 1.27.2-r4\n              compared 1.30.1-r3 >= 1.27.2-r4 (apk)\n",
		"  layer       531743b7098c (layer 1 of 1)\n  created by  /bin/sh -c #(nop) ADD file:",
		"  in          ssl_client 1.30.1-r3 (apk)\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("explanation lacks %q:\n%s", want, r.stdout)
		}
	}
	r = run(t, "--cache-dir", cache, "explain", "--no-progress", alpineImage, "CVE-2099-0001")
	if r.code != 0 || !strings.Contains(r.stdout, "the DB may lack the feed that has it") {
		t.Errorf("explain of an absent ID: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

func TestExplainErrors(t *testing.T) {
	dir := t.TempDir()
	notReport := filepath.Join(dir, "bom.json")
	if err := os.WriteFile(notReport, []byte(`{"bomFormat": "CycloneDX", "specVersion": "1.6"}`), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"no id", []string{"explain", notReport}, "requires at least 2 arg(s)"},
		{"not a customs report", []string{"explain", notReport, "CVE-2021-44228"}, "schema version \"\" is not supported (want 1.x); an SBOM is scanned when given as sbom:"},
		{"no DB for a target", []string{"--db", filepath.Join(dir, "none.db"), "explain", alpineImage, "CVE-2021-44228"}, "explain a saved report"},
		{"bad format", []string{"explain", "-o", "xml", notReport, "CVE-1"}, "unknown format"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, append([]string{"--cache-dir", dir}, tc.args...)...)
			if r.code != ExitError || !strings.Contains(r.stderr, tc.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
				t.Errorf("exit %d, stderr %q; want exit 2 and %q on one line", r.code, r.stderr, tc.want)
			}
		})
	}
}

// TestTableWidth checks the CLI fits the table to $COLUMNS when stdout is
// not a terminal, to table.DefaultWidth without it, and that the table of
// a scan ends with the explain hint for its worst finding.
func TestTableWidth(t *testing.T) {
	cache, rep := debianReport(t)
	for _, tc := range []struct {
		columns string
		width   int
		header  string
	}{
		{"60", 60, "  PACKAGE        VULNERABILITY    SEVERITY  FIXED IN\n"},
		{"", table.DefaultWidth, "  PACKAGE        INSTALLED         VULNERABILITY    SEVERITY  STATUS         FIXED IN          LAYER\n"},
		{"wide", table.DefaultWidth, "  PACKAGE        INSTALLED         VULNERABILITY    SEVERITY  STATUS         FIXED IN          LAYER\n"},
	} {
		t.Run(tc.columns, func(t *testing.T) {
			t.Setenv("COLUMNS", tc.columns)
			r := run(t, "--cache-dir", cache, "convert", rep)
			if r.code != 0 {
				t.Fatalf("convert: exit %d: %s", r.code, r.stderr)
			}
			if !strings.Contains(r.stdout, tc.header) {
				t.Errorf("COLUMNS=%q: table lacks header %q:\n%s", tc.columns, tc.header, r.stdout)
			}
			// The tables end at the hint; the notes after it are read once
			// and may wrap.
			tables, _, _ := strings.Cut(r.stdout, "Why a finding matched:")
			for _, line := range strings.Split(tables, "\n") {
				if runes := len([]rune(line)); runes > tc.width && !strings.HasPrefix(line, "warning: ") {
					t.Errorf("COLUMNS=%q: line of %d runes: %q", tc.columns, runes, line)
				}
			}
			if !strings.Contains(r.stdout, "Why a finding matched: customs explain "+rep+" CVE-2025-15649\n") {
				t.Errorf("no explain hint:\n%s", r.stdout)
			}
		})
	}
}

func TestWidthFromEnv(t *testing.T) {
	for in, want := range map[string]int{"80": 80, " 200 ": 200, "": table.DefaultWidth, "0": table.DefaultWidth, "-3": table.DefaultWidth, "wide": table.DefaultWidth} {
		if got := widthFromEnv(in); got != want {
			t.Errorf("widthFromEnv(%q) = %d, want %d", in, got, want)
		}
	}
}
