package rustsec

import (
	"testing"

	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/google/go-cmp/cmp"
)

func TestSemverCompare(t *testing.T) {
	// Ascending, per semver.org item 11 (its own example first).
	asc := []string{"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11",
		"1.0.0-rc.1", "1.0.0-rc.9", "1.0.0-rc.18446744073709551616", "1.0.0", "1.0.1-0", "1.0.1", "1.2", "1.10.0", "2", "18446744073709551615.0.0"}
	for i := range asc {
		for j := range asc {
			a, err := parseSemver(asc[i])
			if err != nil {
				t.Fatal(err)
			}
			b, err := parseSemver(asc[j])
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
				t.Errorf("Compare(%s, %s) = %d, want %d", asc[i], asc[j], got, want)
			}
		}
	}
	a, err := parseSemver("1.2.3+build.5")
	if err != nil {
		t.Fatal(err)
	}
	b, err := parseSemver("1.2.3")
	if err != nil {
		t.Fatal(err)
	}
	if a.Compare(b) != 0 {
		t.Error("build metadata changed precedence")
	}
	for _, bad := range []string{"", "v1.2.3", "1.2.3.4", "1..2", "1.2-pre", "1.2.3-", "1.2.3-a..b", "1.2.3-a_b", "-1.0.0", "+1.0.0", "1.x"} {
		if _, err := parseSemver(bad); err == nil {
			t.Errorf("parseSemver(%q): no error", bad)
		}
	}
}

func TestAffectedRanges(t *testing.T) {
	tests := []struct {
		name                string
		patched, unaffected []string
		want                []vulndb.Range
		empty               bool
	}{
		{"one fix", []string{">= 1.0.4"}, nil, []vulndb.Range{{Fixed: "1.0.4"}}, false},
		{"caret lines", []string{"^0.9.2", "^0.10.1", ">= 0.11.6"}, []string{"< 0.9"},
			[]vulndb.Range{{Introduced: "0.9.0", Fixed: "0.9.2"}, {Introduced: "0.10.0", Fixed: "0.10.1"}, {Introduced: "0.11.0", Fixed: "0.11.6"}}, false},
		{"bare is caret", []string{"0.54.2", ">= 0.55.0"}, nil, []vulndb.Range{{Fixed: "0.54.2"}}, false},
		{"caret 0.0.x", []string{"^0.0.3"}, nil, []vulndb.Range{{Fixed: "0.0.3"}, {Introduced: "0.0.4"}}, false},
		{"caret major", []string{"^1.7.5"}, []string{"< 1.0.0"}, []vulndb.Range{{Introduced: "1.0.0", Fixed: "1.7.5"}, {Introduced: "2.0.0"}}, false},
		{"tilde", []string{"~1.2.3"}, nil, []vulndb.Range{{Fixed: "1.2.3"}, {Introduced: "1.3.0"}}, false},
		{"partial bounds", []string{"> 1.2"}, []string{"<= 0.9"}, []vulndb.Range{{Introduced: "0.10.0", Fixed: "1.3.0"}}, false},
		{"exclusive lower", []string{">= 3.6.0"}, []string{"<= 3.5.0"}, []vulndb.Range{{Introduced: "3.5.1-0", Fixed: "3.6.0"}}, false},
		{"after a prerelease", []string{"< 1.0.0-rc.1", "> 1.0.0-rc.1, < 1.0.0-rc.2", ">= 1.0.0-rc.3"}, nil,
			[]vulndb.Range{{Introduced: "1.0.0-rc.1", LastAffected: "1.0.0-rc.1"}, {Introduced: "1.0.0-rc.2", Fixed: "1.0.0-rc.3"}}, false},
		{"upper inclusive", nil, []string{"< 1.0.0", "> 1.0.5"}, []vulndb.Range{{Introduced: "1.0.0", LastAffected: "1.0.5"}}, false},
		{"exact", []string{"=0.2.0"}, nil, []vulndb.Range{{Fixed: "0.2.0"}, {Introduced: "0.2.1-0"}}, false},
		{"all covered", []string{">= 0.1.0"}, []string{"< 0.1.0"}, nil, true},
		{"spaces", []string{">= 0.0.8 ", "^ 0.3.1"}, nil, []vulndb.Range{{Fixed: "0.0.8"}}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, empty, err := affectedRanges(tt.patched, tt.unaffected)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
			if empty != tt.empty {
				t.Errorf("empty = %v", empty)
			}
		})
	}
	for _, bad := range []string{"*", ">= 1.x", "1.*", ">=", "|| 1"} {
		if _, _, err := affectedRanges([]string{bad}, nil); err == nil {
			t.Errorf("%q: no error", bad)
		}
	}
}

// FuzzRequirements checks the interval arithmetic: ranges come out sorted
// and non-empty, each bound a valid version.
func FuzzRequirements(f *testing.F) {
	f.Add(">= 1.0.4", "<= 0.9")
	f.Add("^0.0.3", "=0.2.0")
	f.Add("> 1.0.0-rc.1, < 1.0.0-rc.2", "~1.2")
	f.Fuzz(func(t *testing.T, patched, unaffected string) {
		ranges, empty, err := affectedRanges([]string{patched}, []string{unaffected})
		if err != nil {
			return
		}
		if empty != (len(ranges) == 0) {
			t.Fatalf("empty = %v with %d ranges", empty, len(ranges))
		}
		var prev semver
		for i, r := range ranges {
			for _, s := range []string{r.Introduced, r.Fixed, r.LastAffected} {
				if s == "" {
					continue
				}
				v, err := parseSemver(s)
				if err != nil {
					t.Fatalf("range %+v: %v", r, err)
				}
				if i > 0 && v.Compare(prev) < 0 {
					t.Fatalf("ranges out of order: %+v", ranges)
				}
				prev = v
			}
		}
	})
}
