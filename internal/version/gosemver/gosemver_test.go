package gosemver

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/customs-scanner/customs/internal/version/versiontest"
)

// eachRow calls fn with the tab-separated fields of each row of a testdata
// file and returns how many rows there were.
func eachRow(t *testing.T, name string, fn func(where string, f []string)) int {
	t.Helper()
	rows := 0
	versiontest.EachLine(t, filepath.Join("testdata", name), func(where, line string) {
		rows++
		fn(where, strings.Split(line, "\t"))
	})
	return rows
}

// TestCompareVectors runs every x/mod comparison. x/mod orders invalid
// strings below valid ones; here an invalid string is a Parse error (the
// matcher reports undetermined), so rows with an invalid side check that
// side fails to parse instead.
func TestCompareVectors(t *testing.T) {
	var s Scheme
	compared, invalid := 0, 0
	rows := eachRow(t, "go-semver.tsv", func(where string, f []string) {
		if len(f) < 3 {
			t.Fatalf("%s: want 3 fields, got %q", where, f)
		}
		want := map[string]int{"<": -1, "=": 0, ">": 1}[f[1]]
		a, errA := s.Parse(f[0])
		b, errB := s.Parse(f[2])
		if errA != nil || errB != nil {
			invalid++
			// x/mod: invalid < valid, invalid = invalid. So an invalid
			// side is never the greater one.
			if errA != nil && errB == nil && want != -1 || errB != nil && errA == nil && want != 1 || errA != nil && errB != nil && want != 0 {
				t.Errorf("%s: %q %s %q but Parse errors are %v / %v", where, f[0], f[1], f[2], errA, errB)
			}
			return
		}
		compared++
		if got := a.Compare(b); got != want {
			t.Errorf("%s: Compare(%q, %q) = %d, want %d", where, f[0], f[2], got, want)
		}
		if got := b.Compare(a); got != -want {
			t.Errorf("%s: Compare(%q, %q) = %d, want %d (reverse)", where, f[2], f[0], got, -want)
		}
	})
	if rows != 528 {
		t.Errorf("read %d rows, want 528", rows)
	}
	t.Logf("%d compared, %d with an invalid side", compared, invalid)
	if compared < 300 {
		t.Errorf("only %d rows compared", compared)
	}
}

func TestCanonicalVectors(t *testing.T) {
	rows := eachRow(t, "go-semver-canonical.tsv", func(where string, f []string) {
		for len(f) < 2 {
			f = append(f, "")
		}
		v, err := Parse(f[0])
		if f[1] == "" {
			if err == nil {
				t.Errorf("%s: Parse(%q) = %q, want error", where, f[0], v.Canonical())
			}
			return
		}
		if err != nil {
			t.Errorf("%s: Parse(%q): %v", where, f[0], err)
			return
		}
		if v.Canonical() != f[1] {
			t.Errorf("%s: Parse(%q).Canonical() = %q, want %q", where, f[0], v.Canonical(), f[1])
		}
	})
	if rows != 32 {
		t.Errorf("read %d rows, want 32", rows)
	}
}

// TestGoSpecific covers what Go data actually contains: OSV versions
// without "v", pseudo-versions, +incompatible, stdlib "-0" lower bounds.
func TestGoSpecific(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.2.3", "v1.2.3", 0},
		{"0", "v0.0.1", -1},
		{"v0.0.0-20240102150405-abcdef123456", "v0.0.0-20240203150405-abcdef123456", -1},
		{"v0.0.0-20240102150405-abcdef123456", "v0.0.1", -1},
		{"v1.2.4-0.20240102150405-abcdef123456", "v1.2.4", -1},
		{"v1.2.4-0.20240102150405-abcdef123456", "v1.2.3", 1},
		{"v2.0.0+incompatible", "v2.0.0", 0},
		{"v17.0.1+incompatible", "v2.0.0+incompatible", 1},
		{"1.22.0-0", "v1.22.0-rc.1", -1},
		{"v1.22.3", "1.22.0-0", 1},
	}
	for _, tt := range tests {
		t.Run(tt.a+" vs "+tt.b, func(t *testing.T) {
			a, err := Parse(tt.a)
			if err != nil {
				t.Fatal(err)
			}
			b, err := Parse(tt.b)
			if err != nil {
				t.Fatal(err)
			}
			if got := a.Compare(b); got != tt.want {
				t.Errorf("Compare = %d, want %d", got, tt.want)
			}
		})
	}
	for _, bad := range []string{"", "(devel)", "go1.22.3", "v1.2.3.4", "latest"} {
		if v, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q) = %q, want error", bad, v.Canonical())
		}
	}
	if got := (Scheme{}).Name(); got != "golang" {
		t.Errorf("Name() = %q", got)
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"v1.2.3", "1.2.3-pre+meta", "v0.0.0-20240102150405-abcdef123456", "bad", ""} {
		f.Add(s, "v1.0.0")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		va, errA := Parse(a)
		vb, errB := Parse(b)
		if errA != nil || errB != nil {
			return
		}
		if va.Compare(vb) != -vb.Compare(va) {
			t.Errorf("Compare(%q, %q) not antisymmetric", a, b)
		}
		if va.Compare(va) != 0 {
			t.Errorf("Compare(%q, itself) != 0", a)
		}
	})
}
