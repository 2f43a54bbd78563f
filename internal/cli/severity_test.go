package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
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
