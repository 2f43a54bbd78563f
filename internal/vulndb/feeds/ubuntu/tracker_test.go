package ubuntu

import (
	"context"
	"errors"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/customs-scanner/customs/internal/shareddata"

	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/customs-scanner/customs/internal/vulndb/feeds/errlist"
	"github.com/google/go-cmp/cmp"
)

// collector is the consumer of an import in tests: it keeps what it is given.
type collector struct{ advs []*vulndb.Advisory }

func (c *collector) Add(_ context.Context, a *vulndb.Advisory) error {
	c.advs = append(c.advs, a)
	return nil
}

func readTestdata(t *testing.T, p string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(p)))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func fixed(eco, pkg, sev, v string) vulndb.Affected {
	return vulndb.Affected{Ecosystem: eco, Package: pkg, Status: vulndb.StatusRanges, Ranges: []vulndb.Range{{Fixed: v}}, Severity: sev}
}

func status(eco, pkg, sev string, st vulndb.Status, detail string) vulndb.Affected {
	return vulndb.Affected{Ecosystem: eco, Package: pkg, Status: st, StatusDetail: detail, Severity: sev}
}

func TestParseReal(t *testing.T) {
	got, err := Parse(readTestdata(t, "tracker/active/CVE-2017-9763"))
	if err != nil {
		t.Fatal(err)
	}
	const low, med = vulndb.SeverityLow, vulndb.SeverityMedium
	want := &vulndb.Advisory{
		ID:     "CVE-2017-9763",
		Source: "ubuntu-tracker",
		Details: "The grub_ext2_read_block function in fs/ext2.c in GNU GRUB before\n" +
			"2013-11-12, as used in shlr/grub/fs/ext2.c in radare2 1.5.0, allows remote\n" +
			"attackers to cause a denial of service (excessive stack use and application\n" +
			"crash) via a crafted binary file, related to use of a variable-size stack\n" +
			"array.",
		Severity:  med,
		Published: time.Date(2017, 6, 19, 16, 29, 0, 0, time.UTC),
		References: []vulndb.Reference{
			{Type: "WEB", URL: "https://cve.mitre.org/cgi-bin/cvename.cgi?name=CVE-2017-9763"},
			{Type: "REPORT", URL: "https://github.com/radare/radare2/issues/7723"},
		},
		// The score is computed by package cvss.
		CVSS: []vulndb.CVSS{{Source: "nvd", Version: "3.0", Vector: "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:N/I:N/A:H", Score: 7.5}},
		Affected: []vulndb.Affected{
			// Priority_grub2: low overrides the record's medium.
			status("ubuntu-pro:12.04", "grub2", low, vulndb.StatusAffected, ""),
			status("ubuntu-pro:14.04", "grub2", low, vulndb.StatusNotAffected, ""),
			status("ubuntu:14.04", "grub2", low, vulndb.StatusNotAffected, ""),
			status("ubuntu:16.04", "grub2", low, vulndb.StatusNotAffected, ""),
			status("ubuntu:16.10", "grub2", low, vulndb.StatusEndOfLife, ""),
			status("ubuntu:17.04", "grub2", low, vulndb.StatusNotAffected, ""),
			status("ubuntu:17.10", "grub2", low, vulndb.StatusNotAffected, ""),
			status("ubuntu:18.04", "grub2", low, vulndb.StatusNotAffected, ""),
			status("ubuntu:18.10", "grub2", low, vulndb.StatusNotAffected, ""),
			status("ubuntu:19.04", "grub2", low, vulndb.StatusNotAffected, ""),
			status("ubuntu:19.10", "grub2", low, vulndb.StatusNotAffected, ""),
			status("ubuntu:14.04", "radare2", med, vulndb.StatusEndOfLife, ""),
			status("ubuntu:16.04", "radare2", med, vulndb.StatusAffected, ""),
			status("ubuntu:16.10", "radare2", med, vulndb.StatusEndOfLife, ""),
			status("ubuntu:17.04", "radare2", med, vulndb.StatusEndOfLife, ""),
			status("ubuntu:17.10", "radare2", med, vulndb.StatusEndOfLife, ""),
			status("ubuntu:18.04", "radare2", med, vulndb.StatusNotAffected, ""),
			status("ubuntu:18.10", "radare2", med, vulndb.StatusNotAffected, ""),
			status("ubuntu:19.04", "radare2", med, vulndb.StatusNotAffected, ""),
			status("ubuntu:19.10", "radare2", med, vulndb.StatusNotAffected, ""),
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
}

func TestParseHandwritten(t *testing.T) {
	got, err := Parse(readTestdata(t, "handwritten/CVE-2024-99999"))
	if err == nil || !strings.Contains(err.Error(), `plucky_curl: unknown status "bogus-status"`) {
		t.Errorf("Parse error = %v, want the unknown status of plucky_curl", err)
	}
	const low, med, high = vulndb.SeverityLow, vulndb.SeverityMedium, vulndb.SeverityHigh
	want := &vulndb.Advisory{
		ID:        "CVE-2024-99999",
		Source:    "ubuntu-tracker",
		Summary:   "A short Ubuntu text.",
		Details:   "Handwritten record exercising the current tracker syntax.\n\nSecond paragraph.",
		Severity:  med,
		Published: time.Date(2024, 5, 2, 0, 0, 0, 0, time.UTC),
		References: []vulndb.Reference{
			{Type: "WEB", URL: "https://www.cve.org/CVERecord?id=CVE-2024-99999"},
			{Type: "ADVISORY", URL: "https://ubuntu.com/security/notices/USN-9999-1"},
			{Type: "WEB", URL: "https://github.com/openssl/openssl/commit/abc"},
			{Type: "REPORT", URL: "https://launchpad.net/bugs/1"},
		},
		CVSS: []vulndb.CVSS{
			{Source: "nvd", Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", Score: 7.5},
			{Source: "ubuntu", Version: "2.0", Vector: "AV:N/AC:L/Au:N/C:P/I:N/A:N", Score: 5},
		},
		Affected: []vulndb.Affected{
			status("ubuntu:20.04", "curl", med, vulndb.StatusWontFix, "deferred"),
			status("ubuntu:22.04", "curl", med, vulndb.StatusAffected, "needs-triage"),
			status("ubuntu:24.04", "curl", med, vulndb.StatusAffected, ""),
			// questing: released without a version gives nothing.
			fixed("ubuntu-pro:16.04", "openssl", high, "1.0.2g-1ubuntu4.20+esm11"),
			status("ubuntu:18.04", "openssl", high, vulndb.StatusEndOfLife, ""),
			status("ubuntu:20.04", "openssl", high, vulndb.StatusAffected, ""),
			fixed("ubuntu:22.04", "openssl", high, "3.0.2-0ubuntu1.10"),
			status("ubuntu:23.10", "openssl", high, vulndb.StatusWontFix, "ignored"),
			status("ubuntu:24.04", "openssl", low, vulndb.StatusNotAffected, ""),
			status("ubuntu:24.10", "openssl", high, vulndb.StatusAffected, "pending"),
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("Parse (-want +got):\n%s", diff)
	}
}

// short renders an Affected as one line for the edge-case table.
func short(a vulndb.Affected) string {
	s := fmt.Sprintf("%s %s %s", a.Ecosystem, a.Package, a.Status)
	if a.StatusDetail != "" {
		s += "/" + a.StatusDetail
	}
	for _, r := range a.Ranges {
		s += " <" + r.Fixed
	}
	return s
}

func TestParseEdgeCases(t *testing.T) {
	tests := []struct {
		file     string
		id       string
		details  string // checked when set
		affected []string
	}{
		{
			file: "blank_lines_in_description", id: "CVE-2017-5192",
			details:  "bypassed.\n\nThe LocalClient",
			affected: []string{"ubuntu:14.04 salt end-of-life"},
		},
		{
			file: "empty_status_upstream", id: "CVE-2007-0255",
			affected: []string{
				"ubuntu:15.10 xine-ui end-of-life",
				"ubuntu:16.04 xine-ui affected",
				"ubuntu:6.06 xine-ui end-of-life",
				"ubuntu:6.10 xine-ui affected",
			},
		},
		{
			file: "include_pending", id: "CVE-2020-0009",
			affected: []string{
				"ubuntu:16.04 linux-oem end-of-life",
				"ubuntu:18.04 linux-oem ranges <4.15.0-1080.90",
				"ubuntu:19.10 linux-oem affected/pending",
			},
		},
		{
			file: "line_break_between_patches", id: "CVE-2017-7702",
			affected: []string{
				"ubuntu-pro:14.04 wireshark ranges <2.6.3-1~ubuntu14.04.1",
				"ubuntu:12.04 wireshark end-of-life",
				"ubuntu:16.04 wireshark ranges <2.6.3-1~ubuntu16.04.1",
				"ubuntu:16.10 wireshark ranges <2.2.6+g32dac6a-2ubuntu0.16.10",
				"ubuntu:18.04 wireshark ranges <2.6.3-1~ubuntu18.04.1",
			},
		},
		{
			file: "more_than_one_package_patches", id: "CVE-2017-9228",
			affected: []string{
				"ubuntu:17.10 libonig end-of-life",
				"ubuntu:18.04 libonig ranges <6.3.0-1",
				"ubuntu-pro:12.04 php5 ranges <5.3.10-1ubuntu3.28",
				"ubuntu:17.04 php7.0 ranges <7.0.22-0ubuntu0.17.04.1",
			},
		},
		{
			file: "multiple_upstreams", id: "CVE-2020-0556",
			affected: []string{
				"ubuntu:14.04 bluez end-of-life",
				"ubuntu:16.04 bluez ranges <5.37-0ubuntu5.3",
				"ubuntu:18.04 bluez ranges <5.48-0ubuntu3.4",
				"ubuntu:19.10 bluez ranges <5.50-0ubuntu5.1",
			},
		},
		{
			file: "no_space_before_status", id: "CVE-2019-15903",
			affected: []string{
				"ubuntu-pro:14.04 vnc4 affected",
				"ubuntu:14.04 vnc4 end-of-life",
				"ubuntu:16.04 vnc4 affected",
				"ubuntu:18.04 vnc4 affected",
				"ubuntu:19.04 vnc4 not-affected",
				"ubuntu:19.10 vnc4 not-affected",
			},
		},
		{
			// Only an upstream line: no record.
			file: "notes_with_continuation_lines", id: "",
		},
		{
			file: "patches_with_status", id: "CVE-2020-9925",
			affected: []string{
				"ubuntu:14.04 qtwebkit-opensource-src end-of-life",
				"ubuntu:16.04 qtwebkit-opensource-src affected/needs-triage",
				"ubuntu:18.04 qtwebkit-opensource-src affected/needs-triage",
				"ubuntu:20.04 qtwebkit-opensource-src affected/needs-triage",
			},
		},
		{
			file: "tags_field_parsing", id: "CVE-2022-22965",
			affected: []string{
				"ubuntu:22.04 libspring-java affected",
				"ubuntu:24.04 libspring-java affected",
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			adv, err := Parse(readTestdata(t, "edge/"+tt.file))
			if err != nil {
				t.Fatal(err)
			}
			if tt.id == "" {
				if adv != nil {
					t.Fatalf("Parse = %+v, want no advisory", adv)
				}
				return
			}
			if adv == nil {
				t.Fatal("Parse returned no advisory")
			}
			if adv.ID != tt.id {
				t.Errorf("ID = %q, want %q", adv.ID, tt.id)
			}
			if tt.details != "" && !strings.Contains(adv.Details, tt.details) {
				t.Errorf("Details = %q, want it to contain %q", adv.Details, tt.details)
			}
			var got []string
			for _, a := range adv.Affected {
				got = append(got, short(a))
			}
			if diff := cmp.Diff(tt.affected, got); diff != "" {
				t.Errorf("Affected (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct {
		name, data, want string
	}{
		{"no candidate", "PublicDate: 2020-01-01\njammy_x: needed\n", "no Candidate"},
		{"bad candidate", "Candidate: CVE 2020 1\njammy_x: needed\n", "bad Candidate"},
		{"line too long", "Candidate: CVE-2020-1\n" + strings.Repeat("x", maxFileSize+1), "token too long"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			adv, err := Parse([]byte(tt.data))
			if err == nil || !strings.Contains(err.Error(), tt.want) {
				t.Fatalf("Parse error = %v, want %q", err, tt.want)
			}
			if adv != nil {
				t.Errorf("Parse = %+v, want nil", adv)
			}
		})
	}
}

func TestImportTestdata(t *testing.T) {
	var c collector
	n, err := Import(t.Context(), filepath.Join("testdata", "tracker"), &c)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, a := range c.advs {
		ids = append(ids, a.ID)
	}
	// active, then retired (from retired.tar.gz), then ignored;
	// CVE-2007-0374 has only commented-out lines.
	want := []string{"CVE-2017-9763", "CVE-2018-12020", "CVE-2019-1000016", "CVE-2019-1000018", "CVE-2006-0496"}
	if diff := cmp.Diff(want, ids); diff != "" {
		t.Errorf("imported IDs (-want +got):\n%s", diff)
	}
	if n != len(c.advs) {
		t.Errorf("count %d, sink got %d", n, len(c.advs))
	}
	// The bracketed trusty/esm version from the archive.
	var rssh []string
	for _, a := range c.advs[3].Affected {
		rssh = append(rssh, short(a))
	}
	wantRssh := []string{
		"ubuntu-pro:14.04 rssh ranges <2.3.4-4+deb8u2build0.14.04.2",
		"ubuntu:14.04 rssh ranges <2.3.4-4+deb8u2build0.14.04.2",
		"ubuntu:16.04 rssh ranges <2.3.4-4+deb8u2build0.16.04.2",
		"ubuntu:18.04 rssh ranges <2.3.4-7ubuntu0.1",
		"ubuntu:18.10 rssh ranges <2.3.4-8ubuntu0.2",
	}
	if diff := cmp.Diff(wantRssh, rssh); diff != "" {
		t.Errorf("CVE-2019-1000018 (-want +got):\n%s", diff)
	}
	// ignored/CVE-2006-0496: "ignored (only affected broken setups)".
	if got := short(c.advs[4].Affected[0]); got != "ubuntu:6.06 firefox will-not-fix/ignored" {
		t.Errorf("CVE-2006-0496 first Affected = %q", got)
	}
}

func TestImportErrors(t *testing.T) {
	dir := t.TempDir()
	if err := os.Mkdir(filepath.Join(dir, "active"), 0o755); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"CVE-2020-0001": "Candidate: CVE-2020-0001\nfocal_a: needed\n",
		"CVE-2020-0002": "PublicDate: 2020-01-01\nfocal_a: needed\n",
		"CVE-2020-0003": "Candidate: CVE-2020-0003\nfocal_a: weird\nbionic_a: released (1.0)\n",
	}
	for name, data := range files {
		if err := os.WriteFile(filepath.Join(dir, "active", name), []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	// retired.tar.gz that is not gzip: a fatal error after active/.
	if err := os.WriteFile(filepath.Join(dir, "retired.tar.gz"), []byte("not gzip"), 0o644); err != nil {
		t.Fatal(err)
	}
	var c collector
	n, err := Import(t.Context(), dir, &c)
	if n != 2 || err == nil || !strings.Contains(err.Error(), "retired.tar.gz") {
		t.Fatalf("Import = %d, %v; want 2 and the archive error", n, err)
	}
	os.Remove(filepath.Join(dir, "retired.tar.gz"))

	c = collector{}
	n, err = Import(t.Context(), dir, &c)
	if n != 2 {
		t.Errorf("Import count = %d, want 2", n)
	}
	var fe *errlist.FileError
	if !errors.As(err, &fe) {
		t.Fatalf("Import error = %v, want a *errlist.FileError", err)
	}
	for _, want := range []string{"CVE-2020-0002: no Candidate", `focal_a: unknown status "weird"`} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("Import error = %v, want it to mention %q", err, want)
		}
	}

	if _, err := Import(t.Context(), t.TempDir(), &c); err == nil {
		t.Error("Import of an empty directory: want an error")
	}
	if _, err := Import(t.Context(), filepath.Join(dir, "nope"), &c); err == nil {
		t.Error("Import of a missing directory: want an error")
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Import(ctx, dir, &c); !errors.Is(err, context.Canceled) {
		t.Errorf("Import with a cancelled ctx = %v, want context.Canceled", err)
	}
}

func TestEcosystemOf(t *testing.T) {
	tests := []struct {
		release, want string
	}{
		{"jammy", "ubuntu:22.04"},
		{"questing", "ubuntu:25.10"},
		{"precise", "ubuntu:12.04"},
		{"trusty/esm", "ubuntu-pro:14.04"},
		{"esm-infra/xenial", "ubuntu-pro:16.04"},
		{"esm-apps/jammy", "ubuntu-pro:22.04"},
		{"esm-infra-legacy/trusty", "ubuntu-pro:14.04"},
		{"upstream", ""},
		{"devel", ""},
		{"snap", ""},
		{"fips/xenial", ""},
		{"fips-updates/bionic", ""},
		{"vivid/ubuntu-core", ""},
		{"nosuch", ""},
	}
	for _, tt := range tests {
		t.Run(tt.release, func(t *testing.T) {
			got, ok := EcosystemOf(tt.release)
			if got != tt.want || ok != (tt.want != "") {
				t.Errorf("EcosystemOf(%q) = %q, %v; want %q", tt.release, got, ok, tt.want)
			}
		})
	}
}

func TestImportRealSample(t *testing.T) {
	if testing.Short() {
		t.Skip("reads 33,000 tracker files")
	}
	dir := shareddata.Path(t, "advisories/ubuntu-cve-tracker-2020")
	var c collector
	n, err := Import(t.Context(), dir, &c)
	if err != nil {
		t.Fatalf("Import: %v", err)
	}
	// 6,509 active + 26,422 retired + 195 ignored = 33,126 record files; 285 of
	// them name no kept release (only upstream/devel/DNE lines).
	const want = 32841
	if n != want || len(c.advs) != want {
		t.Errorf("Import = %d (sink %d), want %d", n, len(c.advs), want)
	}
	counts := map[vulndb.Status]int{}
	ecos := map[string]bool{}
	scores, unscored := 0, 0
	for _, a := range c.advs {
		for _, cv := range a.CVSS {
			scores++
			if cv.Score == 0 {
				unscored++
			}
		}
		for _, af := range a.Affected {
			counts[af.Status]++
			ecos[af.Ecosystem] = true
		}
	}
	wantCounts := map[vulndb.Status]int{
		vulndb.StatusRanges: 99543, vulndb.StatusAffected: 23630, vulndb.StatusEndOfLife: 93345,
		vulndb.StatusWontFix: 39350, vulndb.StatusNotAffected: 134656,
	}
	if diff := cmp.Diff(wantCounts, counts); diff != "" {
		t.Errorf("Affected by status (-want +got):\n%s", diff)
	}
	// 15,720 vector lines (15,696 nvd, 23 unknown, 1 ubuntu), fewer the
	// records skipped and repeated lines; all parse and score > 0.
	if scores != 15622 || unscored != 0 {
		t.Errorf("CVSS: %d vectors, %d unscored; want 15622, 0", scores, unscored)
	}
	if !ecos["ubuntu:18.04"] || !ecos["ubuntu-pro:14.04"] || len(ecos) != 30 {
		t.Errorf("ecosystems = %v", slices.Sorted(maps.Keys(ecos)))
	}
}
