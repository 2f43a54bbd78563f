package redhat

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/customs-scanner/customs/internal/vulndb/feeds/errlist"
	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/zstd"
)

// collector is the consumer of an import in tests: it keeps what it is given.
type collector struct{ advs []*vulndb.Advisory }

func (c *collector) Add(_ context.Context, a *vulndb.Advisory) error {
	c.advs = append(c.advs, a)
	return nil
}

func readTestdata(t testing.TB, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(p)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestParseRHSA(t *testing.T) {
	got, err := Parse(readTestdata(t, "advisories/rhsa-2024_6163.json"))
	if err != nil {
		t.Fatal(err)
	}
	want := []*vulndb.Advisory{{
		ID:       "CVE-2024-8088",
		Aliases:  []string{"RHSA-2024:6163"},
		Source:   "redhat-csaf",
		Summary:  "python: cpython: Iterating over a malicious ZIP file may lead to Denial of Service",
		Details:  "A flaw was found in Python's zipfile module. When iterating over the entries of a zip archive, the process can enter into an infinite loop state and become unresponsive. This flaw allows an attacker to craft a malicious ZIP archive, leading to a denial of service from the application consuming the zipfile module. Only applications that handle user-controlled zip archives are affected by this vulnerability.",
		Severity: "MEDIUM",
		// release_date 2024-08-22T19:15:09.720000+00:00
		Published: time.Date(2024, 8, 22, 19, 15, 9, 720000000, time.UTC),
		Modified:  time.Date(2026, 3, 26, 18, 50, 3, 0, time.UTC),
		References: []vulndb.Reference{
			{Type: "ADVISORY", URL: "https://access.redhat.com/security/cve/CVE-2024-8088"},
			{Type: "WEB", URL: "https://bugzilla.redhat.com/show_bug.cgi?id=2307370"},
			{Type: "WEB", URL: "https://www.cve.org/CVERecord?id=CVE-2024-8088"},
			{Type: "WEB", URL: "https://nvd.nist.gov/vuln/detail/CVE-2024-8088"},
			{Type: "WEB", URL: "https://github.com/python/cpython/commit/795f2597a4be988e2bb19b69ff9958e981cb894e"},
			{Type: "WEB", URL: "https://github.com/python/cpython/commit/8c7348939d8a3ecd79d630075f6be1b0c5b41f64"},
			{Type: "WEB", URL: "https://github.com/python/cpython/commit/dcc5182f27c1500006a1ef78e10613bb45788dea"},
			{Type: "WEB", URL: "https://github.com/python/cpython/issues/122905"},
			{Type: "WEB", URL: "https://github.com/python/cpython/pull/122906"},
			{Type: "WEB", URL: "https://mail.python.org/archives/list/security-announce@python.org/thread/GNFCKVI4TCATKQLALJ5SN4L4CSPSMILU/"},
			{Type: "ADVISORY", URL: "https://access.redhat.com/errata/RHSA-2024:6163"},
		},
		CVSS: []vulndb.CVSS{{Source: "secalert@redhat.com", Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:H/PR:N/UI:R/S:U/C:N/I:N/A:H", Score: 5.3}},
		CWEs: []string{"CWE-835"},
		Affected: []vulndb.Affected{{
			Ecosystem: "redhat:9",
			Package:   "python3.9",
			Status:    vulndb.StatusRanges,
			Ranges:    []vulndb.Range{{Fixed: "0:3.9.18-3.el9_4.5"}},
			Severity:  "MEDIUM",
			CPEs: []string{
				"cpe:/a:redhat:enterprise_linux:9::appstream",
				"cpe:/a:redhat:enterprise_linux:9::crb",
				"cpe:/o:redhat:enterprise_linux:9::baseos",
			},
		}},
	}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
}

func TestParseVEX(t *testing.T) {
	got, err := Parse(readTestdata(t, "vex/cve-2099-0001.json"))
	if err != nil {
		t.Fatal(err)
	}
	const el8 = "cpe:/a:redhat:enterprise_linux:8::appstream"
	want := []*vulndb.Advisory{
		{
			ID:        "CVE-2099-0001",
			Source:    "redhat-csaf",
			Summary:   "curl: heap overflow",
			Details:   "A flaw was found in curl.",
			Severity:  "HIGH",
			Published: time.Date(2099, 1, 1, 0, 0, 0, 0, time.UTC),
			Modified:  time.Date(2099, 2, 1, 10, 0, 0, 0, time.UTC),
			References: []vulndb.Reference{
				{Type: "ADVISORY", URL: "https://access.redhat.com/security/cve/CVE-2099-0001"},
				{Type: "WEB", URL: "https://bugzilla.redhat.com/show_bug.cgi?id=1"},
			},
			CVSS: []vulndb.CVSS{{Source: "secalert@redhat.com", Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", Score: 7.5}},
			CWEs: []string{"CWE-787"},
			Affected: []vulndb.Affected{
				// Per-product impact Low; "Out of support scope".
				{Ecosystem: "redhat:6", Package: "curl", Status: vulndb.StatusEndOfLife, Severity: "LOW", CPEs: []string{"cpe:/o:redhat:enterprise_linux:6"}},
				{Ecosystem: "redhat:7", Package: "curl", Status: vulndb.StatusWontFix, StatusDetail: "will not fix", Severity: "HIGH", CPEs: []string{"cpe:/o:redhat:enterprise_linux:7"}},
				// The source rpm's fix; libcurl (binary) left out.
				{Ecosystem: "redhat:8", Package: "curl", Status: vulndb.StatusRanges, Ranges: []vulndb.Range{{Fixed: "0:7.61.1-30.el8_8.2"}}, Severity: "HIGH", CPEs: []string{el8}},
				{Ecosystem: "redhat:9", Package: "curl", Status: vulndb.StatusAffected, Severity: "HIGH", CPEs: []string{"cpe:/o:redhat:enterprise_linux:9"}},
				// The container image (pkg:oci) and OpenShift are not rpms of RHEL.
				{Ecosystem: "redhat:9", Package: "nodejs:18::nodejs", Status: vulndb.StatusWontFix, StatusDetail: "fix deferred", Severity: "HIGH", CPEs: []string{"cpe:/o:redhat:enterprise_linux:9"}},
			},
		},
		{
			ID:       "CVE-2099-0003",
			Source:   "redhat-csaf",
			Summary:  "curl: under investigation",
			Severity: "MEDIUM",
			Modified: time.Date(2099, 2, 1, 10, 0, 0, 0, time.UTC),
			Affected: []vulndb.Affected{
				{Ecosystem: "redhat:9", Package: "curl", Status: vulndb.StatusAffected, StatusDetail: "under investigation", Severity: "MEDIUM", CPEs: []string{"cpe:/o:redhat:enterprise_linux:9"}},
			},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
}

// TestParseFixedBinaries: RHSA-2025:23414 lists bind's binary rpms fixed
// and its source rpm not affected; the fix must win.
func TestParseFixedBinaries(t *testing.T) {
	got, err := Parse(readTestdata(t, "advisories/rhsa-2025_23414.min.json"))
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range got {
		ids = append(ids, a.ID)
	}
	if diff := cmp.Diff([]string{"CVE-2021-25220", "CVE-2025-40778"}, ids); diff != "" {
		t.Fatalf("IDs (-want +got):\n%s", diff)
	}
	fix := func(pkg string) vulndb.Affected {
		return vulndb.Affected{
			Ecosystem: "redhat:6", Package: pkg, Status: vulndb.StatusRanges,
			Ranges:   []vulndb.Range{{Fixed: "32:9.8.2-0.68.rc1.el6_10.17"}},
			Severity: "HIGH", CPEs: []string{"cpe:/o:redhat:rhel_els:6"},
		}
	}
	want := []vulndb.Affected{fix("bind"), fix("bind-libs"), fix("bind-sdb"), fix("bind-utils")}
	if diff := cmp.Diff(want, got[1].Affected); diff != "" {
		t.Errorf("CVE-2025-40778 Affected (-want +got):\n%s", diff)
	}
	if got[1].Severity != "HIGH" || got[0].Severity != "MEDIUM" {
		t.Errorf("severities %q, %q; want MEDIUM, HIGH", got[0].Severity, got[1].Severity)
	}
}

func TestParseErrors(t *testing.T) {
	deep := `{"document":{"csaf_version":"2.0"},"product_tree":{"branches":[` +
		strings.Repeat(`{"branches":[`, 40) + strings.Repeat(`]}`, 40) + `]}}`
	tests := []struct {
		name, data, want string
	}{
		{"not json", "<xml/>", "parse csaf"},
		{"not csaf", `{"document":{"title":"x"}}`, "no document.csaf_version"},
		{"wrong type", `{"document":{"csaf_version":"2.0"},"vulnerabilities":{}}`, "cannot unmarshal"},
		{"deep tree", deep, "deeper than"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			advs, err := Parse([]byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse error = %v, want %q", err, tt.want)
			}
			if advs != nil {
				t.Errorf("Parse = %v, want nil", advs)
			}
		})
	}
}

func TestEcosystemOf(t *testing.T) {
	tests := []struct{ cpe, want string }{
		{"cpe:/a:redhat:enterprise_linux:8::appstream", "redhat:8"},
		{"cpe:/o:redhat:enterprise_linux:9::baseos", "redhat:9"},
		{"cpe:/o:redhat:enterprise_linux:9", "redhat:9"},
		{"cpe:/o:redhat:rhel_eus:8.6::baseos", "redhat:8"},
		{"cpe:/a:redhat:rhel_eus:9.0::appstream", "redhat:9"},
		{"cpe:/o:redhat:rhel_els:6", "redhat:6"},
		{"cpe:2.3:o:redhat:enterprise_linux:9:*:*:*:*:*:*:*", "redhat:9"},
		{"cpe:/a:redhat:openshift:4.12::el8", ""},
		{"cpe:/a:redhat:rhel_software_collections:3::el7", ""},
		{"cpe:/o:redhat:enterprise_linux", ""},
		{"cpe:/o:redhat:enterprise_linux:x", ""},
		{"cpe:/o:centos:enterprise_linux:8", ""},
		{"", ""},
	}
	for _, tt := range tests {
		t.Run(tt.cpe, func(t *testing.T) {
			got, ok := EcosystemOf(tt.cpe)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("EcosystemOf(%q) = %q, %v; want %q", tt.cpe, got, ok, tt.want)
			}
		})
	}
}

func TestParseComponent(t *testing.T) {
	tests := []struct {
		id, purl string
		want     component
		ok       bool
	}{
		{"curl-0:7.61.1-30.el8_8.2.src", "pkg:rpm/redhat/curl@7.61.1-30.el8_8.2?arch=src&epoch=0",
			component{Name: "curl", EVR: "0:7.61.1-30.el8_8.2", Arch: "src"}, true},
		{"python3.9-0:3.9.18-3.el9_4.5.src", "pkg:rpm/redhat/python3.9@3.9.18-3.el9_4.5?arch=src",
			component{Name: "python3.9", EVR: "0:3.9.18-3.el9_4.5", Arch: "src"}, true},
		{"bind-32:9.8.2-0.68.rc1.el6_10.17.src", "pkg:rpm/redhat/bind@9.8.2-0.68.rc1.el6_10.17?arch=src&epoch=32",
			component{Name: "bind", EVR: "32:9.8.2-0.68.rc1.el6_10.17", Arch: "src"}, true},
		{"x", "pkg:rpm/redhat/ruby@2.7.8-139.module%2Bel8.8.0%2B18745%2Bf1bef313?arch=aarch64&rpmmod=ruby:2.7:8080020230427102918:63b34585",
			component{Name: "ruby", EVR: "0:2.7.8-139.module+el8.8.0+18745+f1bef313", Arch: "aarch64", Module: "ruby:2.7"}, true},
		{"curl", "pkg:rpm/redhat/curl?arch=src", component{Name: "curl", Arch: "src"}, true},
		{"rhel9/toolbox", "pkg:oci/toolbox?repository_url=registry.redhat.io/rhel9", component{}, false},
		// Without a purl: from the product ID.
		{"curl-0:7.61.1-30.el8_8.2.src", "", component{Name: "curl", EVR: "0:7.61.1-30.el8_8.2", Arch: "src"}, true},
		{"kernel-rt-4.18.0-372.el8.x86_64", "", component{Name: "kernel-rt", EVR: "0:4.18.0-372.el8", Arch: "x86_64"}, true},
		{"ruby-0:3.1.4-142.module+el8.9.0+21471+7d1e4a35.i686::ruby:3.1", "",
			component{Name: "ruby", EVR: "0:3.1.4-142.module+el8.9.0+21471+7d1e4a35", Arch: "i686", Module: "ruby:3.1"}, true},
		{"nodejs:18/nodejs", "", component{Name: "nodejs", Module: "nodejs:18"}, true},
		{"curl", "", component{Name: "curl"}, true},
		{"openshift4/ose-cli", "", component{}, false},
	}
	for _, tt := range tests {
		t.Run(tt.id+" "+tt.purl, func(t *testing.T) {
			got, ok := parseComponent(tt.id, tt.purl)
			if ok != tt.ok {
				t.Fatalf("ok = %v, want %v (%+v)", ok, tt.ok, got)
			}
			if diff := cmp.Diff(tt.want, got, cmp.AllowUnexported(component{})); diff != "" {
				t.Errorf("parseComponent (-want +got):\n%s", diff)
			}
		})
	}
}

// writeTar writes the testdata documents as a tar, compressed by wrap.
func writeTar(t *testing.T, path string, wrap func(*os.File) (io.WriteCloser, error)) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	w, err := wrap(f)
	if err != nil {
		t.Fatal(err)
	}
	tw := tar.NewWriter(w)
	for _, name := range []string{"advisories/rhsa-2024_6163.json", "vex/cve-2099-0001.json", "vex/index.txt"} {
		data := []byte("CVE-2099-0001\n")
		if strings.HasSuffix(name, ".json") {
			data = readTestdata(t, name)
		}
		if err := tw.WriteHeader(&tar.Header{Name: "2099/" + filepath.Base(name), Mode: 0o644, Size: int64(len(data)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(data); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := w.Close(); err != nil {
		t.Fatal(err)
	}
}

type nopCloser struct{ *os.File }

func (nopCloser) Close() error { return nil }

func TestImport(t *testing.T) {
	dir := t.TempDir()
	zst := filepath.Join(dir, "csaf_vex_2099-02-01.tar.zst")
	writeTar(t, zst, func(f *os.File) (io.WriteCloser, error) { return zstd.NewWriter(f) })
	tgz := filepath.Join(dir, "docs.tar.gz")
	writeTar(t, tgz, func(f *os.File) (io.WriteCloser, error) { return gzip.NewWriter(f), nil })
	plain := filepath.Join(dir, "docs.tar")
	writeTar(t, plain, func(f *os.File) (io.WriteCloser, error) { return nopCloser{f}, nil })

	tests := []struct {
		name, path string
		want       []string
	}{
		{"one document", filepath.Join("testdata", "advisories", "rhsa-2024_6163.json"), []string{"CVE-2024-8088"}},
		{"directory", "testdata", []string{"CVE-2024-8088", "CVE-2021-25220", "CVE-2025-40778", "CVE-2099-0001", "CVE-2099-0003"}},
		{"tar.zst", zst, []string{"CVE-2024-8088", "CVE-2099-0001", "CVE-2099-0003"}},
		{"tar.gz", tgz, []string{"CVE-2024-8088", "CVE-2099-0001", "CVE-2099-0003"}},
		{"tar", plain, []string{"CVE-2024-8088", "CVE-2099-0001", "CVE-2099-0003"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var c collector
			n, err := Import(t.Context(), tt.path, &c)
			if err != nil {
				t.Fatal(err)
			}
			var ids []string
			for _, a := range c.advs {
				ids = append(ids, a.ID)
			}
			if diff := cmp.Diff(tt.want, ids); diff != "" {
				t.Errorf("imported IDs (-want +got):\n%s", diff)
			}
			if n != len(c.advs) {
				t.Errorf("count %d, sink got %d", n, len(c.advs))
			}
		})
	}
}

func TestImportErrors(t *testing.T) {
	dir := t.TempDir()
	good := readTestdata(t, "advisories/rhsa-2024_6163.json")
	for name, data := range map[string][]byte{
		"a.json":    good,
		"b.json":    []byte(`{"document":{}}`),
		"c.json":    []byte(`{`),
		"notes.txt": []byte("not a document"),
	} {
		if err := os.WriteFile(filepath.Join(dir, name), data, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var c collector
	n, err := Import(t.Context(), dir, &c)
	if n != 1 {
		t.Errorf("Import count = %d, want 1", n)
	}
	var fe *errlist.FileError
	if !errors.As(err, &fe) {
		t.Fatalf("Import error = %v, want *errlist.FileError", err)
	}
	for _, want := range []string{"b.json: parse csaf: no document.csaf_version", "c.json: parse csaf: unexpected end"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Import error = %v, want it to mention %q", err, want)
		}
	}

	// A broken archive stops the import.
	bad := filepath.Join(t.TempDir(), "x.tar.zst")
	if err := os.WriteFile(bad, []byte("A TAR.ZST OF CSAF RHSAs.\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Import(t.Context(), bad, &c); err == nil {
		t.Error("Import of a broken archive: want an error")
	}
	if _, err := Import(t.Context(), filepath.Join(dir, "nope.json"), &c); err == nil {
		t.Error("Import of a missing file: want an error")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Import(ctx, dir, &c); !errors.Is(err, context.Canceled) {
		t.Errorf("Import with a cancelled ctx = %v, want context.Canceled", err)
	}
	// A sink error stops it.
	if _, err := Import(t.Context(), dir, failSink{}); err == nil || !strings.Contains(err.Error(), "sink full") {
		t.Errorf("Import into a failing sink = %v, want the sink's error", err)
	}
}

type failSink struct{}

func (failSink) Add(context.Context, *vulndb.Advisory) error { return errors.New("sink full") }
