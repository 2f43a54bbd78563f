package cli

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/report"
)

var (
	alpineImage = filepath.Join("..", "..", "testdata", "images", "alpine-310.tar.gz")
	alpineSecdb = filepath.Join("..", "..", "testdata", "feeds", "alpine-secdb", "v3.10")
	debianImage = filepath.Join("..", "..", "testdata", "images", "debian-bookworm-dpkg.tar.gz")
	trackerGz   = filepath.Join("..", "..", "testdata", "feeds", "debian-tracker", "bookworm-changelog-derived.json.gz")
)

type result struct {
	code           int
	stdout, stderr string
}

func run(t *testing.T, args ...string) result {
	t.Helper()
	var out, errb bytes.Buffer
	code := Main(t.Context(), args, strings.NewReader(""), &out, &errb)
	return result{code, out.String(), errb.String()}
}

// testDB builds a DB from the Alpine 3.10 secdb and the bookworm tracker
// slice into a fresh cache dir, which it returns.
func testDB(t *testing.T) string {
	t.Helper()
	cache := t.TempDir()
	zr, err := os.Open(trackerGz)
	if err != nil {
		t.Fatal(err)
	}
	defer zr.Close()
	gz, err := gzip.NewReader(zr)
	if err != nil {
		t.Fatal(err)
	}
	tracker := filepath.Join(t.TempDir(), "tracker.json")
	b, err := io.ReadAll(gz)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(tracker, b, 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, "--cache-dir", cache, "db", "build", "--source", "alpine-secdb="+alpineSecdb, "--source", "debian-tracker="+tracker)
	if r.code != 0 {
		t.Fatalf("db build: exit %d: %s", r.code, r.stderr)
	}
	return cache
}

func TestQuickStartAlpine(t *testing.T) {
	cache := testDB(t)

	st := run(t, "--cache-dir", cache, "db", "status", "-o", "json")
	if st.code != 0 {
		t.Fatalf("db status: exit %d: %s", st.code, st.stderr)
	}
	var info struct {
		SchemaVersion int
		Sources       []struct {
			Kind       string
			Advisories int
		}
		Advisories int
	}
	if err := json.Unmarshal([]byte(st.stdout), &info); err != nil {
		t.Fatalf("db status json: %v\n%s", err, st.stdout)
	}
	if info.SchemaVersion == 0 || len(info.Sources) != 2 || info.Sources[0].Kind != "alpine-secdb" || info.Advisories == 0 {
		t.Errorf("db status = %+v", info)
	}

	r := run(t, "--cache-dir", cache, "scan", "-o", "json", "docker-archive:"+alpineImage)
	if r.code != 0 {
		t.Fatalf("scan: exit %d: %s", r.code, r.stderr)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("report: %v", err)
	}
	if rep.SchemaVersion != report.SchemaVersion || rep.OS == nil || rep.OS.Family != "alpine" || rep.OS.Version != "3.10.4" {
		t.Errorf("schema %q os %+v", rep.SchemaVersion, rep.OS)
	}
	if len(rep.Packages) != 14 {
		t.Errorf("packages = %d, want 14 (apk info of alpine:3.10.4)", len(rep.Packages))
	}
	if len(rep.Target.Layers) != 1 || rep.Target.Layers[0].CreatedBy == "" {
		t.Fatalf("layers = %+v", rep.Target.Layers)
	}
	// The secdb of Alpine 3.10 (2020-06) lists no fix newer than what
	// alpine:3.10.4 ships (musl 1.1.22-r3, busybox 1.30.1-r3, openssl 1.1.1d-r2).
	if len(rep.Findings) != 0 {
		t.Errorf("findings = %+v, want none", rep.Findings)
	}
	for _, p := range rep.Packages {
		if p.Layer != rep.Target.Layers[0].DiffID || p.Ecosystem != "alpine:3.10" || p.SourceName == "" {
			t.Errorf("package %+v", p)
		}
	}

	// The same scan as a table, to a file.
	out := filepath.Join(t.TempDir(), "report.txt")
	r = run(t, "--cache-dir", cache, "scan", "--output", out, alpineImage)
	if r.code != 0 {
		t.Fatalf("scan table: exit %d: %s", r.code, r.stderr)
	}
	b, err := os.ReadFile(out)
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), "no findings in 14 packages") || strings.Contains(string(b), "\x1b[") {
		t.Errorf("table report:\n%s", b)
	}
}

