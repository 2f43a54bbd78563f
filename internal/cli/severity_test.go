package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/report"
)

// TestScanSeverityFromTheRightSource: CVE-2018-18074 in requests, with the
// Ubuntu tracker's record (priority medium for Ubuntu's requests source
// package, NVD's 9.8 vector) and PyPA's PYSEC-2018-28 (no rating) in the
// DB. Ubuntu's python3-requests takes Ubuntu's rating; the pip-installed
// requests beside it takes NVD's, so --fail-on high fails. It was rated
// MEDIUM by Ubuntu's priority and passed.
func TestScanSeverityFromTheRightSource(t *testing.T) {
	cache := t.TempDir()
	data := filepath.Join("testdata", "severity")
	if r := run(t, "--cache-dir", cache, "db", "build",
		"--source", "ubuntu-tracker="+filepath.Join(data, "ubuntu-cve-tracker"),
		"--source", "osv="+filepath.Join(data, "pypa")); r.code != 0 {
		t.Fatalf("db build: exit %d: %s", r.code, r.stderr)
	}
	root := t.TempDir()
	for path, content := range map[string]string{
		"etc/os-release": "NAME=\"Ubuntu\"\nID=ubuntu\nVERSION_ID=\"18.04\"\nVERSION_CODENAME=bionic\n",
		"var/lib/dpkg/status": "Package: python3-requests\nStatus: install ok installed\nArchitecture: all\n" +
			"Source: requests\nVersion: 2.18.4-2\nDescription: elegant and simple HTTP library for Python3\n",
		"usr/local/lib/python3.6/dist-packages/requests-2.19.1.dist-info/METADATA": "Metadata-Version: 2.1\nName: requests\nVersion: 2.19.1\n",
	} {
		p := filepath.Join(root, filepath.FromSlash(path))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	r := run(t, "--cache-dir", cache, "scan", "--scanners", "vuln", "-o", "json", "--fail-on", "high", "dir:"+root)
	if r.code != ExitFindings {
		t.Errorf("scan --fail-on high: exit %d, want %d: %s", r.code, ExitFindings, r.stderr)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatalf("%v: %s", err, r.stderr)
	}
	type rated struct{ Package, Type, ID, Severity, Source string }
	var got []rated
	for _, f := range rep.Findings {
		got = append(got, rated{f.PackageName, f.PackageType, f.VulnerabilityID, f.Severity, f.SeveritySource})
	}
	want := []rated{
		{"python3-requests", "deb", "CVE-2018-18074", "MEDIUM", "ubuntu-tracker"},
		{"requests", "pypi", "PYSEC-2018-28", "CRITICAL", "nvd"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("findings (-want +got):\n%s", diff)
	}
}

// TestScanFailOnUnknown: the bookworm image against the Debian tracker
// slice (no urgencies, no NVD) has 16 findings, all UNKNOWN, which
// --fail-on high never counts. --fail-on-unknown and --fail-on unknown
// gate on them, and the scan says which source would rate them.
func TestScanFailOnUnknown(t *testing.T) {
	cache := testDB(t)
	const hint = "16 of 16 findings have no severity (UNKNOWN): the DB has no NVD data, which rates most CVEs; add it with `customs db update --feeds default,nvd`, or `customs db build --source nvd=PATH` with the other sources; --fail-on-unknown fails the scan on them"
	tests := []struct {
		flags  []string
		code   int
		stderr string
	}{
		{[]string{"--fail-on", "high"}, 0, "customs: warning: " + hint},
		{[]string{"--fail-on", "high", "--fail-on-unknown"}, ExitFindings, "--fail-on high --fail-on-unknown: 16 findings at or above HIGH or without a severity (worst UNKNOWN)"},
		{[]string{"--fail-on-unknown"}, ExitFindings, "--fail-on-unknown: 16 findings without a severity"},
		{[]string{"--fail-on", "unknown"}, ExitFindings, "--fail-on unknown: 16 findings at or above UNKNOWN (worst UNKNOWN)"},
		{[]string{"--fail-on", "unknwn"}, ExitError, "--fail-on \"unknwn\": want one of unknown, negligible, low, medium, high, critical"},
	}
	for _, tt := range tests {
		t.Run(strings.Join(tt.flags, " "), func(t *testing.T) {
			args := append([]string{"--cache-dir", cache, "scan", "--scanners", "vuln"}, tt.flags...)
			r := run(t, append(args, debianImage)...)
			if r.code != tt.code || !strings.Contains(r.stderr, tt.stderr) {
				t.Errorf("exit %d, stderr:\n%s\nwant exit %d and %q", r.code, r.stderr, tt.code, tt.stderr)
			}
			if tt.code != ExitError && !strings.Contains(r.stdout, "\n"+hint+"\n") {
				t.Errorf("table does not say which source would rate the findings:\n%s", r.stdout)
			}
		})
	}
}
