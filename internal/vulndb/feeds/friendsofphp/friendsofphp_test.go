package friendsofphp

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

func at(s string) time.Time {
	t, err := time.Parse(time.DateTime, s)
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
	slices.SortFunc(got, func(a, b *vulndb.Advisory) int { return strings.Compare(a.ID, b.ID) })
	pkg := func(name, detail string, ranges ...vulndb.Range) []vulndb.Affected {
		return []vulndb.Affected{{Ecosystem: "Packagist", Package: name, Status: vulndb.StatusRanges, StatusDetail: detail, Ranges: ranges}}
	}
	want := collect{
		{
			ID: "CVE-2016-5385", Source: "friendsofphp",
			Summary:    "HTTP Proxy header vulnerability",
			Published:  at("2016-07-18 16:37:40"),
			References: []vulndb.Reference{{Type: "ADVISORY", URL: "https://twitter.com/asyncphp/status/755136084917583872"}},
			Affected: pkg("amphp/artax", "introduced exclusive of 0.7.1",
				vulndb.Range{Introduced: "0.7.1", Fixed: "1.0.4"}, vulndb.Range{Introduced: "2", Fixed: "2.0.4"}),
		},
		{
			ID: "CVE-2024-2653", Source: "friendsofphp",
			Summary:    "Denial of Service via HTTP/2 CONTINUATION Frames",
			References: []vulndb.Reference{{Type: "ADVISORY", URL: "https://github.com/amphp/http/security/advisories/GHSA-qjfw-cvjf-f4fm"}},
			Affected: pkg("amphp/http", "",
				vulndb.Range{LastAffected: "1.7.2"}, vulndb.Range{Introduced: "2.0.0", LastAffected: "2.1.0"}),
		},
		{
			ID: "FOP-cakephp/cakephp/2015-08-06", Source: "friendsofphp",
			Summary:    "Direct access of prefixed controller actions",
			Published:  at("2015-08-06 22:08:00"),
			References: []vulndb.Reference{{Type: "ADVISORY", URL: "https://bakery.cakephp.org/2015/08/06/cakephp_2_5_9_2_6_10_2_7_2_released.html"}},
			Affected: pkg("cakephp/cakephp", "",
				vulndb.Range{Introduced: "2.0.0", Fixed: "2.0.99"}, vulndb.Range{Introduced: "2.1.0", Fixed: "2.1.99"},
				vulndb.Range{Introduced: "2.2.0", Fixed: "2.2.99"}, vulndb.Range{Introduced: "2.3.0", Fixed: "2.3.99"},
				vulndb.Range{Introduced: "2.4.0", Fixed: "2.4.99"}, vulndb.Range{Introduced: "2.5.0", Fixed: "2.5.9"},
				vulndb.Range{Introduced: "2.6.0", Fixed: "2.6.11"}, vulndb.Range{Introduced: "2.7.0", Fixed: "2.7.2"}),
		},
		{
			ID: "FOP-cart2quote/module-quotation/2017-02-01", Source: "friendsofphp",
			Summary:    "Remote Code Execution in Qquoteadv/controllers/DownloadController.php",
			Published:  at("2017-02-01 10:45:00"),
			References: []vulndb.Reference{{Type: "ADVISORY", URL: "https://cart2quote.zendesk.com/hc/en-us/articles/115000616303--FIXED-Security-Vulnerability-in-downloadCustomOptionAction"}},
			Affected: pkg("cart2quote/module-quotation", "",
				vulndb.Range{Introduced: "4.1.6", Fixed: "4.4.6"}, vulndb.Range{Introduced: "5.0.0", Fixed: "5.4.4"}),
		},
		{
			ID: "FOP-symfony/symfony/2012-08-28", Source: "friendsofphp",
			Summary:    "Security fixes related to the way XML is handled",
			Published:  at("2012-08-27 19:17:44"),
			References: []vulndb.Reference{{Type: "ADVISORY", URL: "https://symfony.com/blog/security-release-symfony-2-0-17-released"}},
			Affected:   pkg("symfony/symfony", "", vulndb.Range{Introduced: "2.0.0", Fixed: "2.0.17"}),
		},
	}
	if n != len(want) {
		t.Errorf("Import = %d, want %d", n, len(want))
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}

	// One file as the root keeps its vendor/package/name.
	var one collect
	if _, err := Import(t.Context(), "testdata/symfony/symfony/2012-08-28.yaml", &one); err != nil {
		t.Fatal(err)
	}
	if len(one) != 1 || one[0].ID != "FOP-symfony/symfony/2012-08-28" {
		t.Errorf("one file: %v", one.ids())
	}
}

func (c collect) ids() []string {
	var ids []string
	for _, a := range c {
		ids = append(ids, a.ID)
	}
	return ids
}

