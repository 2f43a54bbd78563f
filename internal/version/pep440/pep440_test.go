package pep440

import (
	"bufio"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

type vector struct {
	where       string
	left, right string
	want        int
}

func opValue(t *testing.T, where, op string) int {
	t.Helper()
	switch op {
	case "<":
		return -1
	case "=", "==":
		return 0
	case ">":
		return 1
	}
	t.Fatalf("%s: unknown op %q", where, op)
	return 0
}

func eachLine(t *testing.T, name, comment string, fn func(where, line string)) {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, comment) {
			continue
		}
		fn(fmt.Sprintf("%s:%d", name, n), line)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}

func TestCompareVectors(t *testing.T) {
	var packaging, scalibr, generated []vector
	eachLine(t, "pypi-pep440.tsv", "#", func(where, line string) {
		f := strings.Split(line, "\t")
		if len(f) < 3 {
			t.Fatalf("%s: short row %q", where, line)
		}
		packaging = append(packaging, vector{where, f[0], f[2], opValue(t, where, f[1])})
	})
	spaced := func(dst *[]vector) func(string, string) {
		return func(where, line string) {
			f := strings.Fields(line)
			if len(f) != 3 {
				t.Fatalf("%s: want 3 fields, got %q", where, line)
			}
			*dst = append(*dst, vector{where, f[0], f[2], opValue(t, where, f[1])})
		}
	}
	eachLine(t, "pypi-versions.txt", "//", spaced(&scalibr))
	eachLine(t, "pypi-versions-generated.txt", "//", spaced(&generated))

	tests := []struct {
		name string
		vs   []vector
		rows int
		// legacy is how many rows hold a pre-PEP 440 ("LegacyVersion")
		// string, which packaging >= 22 rejects too.
		legacy int
	}{
		{"pypi-pep440.tsv", packaging, 1486, 0},
		{"pypi-versions.txt", scalibr, len(scalibr), 11},
		{"pypi-versions-generated.txt", generated, len(generated), 69},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.vs) != tc.rows {
				t.Errorf("read %d vectors, want %d", len(tc.vs), tc.rows)
			}
			legacy := 0
			for _, v := range tc.vs {
				a, errA := Parse(v.left)
				b, errB := Parse(v.right)
				if errA != nil || errB != nil {
					legacy++
					continue
				}
				if got := a.CompareVersion(b); got != v.want {
					t.Errorf("%s: Compare(%q, %q) = %d, want %d", v.where, v.left, v.right, got, v.want)
				}
				if got := b.CompareVersion(a); got != -v.want {
					t.Errorf("%s: Compare(%q, %q) = %d, want %d (reverse)", v.where, v.right, v.left, got, -v.want)
				}
			}
			if legacy != tc.legacy {
				t.Errorf("%d rows did not parse, want %d", legacy, tc.legacy)
			}
		})
	}
}

func TestInvalid(t *testing.T) {
	n := 0
	eachLine(t, "pypi-pep440-invalid.txt", "#", func(where, line string) {
		n++
		if v, err := Parse(line); err == nil {
			t.Errorf("%s: Parse(%q) = %q, want error", where, line, v.Normalized())
		}
	})
	if n != 6 {
		t.Errorf("read %d invalid versions, want 6", n)
	}
	var s Scheme
	for _, in := range []string{"", "1.0.", "1..0", "x1.0", strings.Repeat("1.", 200) + "1"} {
		if _, err := s.Parse(in); err == nil {
			t.Errorf("Parse(%q): want error", in)
		}
	}
}

func TestNormalize(t *testing.T) {
	n := 0
	eachLine(t, "pypi-pep440-normalize.jsonl", "#", func(where, line string) {
		var row struct{ Input, Normalized string }
		if err := json.Unmarshal([]byte(line), &row); err != nil {
			t.Fatalf("%s: %v", where, err)
		}
		n++
		v, err := Parse(row.Input)
		if err != nil {
			t.Errorf("%s: Parse(%q): %v", where, row.Input, err)
			return
		}
		if got := v.Normalized(); got != row.Normalized {
			t.Errorf("%s: Normalized(%q) = %q, want %q", where, row.Input, got, row.Normalized)
		}
	})
	if n != 101 {
		t.Errorf("read %d rows, want 101", n)
	}
}

func TestParts(t *testing.T) {
	tests := []struct {
		in   string
		want Version
	}{
		{"1!2.0.1rc3.post4.dev5+Ubuntu-01", Version{Epoch: "1", Release: []string{"2", "0", "1"}, PreLabel: "rc", PreNum: "3",
			HasPost: true, PostNum: "4", HasDev: true, DevNum: "5", Local: []string{"ubuntu", "1"}, raw: "1!2.0.1rc3.post4.dev5+Ubuntu-01"}},
		{"2.31.0", Version{Epoch: "0", Release: []string{"2", "31", "0"}, raw: "2.31.0"}},
	}
	for _, tc := range tests {
		t.Run(tc.in, func(t *testing.T) {
			got, err := Parse(tc.in)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, got, cmp.AllowUnexported(Version{})); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tc.in, diff)
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"1.0", "1!2.0rc1.post2.dev3+local.7", "v1.0-5", "1.0+a+"} {
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
		n, err := Parse(va.Normalized())
		if err != nil {
			t.Fatalf("normalized %q of %q does not parse: %v", va.Normalized(), a, err)
		}
		if n.CompareVersion(va) != 0 {
			t.Errorf("normalized %q != %q", n.Normalized(), a)
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
