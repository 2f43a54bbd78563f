package store

import (
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestSpread(t *testing.T) {
	web := Subject{Kind: KindImage, Digest: "sha256:aa", Name: "registry.test/web:1"}
	api := Subject{Kind: KindImage, Digest: "sha256:bb", Name: "registry.test/api:1"}
	db1 := Subject{Kind: KindHost, Digest: "0b1c", Name: "db-1"}
	cve := func(id, version string) Finding {
		return Finding{VulnerabilityID: id, PackageName: "libssl3", PackageVersion: version, Status: "fix-available", Severity: "HIGH"}
	}
	hs := []Holding{
		{Subject: web, PackageName: "libssl3", PackageVersion: "3.0.11-1~deb12u2", Findings: []Finding{cve("CVE-2024-0727", "3.0.11-1~deb12u2")}},
		{Subject: web, PackageName: "libcrypto3", PackageVersion: "3.0.11-1~deb12u2"}, // a second package of the same source: one subject
		{Subject: api, PackageName: "libssl3", PackageVersion: "3.0.15-1~deb12u1"},
		{Subject: db1, PackageName: "libssl3", PackageVersion: "3.0.15-r0"},
		{Subject: db1, PackageName: "libssl3", PackageVersion: "3.0.11-1~deb12u2", Findings: []Finding{cve("CVE-2024-0727", "3.0.11-1~deb12u2")}},
	}
	got := Spread(hs, nil)
	var lines []string
	for _, v := range got {
		lines = append(lines, v.Version+": "+strings.Join(v.Versions, ",")+" images "+strconv.Itoa(v.Images)+" hosts "+strconv.Itoa(v.Hosts)+" vulns "+strconv.Itoa(len(v.Vulnerabilities)))
	}
	want := []string{
		"3.0.11-1~deb12u2: 3.0.11-1~deb12u2 images 1 hosts 1 vulns 1",
		"3.0.15-1~deb12u1: 3.0.15-1~deb12u1 images 1 hosts 0 vulns 0",
		"3.0.15-r0: 3.0.15-r0 images 0 hosts 1 vulns 0",
	}
	if diff := cmp.Diff(want, lines); diff != "" {
		t.Errorf("Spread (-want +got):\n%s", diff)
	}
	// Grouped by upstream version (here: the text before the revision).
	upstream := func(h Holding) string {
		v, _, _ := strings.Cut(h.PackageVersion, "-")
		return v
	}
	got = Spread(hs, upstream)
	if len(got) != 2 || got[1].Version != "3.0.15" || strings.Join(got[1].Versions, " ") != "3.0.15-1~deb12u1 3.0.15-r0" || got[1].Images != 1 || got[1].Hosts != 1 {
		t.Errorf("Spread by upstream: %+v", got)
	}
}
