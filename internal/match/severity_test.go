package match

import (
	"testing"

	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/customs-scanner/customs/internal/vulndb/cvss"
)

func TestRate(t *testing.T) {
	const v3crit = "CVSS:3.0/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"  // 9.8
	const v31high = "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N" // 7.5
	const v4crit = "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N"
	aff := func(eco, pkg, sev string) []vulndb.Affected {
		return []vulndb.Affected{{Ecosystem: eco, Package: pkg, Status: vulndb.StatusRanges, Severity: sev}}
	}
	// CVE-2018-18074 as the 2020 Ubuntu tracker has it: priority medium for
	// its python-requests, NVD's vector copied under "nvd".
	ubuntu := &vulndb.Advisory{ID: "CVE-2018-18074", Source: "ubuntu-tracker", Severity: vulndb.SeverityMedium,
		Affected: aff("ubuntu:18.04", "requests", vulndb.SeverityMedium),
		CVSS:     []vulndb.CVSS{{Source: "nvd", Version: "3.0", Vector: v3crit, Score: 9.8}}}
	ubuntuNoCVSS := &vulndb.Advisory{ID: "CVE-2018-18074", Source: "ubuntu-tracker", Severity: vulndb.SeverityHigh,
		Affected: aff("ubuntu:18.04", "requests", vulndb.SeverityHigh)}
	pysec := &vulndb.Advisory{ID: "PYSEC-2018-28", Source: "osv", Aliases: []string{"CVE-2018-18074"},
		Affected: aff("PyPI", "requests", "")}
	ghsa := &vulndb.Advisory{ID: "GHSA-1", Source: "osv", Severity: vulndb.SeverityMedium,
		Affected: aff("Go", "example.com/m", vulndb.SeverityMedium),
		CVSS:     []vulndb.CVSS{{Source: "ghsa", Version: "3.1", Vector: v31high, Score: 7.5}}}
	goRec := &vulndb.Advisory{ID: "GO-1", Source: "osv", Aliases: []string{"GHSA-1"}, Affected: aff("Go", "example.com/m", "")}
	nvdHigh := &vulndb.Advisory{ID: "CVE-1", Source: "nvd", Severity: vulndb.SeverityHigh}
	debian := &vulndb.Advisory{ID: "CVE-2018-18074", Source: "debian-tracker", Affected: aff("debian:12", "requests", "")}
	debianLow := &vulndb.Advisory{ID: "CVE-2018-18074", Source: "debian-tracker", Affected: aff("debian:12", "requests", vulndb.SeverityLow)}
	redhat := &vulndb.Advisory{ID: "CVE-2", Source: "redhat-csaf", Affected: aff("redhat:9", "p", ""),
		CVSS: []vulndb.CVSS{{Source: "secalert@redhat.com", Version: "3.1", Vector: v31high}}}

	tests := []struct {
		name             string
		matched, related []*vulndb.Advisory
		want, wantSource string
	}{
		{"distro rating first", []*vulndb.Advisory{debianLow}, []*vulndb.Advisory{nvdHigh, ubuntu}, vulndb.SeverityLow, "debian-tracker"},
		{"pip requests: NVD's vector in Ubuntu's record, not Ubuntu's priority",
			[]*vulndb.Advisory{pysec}, []*vulndb.Advisory{ubuntu}, vulndb.SeverityCritical, "nvd"},
		{"pip requests: Ubuntu's priority alone rates nothing", []*vulndb.Advisory{pysec}, []*vulndb.Advisory{ubuntuNoCVSS}, vulndb.SeverityUnknown, ""},
		{"debian package: Ubuntu's priority does not apply", []*vulndb.Advisory{debian}, []*vulndb.Advisory{ubuntuNoCVSS}, vulndb.SeverityUnknown, ""},
		{"debian package: NVD's vector carried by Ubuntu does", []*vulndb.Advisory{debian}, []*vulndb.Advisory{ubuntu}, vulndb.SeverityCritical, "nvd"},
		{"NVD record before the feed's vector", []*vulndb.Advisory{ghsa}, []*vulndb.Advisory{nvdHigh}, vulndb.SeverityHigh, "nvd"},
		{"feed's vector before its rating word", []*vulndb.Advisory{ghsa}, nil, vulndb.SeverityHigh, "ghsa"},
		{"vector of an alias record (GHSA for a GO- match)", []*vulndb.Advisory{goRec}, []*vulndb.Advisory{ghsa}, vulndb.SeverityHigh, "ghsa"},
		{"distro's own vector, scored from the vector", []*vulndb.Advisory{redhat}, nil, vulndb.SeverityHigh, "secalert@redhat.com"},
		{"another distro's vector does not apply", []*vulndb.Advisory{pysec}, []*vulndb.Advisory{redhat}, vulndb.SeverityUnknown, ""},
		{"rating word last", []*vulndb.Advisory{{ID: "GHSA-2", Source: "osv", Affected: aff("npm", "p", vulndb.SeverityLow)}}, nil, vulndb.SeverityLow, "osv"},
		{"rating word of an alias record", []*vulndb.Advisory{goRec}, []*vulndb.Advisory{{ID: "GHSA-1", Source: "osv", Severity: vulndb.SeverityCritical, Affected: aff("Go", "m", "")}}, vulndb.SeverityCritical, "osv"},
		{"3.1 preferred to 4.0", []*vulndb.Advisory{{ID: "RUSTSEC-1", Source: "osv", Affected: aff("crates.io", "c", ""),
			CVSS: []vulndb.CVSS{{Source: "rustsec", Version: "4.0", Vector: v4crit, Score: 9.3}, {Source: "rustsec", Version: "3.1", Vector: v31high, Score: 7.5}}}},
			nil, vulndb.SeverityHigh, "rustsec"},
		{"nothing", []*vulndb.Advisory{pysec}, nil, vulndb.SeverityUnknown, ""},
	}
	score := func(v string) (float64, bool) {
		x, err := cvss.Parse(v)
		return x.BaseScore(), err == nil
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := &ratings{}
			for _, a := range tt.matched {
				r.add(a, &a.Affected[0])
			}
			sev, src := rate(r, append(append([]*vulndb.Advisory{}, tt.matched...), tt.related...), score)
			if sev != tt.want || src != tt.wantSource {
				t.Errorf("rate = %s from %q, want %s from %q", sev, src, tt.want, tt.wantSource)
			}
		})
	}
}
