package harbor

import (
	"compress/gzip"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/golden"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/report/reporttest"
	"github.com/customs-scanner/customs/internal/scan"
	"github.com/customs-scanner/customs/internal/target"
	"github.com/customs-scanner/customs/internal/vulndb/build"
)

var testScanner = Scanner{Name: "customs", Vendor: "customs-scanner", Version: "test"}

// TestVulnerabilitiesSample converts the encoders' sample report (real
// packages, layers and NVD vectors) into both report versions.
func TestVulnerabilitiesSample(t *testing.T) {
	art := Artifact{Repository: "library/alpine", Digest: "sha256:de78803598bc4c940fc4591d412bffe488205d5d953f94751c6308deeaaa7eb8", Tag: "3.10"}
	for _, legacy := range []bool{false, true} {
		v := Vulnerabilities(reporttest.Sample(t), art, testScanner, legacy)
		b, err := json.MarshalIndent(v, "", "  ")
		if err != nil {
			t.Fatal(err)
		}
		path := "testdata/sample.vuln-1.1.json"
		if legacy {
			path = "testdata/sample.vuln-1.0.json"
		}
		golden.Check(t, path, append(b, '\n'))
	}
}

func TestVulnerabilitiesItems(t *testing.T) {
	v := Vulnerabilities(reporttest.Sample(t), Artifact{}, testScanner, false)
	// Nine findings: not-affected CVE-2019-1551 and undetermined
	// CVE-2019-14697 are left out.
	var ids []string
	for _, it := range v.Vulnerabilities {
		ids = append(ids, it.ID+" "+it.Package+" "+it.Severity)
	}
	want := []string{
		"CVE-2021-36159 apk-tools Critical",
		"CVE-2020-1967 libcrypto1.1 High",
		"CVE-2020-1967 libssl1.1 High",
		"CVE-2020-28928 musl Medium",
		"CVE-2020-28928 musl-utils Medium",
		"CVE-2022-28391 busybox High",
		"CVE-2023-0464 ca-certificates-cacert Low",
	}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("items (-want +got):\n%s", diff)
	}
	if v.Severity != SeverityCritical {
		t.Errorf("severity = %s, want Critical", v.Severity)
	}
	ssl := v.Vulnerabilities[2]
	v3, v2 := 7.5, 4.3
	wantCVSS := &CVSSDetails{ScoreV3: &v3, VectorV3: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", ScoreV2: &v2, VectorV2: "AV:N/AC:M/Au:N/C:N/I:N/A:P"}
	if diff := cmp.Diff(wantCVSS, ssl.PreferredCVSS); diff != "" {
		t.Errorf("preferred_cvss (-want +got):\n%s", diff)
	}
	// Harbor reads vendor_attributes.CVSS.nvd.V3Score when preferred_cvss
	// has no v3 score; it must be a JSON number.
	b, err := json.Marshal(ssl.VendorAttributes)
	if err != nil {
		t.Fatal(err)
	}
	var va struct {
		CVSS  map[string]map[string]any `json:"CVSS"`
		Layer map[string]string         `json:"layer"`
	}
	if err := json.Unmarshal(b, &va); err != nil {
		t.Fatal(err)
	}
	if s, ok := va.CVSS["nvd"]["V3Score"].(float64); !ok || s != 7.5 {
		t.Errorf("vendor_attributes.CVSS.nvd.V3Score = %v, want 7.5", va.CVSS["nvd"]["V3Score"])
	}
	if va.Layer["diff_id"] != "sha256:531743b7098cb2aaf615641007a129173f63ed86ca32fe7b5a246a1c47286028" || va.Layer["created_by"] == "" {
		t.Errorf("vendor_attributes.layer = %v, want the base layer's DiffID and history", va.Layer)
	}
	if diff := cmp.Diff([]string{"https://nvd.nist.gov/vuln/detail/CVE-2020-1967"}, ssl.Links); diff != "" {
		t.Errorf("links (-want +got):\n%s", diff)
	}
}

func TestSeverity(t *testing.T) {
	for in, want := range map[string]string{
		"CRITICAL": SeverityCritical, "HIGH": SeverityHigh, "MEDIUM": SeverityMedium, "LOW": SeverityLow,
		"NEGLIGIBLE": SeverityLow, "UNKNOWN": SeverityUnknown, "": SeverityUnknown, "high": SeverityHigh,
	} {
		if got := Severity(in); got != want {
			t.Errorf("Severity(%q) = %s, want %s", in, got, want)
		}
	}
}

