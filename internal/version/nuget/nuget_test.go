package nuget

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

type vector struct {
	where       string
	left, right string
	want        int
}

func readSpaced(t *testing.T, name string) []vector {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []vector
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "//") {
			continue
		}
		where := fmt.Sprintf("%s:%d", name, n)
		fs := strings.Fields(line)
		if len(fs) != 3 {
			t.Fatalf("%s: want 3 fields, got %q", where, line)
		}
		want := map[string]int{"<": -1, "=": 0, ">": 1}
		w, ok := want[fs[1]]
		if !ok {
			t.Fatalf("%s: unknown op %q", where, fs[1])
		}
		out = append(out, vector{where, fs[0], fs[2], w})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCompareVectors(t *testing.T) {
	tests := []struct {
		file string
		rows int
	}{
		{"nuget-versions.txt", 35},
	}
	var s Scheme
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			vs := readSpaced(t, tc.file)
			if tc.rows != 0 && len(vs) != tc.rows {
				t.Errorf("read %d vectors, want %d", len(vs), tc.rows)
			}
			for _, v := range vs {
				a, err := s.Parse(v.left)
				if err != nil {
					t.Errorf("%s: %v", v.where, err)
					continue
				}
				b, err := s.Parse(v.right)
				if err != nil {
					t.Errorf("%s: %v", v.where, err)
					continue
				}
				if got := a.Compare(b); got != v.want {
					t.Errorf("%s: Compare(%q, %q) = %d, want %d", v.where, v.left, v.right, got, v.want)
				}
				if got := b.Compare(a); got != -v.want {
					t.Errorf("%s: Compare(%q, %q) = %d, want %d (reverse)", v.where, v.right, v.left, got, -v.want)
				}
			}
		})
	}
}

// TestNuGet holds cases in the spirit of NuGet.Versioning's tests.
func TestNuGet(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1", "1.0.0.0", 0},
		{"1.0.0-alpha", "1.0.0-Alpha", 0},
		{"1.0.0-alpha.2", "1.0.0-alpha.10", -1},
		{"1.0.0-alpha.beta", "1.0.0-alpha.1", 1},
		{"1.0.0-rc.1+build.5", "1.0.0-rc.1+build.6", 0},
		{"2.0.0-preview1", "2.0.0", -1},
		{"4.5.0.1", "4.5.0", 1},
	}
	for _, tc := range tests {
		got, err := Compare(tc.a, tc.b)
		if err != nil {
			t.Errorf("Compare(%q, %q): %v", tc.a, tc.b, err)
			continue
		}
		if got != tc.want {
			t.Errorf("Compare(%q, %q) = %d, want %d", tc.a, tc.b, got, tc.want)
		}
	}
	for _, bad := range []string{"", "1.", "1..0", "1.0.0.0.0", "a.b", "1.0-", "1.0-a..b", "1.0+", "1.0-beta_1", "1.0.0-rc+a+b", strings.Repeat("1.", 200)} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q): want error", bad)
		}
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"1.0", "1.0.0.1-1.2.A+A", "1.0.0-BETA.X.y.5.77.0+AA", "2.0.0-preview1"} {
		f.Add(s, "1.0")
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		va, err := Parse(a)
		if err != nil {
			return
		}
		if va.CompareVersion(va) != 0 {
			t.Errorf("%q != itself", a)
		}
		vb, err := Parse(b)
		if err != nil {
			return
		}
		if va.CompareVersion(vb) != -vb.CompareVersion(va) {
			t.Errorf("Compare(%q, %q) not antisymmetric", a, b)
		}
	})
}