// TestScanScanners checks which report sections each --scanners value
// fills: a scanner that ran leaves its array in the JSON even when empty
// (the Alpine image holds no secret), one that did not run leaves none.
func TestScanScanners(t *testing.T) {
	cache := t.TempDir()
	tests := []struct {
		scanners []string
		want     []string // of secrets, secretStats, misconfigurations, imageFacts
	}{
		{nil, []string{"secrets", "secretStats", "misconfigurations", "imageFacts"}},
		{[]string{"--scanners", "vuln"}, nil},
		{[]string{"--scanners", "vuln,secret"}, []string{"secrets", "secretStats"}},
		{[]string{"--scanners", "config"}, []string{"misconfigurations", "imageFacts"}},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.scanners, " "), func(t *testing.T) {
			args := append([]string{"--cache-dir", cache, "scan", "--skip-db", "-o", "json"}, tt.scanners...)
			r := run(t, append(args, "docker-archive:"+alpineImage)...)
			if r.code != 0 {
				t.Fatalf("exit %d: %s", r.code, r.stderr)
			}
			var rep map[string]json.RawMessage
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
				t.Fatal(err)
			}
			var got []string
			for _, k := range []string{"secrets", "secretStats", "misconfigurations", "imageFacts"} {
				if _, ok := rep[k]; ok {
					got = append(got, k)
				}
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("report sections (-want +got):\n%s", diff)
			}
			if s, ok := rep["secrets"]; ok && string(s) != "[]" {
				t.Errorf("secrets = %s, want []", s)
			}
		})
	}
}

func TestExitCodes(t *testing.T) {
	cache := testDB(t)
	tests := []struct {
		name     string
		args     []string
		code     int
		inStderr string
	}{
		{"gate fails on any severity", []string{"scan", "--fail-on", "unknown", debianImage}, ExitFindings, "--fail-on unknown"},
		{"gate passes above what is found", []string{"scan", "--fail-on", "critical", debianImage}, ExitOK, ""},
		{"clean image passes any gate", []string{"scan", "--scanners", "vuln", "--fail-on", "unknown", alpineImage}, ExitOK, ""},
		{"the gate counts misconfigurations by default", []string{"scan", "--fail-on", "unknown", alpineImage}, ExitFindings, "(worst MEDIUM)"},
		{"bad severity", []string{"scan", "--fail-on", "severe", alpineImage}, ExitError, "want one of"},
		{"bad format", []string{"scan", "-o", "xml", alpineImage}, ExitError, "unknown format"},
		{"missing image", []string{"scan", filepath.Join(t.TempDir(), "nope.tar")}, ExitError, "nope.tar"},
		{"no db", []string{"--db", filepath.Join(t.TempDir(), "none.db"), "scan", alpineImage}, ExitError, "customs db build"},
		{"not a db", []string{"--db", alpineImage, "db", "status"}, ExitError, "not a customs vulnerability DB"},
		{"unknown source kind", []string{"db", "build", "--source", "trivy-db=x"}, ExitError, "trivy-db"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, append([]string{"--cache-dir", cache}, tc.args...)...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d; stderr: %s", r.code, tc.code, r.stderr)
			}
			if !strings.Contains(r.stderr, tc.inStderr) {
				t.Errorf("stderr %q does not contain %q", r.stderr, tc.inStderr)
			}
			if tc.code == ExitError && strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
				t.Errorf("error is not one line: %q", r.stderr)
			}
		})
	}
}

func TestScanDebianImage(t *testing.T) {
	cache := testDB(t)
	r := run(t, "--cache-dir", cache, "scan", "-o", "json", debianImage)
	if r.code != 0 {
		t.Fatalf("scan: exit %d: %s", r.code, r.stderr)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Packages) != 88 || rep.OS == nil || rep.OS.Codename != "bookworm" {
		t.Fatalf("packages = %d, os = %+v; want 88 on bookworm", len(rep.Packages), rep.OS)
	}
	byID := map[string]report.Finding{}
	for _, f := range rep.Findings {
		byID[f.PackageName+" "+f.VulnerabilityID] = f
	}
	for _, want := range wantDebianFindings {
		f, ok := byID[want.pkg+" "+want.id]
		if !ok {
			t.Errorf("missing %s in %s", want.id, want.pkg)
			continue
		}
		if f.FixedVersion != want.fixed || f.Status != report.StatusFixAvailable || f.SourceName != want.source {
			t.Errorf("%s %s: fixed %q status %q source %q; want %q fix-available %q", want.pkg, want.id, f.FixedVersion, f.Status, f.SourceName, want.fixed, want.source)
		}
	}
	if len(rep.Findings) != wantDebianFindingCount {
		t.Errorf("findings = %d, want %d", len(rep.Findings), wantDebianFindingCount)
	}
}

// wantDebianFindings were computed independently with `dpkg --compare-versions`
// over the tracker slice and the status file: 16 (package, CVE) pairs in all.
var wantDebianFindings = []struct{ pkg, source, id, fixed string }{
	{"perl-base", "perl", "CVE-2025-15649", "5.36.0-7+deb12u4"},
	{"perl-base", "perl", "CVE-2026-8376", "5.36.0-7+deb12u4"},
	{"apt", "apt", "CVE-2026-109518", "2.6.2"},
	{"libapt-pkg6.0", "apt", "CVE-2026-109518", "2.6.2"},
	{"libpcre2-8-0", "pcre2", "CVE-2026-103111", "10.42-1+deb12u2"},
}

const wantDebianFindingCount = 16