func TestPreferredCVSS(t *testing.T) {
	f := func(v float64) *float64 { return &v }
	for _, tc := range []struct {
		name string
		in   []report.CVSS
		want *CVSSDetails
	}{
		{"none", nil, nil},
		{"nvd over the first source", []report.CVSS{
			{Source: "ghsa", Version: "3.1", Vector: "CVSS:3.1/A", Score: 5},
			{Source: "nvd@nvd.nist.gov", Version: "3.1", Vector: "CVSS:3.1/B", Score: 7},
		}, &CVSSDetails{ScoreV3: f(7), VectorV3: "CVSS:3.1/B"}},
		{"first source without nvd", []report.CVSS{
			{Source: "debian", Version: "2.0", Vector: "AV:N", Score: 4},
			{Source: "ghsa", Version: "3.0", Vector: "CVSS:3.0/A", Score: 5},
			{Source: "osv", Version: "3.1", Vector: "CVSS:3.1/A", Score: 6},
		}, &CVSSDetails{ScoreV3: f(5), VectorV3: "CVSS:3.0/A", ScoreV2: f(4), VectorV2: "AV:N"}},
		{"v4 only", []report.CVSS{{Source: "ghsa", Version: "4.0", Vector: "CVSS:4.0/A", Score: 9}}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			if diff := cmp.Diff(tc.want, PreferredCVSS(tc.in)); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestConvertRealScan scans the Debian bookworm test image against the
// Debian tracker slice of testdata and converts the report: every finding
// that affects its package is an item, with the package, version, fix
// and layer of the finding, and both SBOMs parse.
func TestConvertRealScan(t *testing.T) {
	r := scanBookworm(t)
	affects := 0
	for _, f := range r.Findings {
		if report.Affects(f.Status) {
			affects++
		}
	}
	if affects == 0 {
		t.Fatal("the scan found nothing; the test needs findings")
	}
	v := Vulnerabilities(r, Artifact{Repository: "debian", Digest: r.Target.Digest()}, testScanner, false)
	if len(v.Vulnerabilities) != affects {
		t.Fatalf("items = %d, want %d", len(v.Vulnerabilities), affects)
	}
	i := 0
	for _, f := range r.Findings {
		if !report.Affects(f.Status) {
			continue
		}
		it := v.Vulnerabilities[i]
		i++
		if it.ID != f.VulnerabilityID || it.Package != f.PackageName || it.Version != f.PackageVersion || it.FixVersion != f.FixedVersion {
			t.Errorf("item %+v does not match finding %s %s %s %s", it, f.VulnerabilityID, f.PackageName, f.PackageVersion, f.FixedVersion)
		}
		if it.VendorAttributes["layer"].(map[string]string)["diff_id"] != f.Layer || f.Layer == "" {
			t.Errorf("%s %s: layer %v, want %s", it.ID, it.Package, it.VendorAttributes["layer"], f.Layer)
		}
	}
	for _, mt := range []string{MediaTypeSPDX, MediaTypeCycloneDX} {
		doc, err := SBOM(r, mt)
		if err != nil {
			t.Fatal(err)
		}
		var m map[string]any
		if err := json.Unmarshal(doc, &m); err != nil {
			t.Fatalf("%s: %v", mt, err)
		}
		key := "packages" // SPDX
		if mt == MediaTypeCycloneDX {
			key = "components"
		}
		if n := len(m[key].([]any)); n < len(r.Packages) {
			t.Errorf("%s: %d %s, want at least the %d packages", mt, n, key, len(r.Packages))
		}
		if _, ok := m["vulnerabilities"]; ok {
			t.Errorf("%s: the SBOM lists vulnerabilities", mt)
		}
	}
	if _, err := SBOM(r, "text/plain"); err == nil {
		t.Error("SBOM(text/plain): no error")
	}
}

// scanBookworm scans testdata/images/debian-bookworm-dpkg.tar.gz with a DB
// built from the Debian tracker slice in testdata.
func scanBookworm(t *testing.T) *report.Report {
	t.Helper()
	db := bookwormDB(t)
	r, err := scan.Run(t.Context(), target.Parse("docker-archive:"+filepath.Join("..", "..", "testdata", "images", "debian-bookworm-dpkg.tar.gz")), scan.Options{DBPath: db, Version: "test"})
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// bookwormDB builds a DB from testdata/feeds/debian-tracker.
func bookwormDB(t *testing.T) string {
	t.Helper()
	gz, err := os.Open(filepath.Join("..", "..", "testdata", "feeds", "debian-tracker", "bookworm-changelog-derived.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer gz.Close()
	zr, err := gzip.NewReader(gz)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	js := filepath.Join(dir, "tracker.json")
	out, err := os.Create(js)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, zr); err != nil {
		t.Fatal(err)
	}
	if err := out.Close(); err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(dir, "customs.db")
	if _, err := build.Build(t.Context(), dbPath, []build.Source{{Kind: "debian-tracker", Path: js}}, nil); err != nil {
		t.Fatal(err)
	}
	return dbPath
}
