package rubysec

import (
	"context"
	"errors"
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

// collect is an in-memory vulndb.Sink.
type collect []*vulndb.Advisory

func (c *collect) Add(_ context.Context, a *vulndb.Advisory) error {
	*c = append(*c, a)
	return nil
}

func TestGemVersionCompare(t *testing.T) {
	// Each line is ascending, as Gem::Version sorts them.
	tests := [][]string{
		{"0.9", "1.0.a", "1.0.b1", "1.0.pre", "1.0", "1.0.1", "1.1", "1.10", "2"},
		{"2.0.0.beta1", "2.0.0-alpha", "2.0.0.rc1", "2.0.0", "2.0.1"},
		{"1.2.3", "1.2.3.1", "1.2.10", "99999999999999999999"},
	}
	for _, line := range tests {
		for i := range line {
			for j := range line {
				a, err := parseGemVersion(line[i])
				if err != nil {
					t.Fatal(err)
				}
				b, err := parseGemVersion(line[j])
				if err != nil {
					t.Fatal(err)
				}
				want := 0
				if i < j {
					want = -1
				} else if i > j {
					want = 1
				}
				if got := a.Compare(b); got != want {
					t.Errorf("Compare(%s, %s) = %d, want %d", line[i], line[j], got, want)
				}
			}
		}
	}
	for _, eq := range [][2]string{{"1.0", "1"}, {"1.0.0", "1"}, {"01.2", "1.2"}, {"1.0.a", "1.a"}} {
		a, err := parseGemVersion(eq[0])
		if err != nil {
			t.Fatal(err)
		}
		b, err := parseGemVersion(eq[1])
		if err != nil {
			t.Fatal(err)
		}
		if a.Compare(b) != 0 {
			t.Errorf("%s != %s", eq[0], eq[1])
		}
	}
	for _, bad := range []string{"", "a1", "1..2", "1.2.", "1.2_3", "1 2"} {
		if _, err := parseGemVersion(bad); err == nil {
			t.Errorf("parseGemVersion(%q): no error", bad)
		}
	}
}

func TestBump(t *testing.T) {
	for in, want := range map[string]string{"1.2.3": "1.3", "1.2": "2", "1": "2", "1.9": "2", "0.9.9": "0.10", "2.0.0.beta1": "2.1", "1.99": "2"} {
		v, err := parseGemVersion(in)
		if err != nil {
			t.Fatal(err)
		}
		if got := v.bump().text; got != want {
			t.Errorf("bump(%s) = %s, want %s", in, got, want)
		}
	}
}

func TestAffectedRanges(t *testing.T) {
	tests := []struct {
		name                string
		patched, unaffected []string
		want                []vulndb.Range
		excl                []string
		empty               bool
	}{
		{"actionpack CVE-2008-7248", []string{"~> 2.1.3", ">= 2.2.2"}, []string{"< 2.1.0"},
			[]vulndb.Range{{Introduced: "2.1.0", Fixed: "2.1.3"}, {Introduced: "2.2", Fixed: "2.2.2"}}, nil, false},
		{"one fix", []string{">= 1.1.0"}, nil, []vulndb.Range{{Fixed: "1.1.0"}}, nil, false},
		{"conjunction", []string{">= 2.0, < 2.1.4", ">= 2.1.5"}, nil,
			[]vulndb.Range{{Fixed: "2.0"}, {Introduced: "2.1.4", Fixed: "2.1.5"}}, nil, false},
		{"upper inclusive", nil, []string{"> 4.2.2", "< 4.2.1"},
			[]vulndb.Range{{Introduced: "4.2.1", LastAffected: "4.2.2"}}, nil, false},
		{"exclusive lower", []string{">= 1.7.0"}, []string{"<= 1.6.9", ">= 1.6.14"},
			[]vulndb.Range{{Introduced: "1.6.9", Fixed: "1.6.14"}}, []string{"1.6.9"}, false},
		{"hole", []string{"= 1.5"}, nil,
			[]vulndb.Range{{Fixed: "1.5"}, {Introduced: "1.5"}}, []string{"1.5"}, false},
		{"overlapping", []string{"~> 1.2", ">= 1.3.1"}, []string{"< 1.0"},
			[]vulndb.Range{{Introduced: "1.0", Fixed: "1.2"}}, nil, false},
		{"everything covered", []string{">= 5.1.2"}, []string{"< 5.1.2"}, nil, nil, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, excl, empty, err := affectedRanges(tt.patched, tt.unaffected)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("ranges (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(tt.excl, excl); diff != "" {
				t.Errorf("exclusive lower bounds (-want +got):\n%s", diff)
			}
			if empty != tt.empty {
				t.Errorf("empty = %v", empty)
			}
		})
	}
	for _, bad := range []string{"~>", ">= x", "!= 1.0", ">= 1.0,"} {
		if _, _, _, err := affectedRanges([]string{bad}, nil); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

func day(s string) time.Time {
	t, err := time.Parse(time.DateOnly, s)
	if err != nil {
		panic(err)
	}
	return t
}

func TestImport(t *testing.T) {
	var got collect
	n, err := Import(t.Context(), "testdata", &got)
	if err != nil {
		t.Fatal(err)
	}
	if n != 7 || len(got) != 7 {
		t.Errorf("Import = %d, sink got %d, want 7", n, len(got))
	}
	tests := []struct {
		file string
		want *vulndb.Advisory
	}{
		{"gems/rest-client/CVE-2019-15224.yml", &vulndb.Advisory{
			ID: "GHSA-333g-rpr4-7hxq", Aliases: []string{"CVE-2019-15224"}, Source: "rubysec",
			Summary:   "Code execution backdoor in rest-client (Contains Malicious Code)",
			Details:   "The rest-client gem 1.6.13 for Ruby, as distributed on RubyGems.org,\nincluded a code-execution backdoor inserted by a third party.",
			Severity:  "CRITICAL",
			Published: day("2019-08-19"),
			References: []vulndb.Reference{
				{Type: "ADVISORY", URL: "https://nvd.nist.gov/vuln/detail/CVE-2019-15224"},
				{Type: "WEB", URL: "https://github.com/advisories/GHSA-333g-rpr4-7hxq"},
			},
			CVSS: []vulndb.CVSS{{Source: "rubysec", Version: "2.0", Score: 7.5}, {Source: "rubysec", Version: "3.0", Score: 9.8}},
			Affected: []vulndb.Affected{{
				Ecosystem: "RubyGems", Package: "rest-client", Status: vulndb.StatusRanges,
				StatusDetail: "introduced exclusive of 1.6.9",
				Ranges:       []vulndb.Range{{Introduced: "1.6.9", Fixed: "1.6.14"}},
			}},
		}},
		{"gems/json/OSVDB-101157.yml", &vulndb.Advisory{
			ID: "RUBYSEC-OSVDB-101157", Aliases: []string{"OSVDB-101157"}, Source: "rubysec",
			Summary: "json Gem for Ruby Data Handling Stack Buffer Overflow",
			Details: "json Gem for Ruby contains an overflow condition that is triggered as\nuser-supplied input is not properly validated when handling specially crafted\n" +
				"data. This may allow a remote attacker to cause a stack-based buffer\noverflow, resulting in a denial of service or potentially allowing the\nexecution of arbitrary code.",
			Published: day("2007-05-21"),
			References: []vulndb.Reference{
				{Type: "ADVISORY", URL: "https://security.snyk.io/vuln/SNYK-RUBY-JSON-20000"},
				{Type: "WEB", URL: "http://osvdb.org/show/osvdb/101157"},
			},
			Affected: []vulndb.Affected{{
				Ecosystem: "RubyGems", Package: "json", Status: vulndb.StatusRanges,
				Ranges: []vulndb.Range{{Fixed: "1.1.0"}},
			}},
		}},
	}
	byFile := map[string]*vulndb.Advisory{}
	for _, a := range got {
		byFile[a.Summary] = a
	}
	for _, tt := range tests {
		t.Run(tt.file, func(t *testing.T) {
			a := byFile[tt.want.Summary]
			if diff := cmp.Diff(tt.want, a); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}

	// The parts of the other files that the tests above do not show.
	type parts struct {
		ID       string
		Aliases  []string
		Severity string
		Affected []vulndb.Affected
	}
	var gotParts []parts
	for _, a := range got {
		gotParts = append(gotParts, parts{a.ID, a.Aliases, a.Severity, a.Affected})
	}
	slices.SortFunc(gotParts, func(a, b parts) int { return strings.Compare(a.ID+a.Affected[0].Package, b.ID+b.Affected[0].Package) })
	wantParts := []parts{
		{"GHSA-333g-rpr4-7hxq", []string{"CVE-2019-15224"}, "CRITICAL", []vulndb.Affected{{
			// Upstream's lists cover every version (< 1.0.12 or > 0.1.4):
			// as bundler-audit reads them, no version is affected.
			Ecosystem: "RubyGems", Package: "cron_parser", Status: vulndb.StatusNotAffected}}},
		{"GHSA-333g-rpr4-7hxq", []string{"CVE-2019-15224"}, "CRITICAL", byFile["Code execution backdoor in rest-client (Contains Malicious Code)"].Affected},
		{"GHSA-8fqx-7pv4-3jwm", []string{"CVE-2008-7248"}, "MEDIUM", []vulndb.Affected{{
			Ecosystem: "RubyGems", Package: "actionpack", Status: vulndb.StatusRanges,
			Ranges: []vulndb.Range{{Introduced: "2.1.0", Fixed: "2.1.3"}, {Introduced: "2.2", Fixed: "2.2.2"}}}}},
		{"GHSA-cgqc-fqxr-q6r6", []string{"CVE-2011-4838", "OSVDB-78116"}, "MEDIUM", []vulndb.Affected{{
			Ecosystem: "ruby-engine", Package: "jruby", Status: vulndb.StatusRanges,
			Ranges: []vulndb.Range{{Fixed: "1.6.5.1"}}}}},
		{"GHSA-hg78-4f6x-99wq", []string{"CVE-2018-16470"}, "HIGH", []vulndb.Affected{{
			Ecosystem: "RubyGems", Package: "rack", Status: vulndb.StatusRanges, StatusDetail: "introduced exclusive of 2.0.3",
			Ranges: []vulndb.Range{{Introduced: "2.0.3", Fixed: "2.0.6"}}}}},
		{"GHSA-mq35-wqvf-r23c", []string{"CVE-2018-11627"}, "MEDIUM", []vulndb.Affected{{
			// 2.0.0-alpha is 2.0.0.pre.alpha, above 2.0.0.beta1 for RubyGems.
			Ecosystem: "RubyGems", Package: "sinatra", Status: vulndb.StatusRanges, StatusDetail: "introduced exclusive of 2.0.0-alpha",
			Ranges: []vulndb.Range{{Introduced: "2.0.0.beta1", Fixed: "2.0.0-alpha"}, {Introduced: "2.0.0-alpha", Fixed: "2.0.2"}}}}},
		{"RUBYSEC-OSVDB-101157", []string{"OSVDB-101157"}, "", byFile["json Gem for Ruby Data Handling Stack Buffer Overflow"].Affected},
	}
	if diff := cmp.Diff(wantParts, gotParts); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestImportFull reads the whole database snapshot.
func TestImportFull(t *testing.T) {
	dir := shareddata.Path(t, "advisories/rubysec")
	var got collect
	n, err := Import(t.Context(), dir, &got)
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, a := range got {
		for _, af := range a.Affected {
			count[af.Ecosystem+" "+string(af.Status)]++
		}
	}
	want := map[string]int{
		// Counted with PyYAML: 81 gem files have neither list, 1,153 have one
		// (2 covering every version), all 147 rubies files have one.
		"RubyGems ranges": 1151, "RubyGems affected": 81, "RubyGems not-affected": 2,
		"ruby-engine ranges": 147,
	}
	if n != 1381 {
		t.Errorf("Import = %d, want 1381 (every .yml file of gems/ and rubies/)", n)
	}
	if diff := cmp.Diff(want, count); diff != "" {
		t.Errorf("affected by ecosystem and status (-want +got):\n%s", diff)
	}
}

func TestImportErrors(t *testing.T) {
	dir := t.TempDir()
	files := map[string]string{
		"good.yml":    "gem: x\ncve: 2020-1234\npatched_versions: ['>= 1.0']\n",
		"nogem.yml":   "cve: 2020-1234\n",
		"badreq.yml":  "gem: x\npatched_versions: ['>= one']\n",
		"baddate.yml": "gem: x\ndate: yesterday\n",
		"badcvss.yml": "gem: x\ncvss_v3: 11\n",
		"notyaml.yml": "gem: [x\n",
		"ignored.txt": "gem: [x\n",
		"list.yml":    "- gem: x\n",
		// A checkout's CI and lint settings are not advisories.
		".github/workflows/ruby.yml": "name: CI\non: [push]\n",
		".yamllint.yml":              "extends: default\n",
	}
	for name, s := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var got collect
	n, err := Import(t.Context(), dir, &got)
	if n != 1 {
		t.Errorf("Import = %d, want 1", n)
	}
	var fe *errlist.FileError
	if !errors.As(err, &fe) {
		t.Fatalf("error %v: not a *errlist.FileError", err)
	}
	for _, want := range []string{"nogem.yml: neither gem nor engine", `badreq.yml: requirement ">= one"`, "baddate.yml: date", "badcvss.yml: cvss 3.0 score 11", "notyaml.yml: yaml", "list.yml: yaml"} {
		if !strings.Contains(err.Error(), want) {
			t.Errorf("error does not mention %q:\n%v", want, err)
		}
	}
	if strings.Contains(err.Error(), "ruby.yml") || strings.Contains(err.Error(), "yamllint") {
		t.Errorf("error mentions a dot file:\n%v", err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Import(ctx, "testdata", &got); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*/*.yml")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := Parse("x/y/CVE-1.yml", b)
		if err != nil {
			return
		}
		if a.ID == "" || len(a.Affected) != 1 || a.Affected[0].Package == "" {
			t.Fatalf("bad advisory %+v", a)
		}
	})
}

// FuzzRequirements checks the interval arithmetic on arbitrary requirement
// lists: the ranges are sorted and never empty.
func FuzzRequirements(f *testing.F) {
	f.Add("~> 2.1.3\n>= 2.2.2", "< 2.1.0")
	f.Add(">= 2.0, < 2.1.4", "<= 1.6.9\n>= 1.6.14")
	f.Add("= 2.0.0-alpha", "> 0.1.4")
	f.Fuzz(func(t *testing.T, patched, unaffected string) {
		ranges, _, empty, err := affectedRanges(strings.Split(patched, "\n"), strings.Split(unaffected, "\n"))
		if err != nil {
			return
		}
		if empty != (len(ranges) == 0) {
			t.Fatalf("empty = %v with %d ranges", empty, len(ranges))
		}
		for _, r := range ranges {
			if r.Fixed != "" && r.LastAffected != "" {
				t.Fatalf("range %+v has both ends", r)
			}
		}
	})
}

func TestSeverity(t *testing.T) {
	for _, tt := range []struct {
		version string
		score   float64
		want    string
	}{
		{"2.0", 0, "LOW"}, {"2.0", 3.9, "LOW"}, {"2.0", 4, "MEDIUM"}, {"2.0", 6.9, "MEDIUM"}, {"2.0", 7, "HIGH"}, {"2.0", 10, "HIGH"},
		{"3.0", 0, "NEGLIGIBLE"}, {"3.0", 0.1, "LOW"}, {"3.0", 4, "MEDIUM"}, {"3.0", 7, "HIGH"}, {"3.0", 8.9, "HIGH"}, {"3.0", 9, "CRITICAL"},
		{"4.0", 0, "NEGLIGIBLE"}, {"4.0", 3.9, "LOW"}, {"4.0", 6.9, "MEDIUM"}, {"4.0", 9.3, "CRITICAL"},
	} {
		if got := severity(tt.version, tt.score); got != tt.want {
			t.Errorf("severity(%s, %v) = %q, want %q", tt.version, tt.score, got, tt.want)
		}
	}
}