// TestImportFull reads the whole database snapshot.
func TestImportFull(t *testing.T) {
	dir := shareddata.Path(t, "advisories/friendsofphp")
	var got collect
	n, err := Import(t.Context(), dir, &got)
	if err != nil {
		t.Fatal(err)
	}
	ranges, withCVE, ids := 0, 0, map[string]bool{}
	for _, a := range got {
		ranges += len(a.Affected[0].Ranges)
		if strings.HasPrefix(a.ID, "CVE-") {
			withCVE++
		} else if ids[a.ID] {
			t.Errorf("ID %s repeats", a.ID)
		}
		ids[a.ID] = true
	}
	// Counted with PyYAML over vendor/package/*.yaml: 1,591 files, 1,159
	// with a CVE, 5,681 branches.
	if diff := cmp.Diff([3]int{1591, 1159, 5681}, [3]int{n, withCVE, ranges}); diff != "" {
		t.Errorf("[advisories, with CVE, ranges] (-want +got):\n%s", diff)
	}
}

func TestParseErrors(t *testing.T) {
	tests := []struct{ name, yaml, err string }{
		{"no branches", "title: x\nreference: composer://a/b\n", "no branches"},
		{"bad reference", "reference: composer://ab\nbranches: {m: {versions: ['<1']}}\n", "want composer://vendor/package"},
		{"bad cve", "cve: 2020-1\nreference: composer://a/b\nbranches: {m: {versions: ['<1']}}\n", `bad cve "2020-1"`},
		{"bad time", "reference: composer://a/b\nbranches: {m: {time: soon, versions: ['<1']}}\n", `branch m: bad time "soon"`},
		{"no versions", "reference: composer://a/b\nbranches: {m: {versions: []}}\n", "branch m: no versions"},
		{"no operator", "reference: composer://a/b\nbranches: {m: {versions: ['1.0']}}\n", `bad constraint "1.0"`},
		{"two uppers", "reference: composer://a/b\nbranches: {m: {versions: ['<1', '<=2']}}\n", "two bounds"},
		{"two lowers", "reference: composer://a/b\nbranches: {m: {versions: ['>1', '>=2']}}\n", "two bounds"},
		{"or", "reference: composer://a/b\nbranches: {m: {versions: ['<1 || >2']}}\n", "bad constraint"},
		{"not yaml", "branches: [", "yaml"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			_, err := Parse("a/b/c.yaml", []byte(tt.yaml))
			if err == nil || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("Parse error = %v, want %q", err, tt.err)
			}
		})
	}
}

func TestImportErrors(t *testing.T) {
	dir := t.TempDir()
	for name, s := range map[string]string{
		"a/b/good.yaml":      "reference: composer://a/b\nbranches: {m: {versions: ['<1']}}\n",
		"a/b/bad.yaml":       "reference: composer://a/b\n",
		".github/x/y/z.yaml": "not: an advisory",
		"a/b/README.md":      "hello",
	} {
		p := filepath.Join(dir, filepath.FromSlash(name))
		os.MkdirAll(filepath.Dir(p), 0o755)
		if err := os.WriteFile(p, []byte(s), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	var got collect
	n, err := Import(t.Context(), dir, &got)
	var fe *errlist.FileError
	if n != 1 || !errors.As(err, &fe) || !strings.HasSuffix(fe.Path, "bad.yaml") || strings.Contains(err.Error(), ".github") {
		t.Errorf("Import = %d, %v", n, err)
	}
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Import(ctx, "testdata", &got); !errors.Is(err, context.Canceled) {
		t.Errorf("cancelled: %v", err)
	}
}

func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob("testdata/*/*/*.yaml")
	for _, name := range files {
		b, err := os.ReadFile(name)
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		a, err := Parse("v/p/x.yaml", b)
		if err != nil {
			return
		}
		if a.ID == "" || len(a.Affected) != 1 || len(a.Affected[0].Ranges) == 0 {
			t.Fatalf("bad advisory %+v", a)
		}
	})
}

func TestParseTime(t *testing.T) {
	// The forms found in the database.
	tests := map[string]time.Time{
		"2015-08-06 22:08:00":       at("2015-08-06 22:08:00"),
		"2015-05-29 12:53:14 +1200": at("2015-05-29 00:53:14"),
		"2017-11-1 19:02:00":        at("2017-11-01 19:02:00"),
		"2020-01-02T03:04:05Z":      at("2020-01-02 03:04:05"),
		"2020-01-02":                at("2020-01-02 00:00:00"),
	}
	for in, want := range tests {
		got, err := parseTime(in)
		if err != nil || !got.Equal(want) {
			t.Errorf("parseTime(%q) = %v, %v; want %v", in, got, err, want)
		}
	}
}
