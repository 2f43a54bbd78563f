package osv

import (
	"errors"
	"os"
	"testing"
	"time"

	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/customs-scanner/customs/internal/vulndb/cvss"
	"github.com/google/go-cmp/cmp"
)

func date(s string) time.Time {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestParse(t *testing.T) {
	tests := []struct {
		file string
		want *vulndb.Advisory
	}{
		{"go/GO-2022-0191.json", &vulndb.Advisory{
			ID: "GO-2022-0191", Aliases: []string{"CVE-2018-16875"}, Source: "osv",
			Summary:   "Denial of service in chain verification in crypto/x509",
			Details:   "The crypto/x509 package does not limit the amount of work performed for each chain verification, which might allow attackers to craft pathological inputs leading to a CPU denial of service. Go TLS servers accepting client certificates and TLS clients verifying certificates are affected.",
			Published: date("2022-07-15T23:03:26Z"), // modified is a 0001-01-01 placeholder
			References: []vulndb.Reference{
				{Type: "FIX", URL: "https://go.dev/cl/154105"},
				{Type: "FIX", URL: "https://go.googlesource.com/go/+/770130659b6fb2acf271476579a3644e093dda7f"},
				{Type: "REPORT", URL: "https://go.dev/issue/29233"},
				{Type: "WEB", URL: "https://groups.google.com/g/golang-announce/c/Kw31K8G7Fi0"},
			},
			Affected: []vulndb.Affected{{Ecosystem: "Go", Package: "stdlib", Status: vulndb.StatusRanges,
				Ranges: []vulndb.Range{{Introduced: "0", Fixed: "1.10.6"}, {Introduced: "1.11.0-0", Fixed: "1.11.3"}}}},
		}},
		{"ghsa/GHSA-23rx-79r7-6cpx.json", &vulndb.Advisory{
			ID: "GHSA-23rx-79r7-6cpx", Aliases: []string{"CVE-2024-23683"}, Source: "osv",
			Summary:   "Sandbox escape in Artemis Java Test Sandbox",
			Details:   "Artemis Java Test Sandbox versions less than 1.7.6 are vulnerable to a sandbox escape when an attacker crafts a special subclass of InvocationTargetException. An attacker can abuse this issue to execute arbitrary Java when a victim executes the supposedly sandboxed code.\n\n\n\n\n\n",
			Severity:  "MEDIUM", // database_specific.severity MODERATE
			Published: date("2024-01-19T21:30:36Z"), Modified: date("2024-01-23T14:34:38Z"),
			References: []vulndb.Reference{
				{Type: "WEB", URL: "https://github.com/ls1intum/Ares/security/advisories/GHSA-883x-6fch-6wjx"},
				{Type: "ADVISORY", URL: "https://nvd.nist.gov/vuln/detail/CVE-2024-23683"},
				{Type: "WEB", URL: "https://github.com/ls1intum/Ares/issues/15#issuecomment-996449371"},
				{Type: "WEB", URL: "https://github.com/ls1intum/Ares/commit/af4f28a56e2fe600d8750b3b415352a0a3217392"},
				{Type: "ADVISORY", URL: "https://github.com/advisories/GHSA-883x-6fch-6wjx"},
				{Type: "PACKAGE", URL: "https://github.com/ls1intum/Ares"},
				{Type: "WEB", URL: "https://github.com/ls1intum/Ares/releases/tag/1.7.6"},
				{Type: "WEB", URL: "https://vulncheck.com/advisories/vc-advisory-GHSA-883x-6fch-6wjx"},
			},
			Affected: []vulndb.Affected{{Ecosystem: "Maven", Package: "de.tum.in.ase:artemis-java-test-sandbox",
				Status: vulndb.StatusRanges, Severity: "MEDIUM", Ranges: []vulndb.Range{{Introduced: "0", Fixed: "1.7.6"}}}},
		}},
		{"ubuntu/UBUNTU-CVE-2013-2208.json", &vulndb.Advisory{
			ID: "UBUNTU-CVE-2013-2208", Aliases: []string{"CVE-2013-2208"}, Source: "osv",
			Details:   "tpp 1.3.1 allows remote attackers to execute arbitrary commands via a --exec command in a TPP template file.",
			Severity:  "MEDIUM", // severity[] {"type": "Ubuntu", "score": "medium"}
			Published: date("2013-10-28T22:55:00Z"), Modified: date("2025-07-16T04:50:15Z"),
			Withdrawn: date("2025-07-18T16:42:51Z"),
			References: []vulndb.Reference{
				{Type: "REPORT", URL: "https://ubuntu.com/security/CVE-2013-2208"},
				{Type: "REPORT", URL: "https://www.cve.org/CVERecord?id=CVE-2013-2208"},
			},
			Affected: []vulndb.Affected{{Ecosystem: "ubuntu:14.04", Package: "tpp", Status: vulndb.StatusRanges,
				Severity: "MEDIUM", Ranges: []vulndb.Range{{Introduced: "0", Fixed: "1.3.1-3"}}}},
		}},
		{"rust/RUSTSEC-2025-0156.json", &vulndb.Advisory{
			ID: "RUSTSEC-2025-0156", Source: "osv",
			Summary:   "`tree-sitter-pkl` was removed from crates.io for malicious code",
			Details:   "`tree-sitter-pkl` was part of a campaign that attempted to exfiltrate\nenvironmental data from the host.\n\nThe malicious crate had 1 version published in March 2025, and had no evidence\nof actual usage. This crate had no dependencies on crates.io.",
			Published: date("2025-03-10T12:00:00Z"), Modified: date("2026-03-30T21:40:18Z"),
			References: []vulndb.Reference{
				{Type: "PACKAGE", URL: "https://crates.io/crates/tree-sitter-pkl"},
				{Type: "ADVISORY", URL: "https://rustsec.org/advisories/RUSTSEC-2025-0156.html"},
			},
			Affected: []vulndb.Affected{{Ecosystem: "crates.io", Package: "tree-sitter-pkl", Status: vulndb.StatusRanges,
				Ranges: []vulndb.Range{{Introduced: "0.0.0-0"}}}},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			b, err := os.ReadFile("testdata/" + tt.file)
			if err != nil {
				t.Fatal(err)
			}
			got, err := Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseYAML(t *testing.T) {
	b, err := os.ReadFile("testdata/pypa/PYSEC-2019-213.yaml")
	if err != nil {
		t.Fatal(err)
	}
	got, err := ParseYAML(b)
	if err != nil {
		t.Fatal(err)
	}
	want := &vulndb.Advisory{
		ID: "PYSEC-2019-213", Aliases: []string{"CVE-2019-17400", "GHSA-27p5-7cw6-m45h"}, Source: "osv",
		Details:   "The unoconv package before 0.9 mishandles untrusted pathnames, leading to SSRF and local file inclusion.",
		Published: date("2019-10-21T23:15:00Z"), Modified: date("2021-08-27T03:22:49.773623Z"),
		References: []vulndb.Reference{
			{Type: "WEB", URL: "https://github.com/unoconv/unoconv/pull/510"},
			{Type: "WEB", URL: "https://buer.haus/2019/10/18/a-tale-of-exploitation-in-spreadsheet-file-conversions/"},
			{Type: "ADVISORY", URL: "https://github.com/advisories/GHSA-27p5-7cw6-m45h"},
		},
		Affected: []vulndb.Affected{{Ecosystem: "PyPI", Package: "unoconv", Status: vulndb.StatusRanges,
			Ranges: []vulndb.Range{{Introduced: "0", Fixed: "0.9.0"}}, Versions: []string{"0.6", "0.8.2"}}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("ParseYAML (-want +got):\n%s", diff)
	}
	// Unquoted numbers keep their text.
	a, err := ParseYAML([]byte("id: X-1\naffected:\n- package: {ecosystem: PyPI, name: p}\n  versions: [1.10, 2.0, 3]\n"))
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]string{"1.10", "2.0", "3"}, a.Affected[0].Versions); diff != "" {
		t.Errorf("versions (-want +got):\n%s", diff)
	}
	for _, bad := range []string{"", "- a\n- b\n", "id: [", "a: &x [*x]\n", "? [a]\n: b\n"} {
		if a, err := ParseYAML([]byte(bad)); err == nil {
			t.Errorf("ParseYAML(%q) = %+v, want an error", bad, a)
		}
	}
}

func TestParseAffected(t *testing.T) {
	// Only the affected part of records: ranges, ecosystems, merging.
	tests := []struct {
		name string
		json string
		want []vulndb.Affected
	}{
		{"rocky", "rocky/RLSA-2023_3220.json", []vulndb.Affected{{Ecosystem: "rocky:8", Package: "firefox",
			Status: vulndb.StatusRanges, Ranges: []vulndb.Range{{Introduced: "0", Fixed: "0:102.11.0-2.el8_7"}}}}},
		{"alma", "alma/ALSA-2023:5259.json", nil}, // filled below from the file
		{"git ranges skipped, versions kept", `{"id":"X-1","affected":[{"package":{"ecosystem":"PyPI","name":"p"},
			"ranges":[{"type":"GIT","repo":"https://x","events":[{"introduced":"abc"},{"fixed":"def"}]}],"versions":["1.0","","1.1"]}]}`,
			[]vulndb.Affected{{Ecosystem: "PyPI", Package: "p", Status: vulndb.StatusRanges, Versions: []string{"1.0", "1.1"}}}},
		{"same package twice merges", `{"id":"X-2","affected":[
			{"package":{"ecosystem":"npm","name":"a"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.0.0"}]}]},
			{"package":{"ecosystem":"npm","name":"a"},"ranges":[{"type":"SEMVER","events":[{"introduced":"2.0.0"},{"last_affected":"2.1.0"}]}],"versions":["2.0.0"]},
			{"package":{"ecosystem":"npm","name":"b"},"database_specific":{"severity":"HIGH"},"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}`,
			[]vulndb.Affected{
				{Ecosystem: "npm", Package: "a", Status: vulndb.StatusRanges, Ranges: []vulndb.Range{{Introduced: "0", Fixed: "1.0.0"}, {Introduced: "2.0.0", LastAffected: "2.1.0"}}, Versions: []string{"2.0.0"}},
				{Ecosystem: "npm", Package: "b", Status: vulndb.StatusRanges, Severity: "HIGH", Ranges: []vulndb.Range{{Introduced: "0"}}},
			}},
		{"same package, other severity, kept apart", `{"id":"X-4","affected":[
			{"package":{"ecosystem":"npm","name":"a"},"database_specific":{"severity":"LOW"},"ranges":[{"type":"SEMVER","events":[{"introduced":"0"},{"fixed":"1.0.0"}]}]},
			{"package":{"ecosystem":"npm","name":"a"},"database_specific":{"severity":"HIGH"},"ranges":[{"type":"SEMVER","events":[{"introduced":"2.0.0"}]}]}]}`,
			[]vulndb.Affected{
				{Ecosystem: "npm", Package: "a", Status: vulndb.StatusRanges, Severity: "LOW", Ranges: []vulndb.Range{{Introduced: "0", Fixed: "1.0.0"}}},
				{Ecosystem: "npm", Package: "a", Status: vulndb.StatusRanges, Severity: "HIGH", Ranges: []vulndb.Range{{Introduced: "2.0.0"}}},
			}},
		{"no package skipped", `{"id":"X-3","affected":[{"ranges":[{"type":"ECOSYSTEM","events":[{"introduced":"0"}]}]}]}`, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := []byte(tt.json)
			if tt.json[0] != '{' {
				var err error
				if b, err = os.ReadFile("testdata/" + tt.json); err != nil {
					t.Fatal(err)
				}
			}
			a, err := Parse(b)
			if err != nil {
				t.Fatal(err)
			}
			if tt.name == "alma" {
				// ALSA-2023:5259 lists its packages with ecosystem AlmaLinux:8.
				for _, af := range a.Affected {
					if af.Ecosystem != "almalinux:8" || len(af.Ranges) != 1 || af.Ranges[0].Fixed == "" {
						t.Errorf("affected %+v, want almalinux:8 with one fixed range", af)
					}
				}
				return
			}
			var got []vulndb.Affected
			if a != nil {
				got = a.Affected
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Affected (-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseErrors(t *testing.T) {
	for name, in := range map[string]string{
		"empty":      "",
		"not json":   "id: GO-1",
		"truncated":  `{"id":"GO-1","affected":[`,
		"no id":      `{"affected":[]}`,
		"bad type":   `{"id":5}`,
		"array":      `[]`,
		"bad ranges": `{"id":"X","affected":[{"ranges":"x"}]}`,
	} {
		t.Run(name, func(t *testing.T) {
			if a, err := Parse([]byte(in)); err == nil {
				t.Errorf("Parse(%q) = %+v, want an error", in, a)
			}
		})
	}
}

func TestRangesOf(t *testing.T) {
	ev := func(kind, v string) event {
		switch kind {
		case "i":
			return event{Introduced: v}
		case "f":
			return event{Fixed: v}
		case "l":
			return event{LastAffected: v}
		}
		return event{Limit: v}
	}
	tests := []struct {
		name   string
		events []event
		want   []vulndb.Range
	}{
		{"none", nil, nil},
		{"open", []event{ev("i", "0")}, []vulndb.Range{{Introduced: "0"}}},
		{"fixed", []event{ev("i", "0"), ev("f", "1.0")}, []vulndb.Range{{Introduced: "0", Fixed: "1.0"}}},
		{"two", []event{ev("i", "0"), ev("f", "1.0"), ev("i", "2.0"), ev("f", "2.1")},
			[]vulndb.Range{{Introduced: "0", Fixed: "1.0"}, {Introduced: "2.0", Fixed: "2.1"}}},
		{"last affected", []event{ev("i", "1.0"), ev("l", "1.5")}, []vulndb.Range{{Introduced: "1.0", LastAffected: "1.5"}}},
		{"fixed without introduced", []event{ev("f", "1.0")}, []vulndb.Range{{Fixed: "1.0"}}},
		{"introduced twice", []event{ev("i", "1.0"), ev("i", "2.0"), ev("f", "3.0")},
			[]vulndb.Range{{Introduced: "1.0"}, {Introduced: "2.0", Fixed: "3.0"}}},
		{"event order kept, not sorted", []event{ev("i", "2.0"), ev("f", "2.1"), ev("i", "0"), ev("f", "1.0")},
			[]vulndb.Range{{Introduced: "2.0", Fixed: "2.1"}, {Introduced: "0", Fixed: "1.0"}}},
		{"limit ignored", []event{ev("i", "0"), ev("x", "9.0")}, []vulndb.Range{{Introduced: "0"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if diff := cmp.Diff(tt.want, rangesOf(tt.events)); diff != "" {
				t.Errorf("rangesOf (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNormalizeEcosystem(t *testing.T) {
	for in, want := range map[string]string{
		"Debian:12":                             "debian:12",
		"Debian":                                "debian",
		"Alpine:v3.18":                          "alpine:3.18",
		"Ubuntu:22.04:LTS":                      "ubuntu:22.04",
		"Ubuntu:Pro:18.04:LTS":                  "ubuntu:pro:18.04",
		"Ubuntu:24.10":                          "ubuntu:24.10",
		"AlmaLinux:9":                           "almalinux:9",
		"Rocky Linux:8":                         "rocky:8",
		"Photon OS:5.0":                         "photon:5.0",
		"Wolfi":                                 "wolfi",
		"Go":                                    "Go",
		"PyPI":                                  "PyPI",
		"npm":                                   "npm",
		"crates.io":                             "crates.io",
		"Maven":                                 "Maven",
		"Red Hat:enterprise_linux:9::appstream": "Red Hat:enterprise_linux:9::appstream",
		"":                                      "",
	} {
		if got := NormalizeEcosystem(in); got != want {
			t.Errorf("NormalizeEcosystem(%q) = %q, want %q", in, got, want)
		}
	}
}

func TestParseCVSS(t *testing.T) {
	rust, err := os.ReadFile("testdata/rust/RUSTSEC-2022-0102.json")
	if err != nil {
		t.Fatal(err)
	}
	pysec, err := os.ReadFile("testdata/pypa/PYSEC-2020-342.yaml")
	if err != nil {
		t.Fatal(err)
	}
	const aff = `"affected":[{"package":{"ecosystem":"PyPI","name":"p"},"versions":["1"]`
	tests := []struct {
		name   string
		record []byte
		yaml   bool
		want   []vulndb.CVSS
		bad    []string // types of the vectors left out
	}{
		{name: "rustsec v3.1", record: rust, want: []vulndb.CVSS{
			{Source: "rustsec", Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:H/PR:H/UI:N/S:U/C:H/I:H/A:N", Score: 5.9}}},
		{name: "pypa yaml", record: pysec, yaml: true, want: []vulndb.CVSS{
			{Source: "pysec", Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Score: 9.8}}},
		{name: "every version, rating word and duplicate passed over",
			record: []byte(`{"id":"GHSA-xxxx-yyyy-zzzz","severity":[
				{"type":"CVSS_V2","score":"AV:N/AC:M/Au:N/C:P/I:P/A:N"},
				{"type":"CVSS_V3","score":" CVSS:3.0/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H "},
				{"type":"CVSS_V4","score":"CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U"},
				{"type":"Ubuntu","score":"high"},
				{"type":"CVSS_V2","score":"AV:N/AC:M/Au:N/C:P/I:P/A:N"}],` + aff + `}]}`),
			want: []vulndb.CVSS{
				{Source: "ghsa", Version: "2.0", Vector: "AV:N/AC:M/Au:N/C:P/I:P/A:N", Score: 5.8},
				{Source: "ghsa", Version: "3.0", Vector: "CVSS:3.0/AV:L/AC:L/PR:N/UI:R/S:U/C:H/I:H/A:H", Score: 7.8},
				// The base score, CVSS-B; the whole vector's (CVSS-BT) is 8.1.
				{Source: "ghsa", Version: "4.0", Vector: "CVSS:4.0/AV:N/AC:L/AT:N/PR:N/UI:N/VC:H/VI:H/VA:H/SC:N/SI:N/SA:N/E:U", Score: 9.3},
			}},
		{name: "per-package severity, id without a prefix",
			record: []byte(`{"id":"X1",` + aff + `,"severity":[{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H"}]}]}`),
			want:   []vulndb.CVSS{{Source: "osv", Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H/A:H", Score: 9.8}}},
		{name: "bad vectors left out, record kept",
			record: []byte(`{"id":"PYSEC-1","severity":[
				{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:H"},
				{"type":"CVSS_V4","score":"7.5"},
				{"type":"CVSS_V3","score":"CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N"}],` + aff + `}]}`),
			want: []vulndb.CVSS{{Source: "pysec", Version: "3.1", Vector: "CVSS:3.1/AV:N/AC:L/PR:N/UI:N/S:U/C:H/I:N/A:N", Score: 7.5}},
			bad:  []string{"CVSS_V3", "CVSS_V4"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			parse := Parse
			if tt.yaml {
				parse = ParseYAML
			}
			a, err := parse(tt.record)
			if a == nil {
				t.Fatalf("no advisory: %v", err)
			}
			if diff := cmp.Diff(tt.want, a.CVSS); diff != "" {
				t.Errorf("CVSS (-want +got):\n%s", diff)
			}
			var bad []string
			for _, e := range leaves(err) {
				var ve *VectorError
				if !errors.As(e, &ve) || ve.ID != a.ID || !errors.Is(e, cvss.ErrInvalid) {
					t.Errorf("error %v: want a *VectorError of %s wrapping cvss.ErrInvalid", e, a.ID)
					continue
				}
				bad = append(bad, ve.Type)
			}
			if diff := cmp.Diff(tt.bad, bad); diff != "" {
				t.Errorf("vectors left out (-want +got):\n%s", diff)
			}
		})
	}
}

// leaves flattens an errors.Join.
func leaves(err error) []error {
	if j, ok := err.(interface{ Unwrap() []error }); ok {
		return j.Unwrap()
	}
	if err == nil {
		return nil
	}
	return []error{err}
}
