package pep440

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/version/versiontest"
)

func TestCompareVectors(t *testing.T) {
	packaging := versiontest.ReadTSV(t, filepath.Join("testdata", "pypi-pep440.tsv"))
	scalibr := versiontest.ReadSpaced(t, filepath.Join("testdata", "pypi-versions.txt"))
	generated := versiontest.ReadSpaced(t, filepath.Join("testdata", "pypi-versions-generated.txt"))

	tests := []struct {
		name string
		vs   []versiontest.Vector
		rows int
		// legacy is how many rows hold a pre-PEP 440 ("LegacyVersion")
		// string, which packaging >= 22 rejects too.
		legacy int
	}{
		{"pypi-pep440.tsv", packaging, 1486, 0},
		{"pypi-versions.txt", scalibr, 37, 11},
		{"pypi-versions-generated.txt", generated, 12375, 69},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if len(tc.vs) != tc.rows {
				t.Errorf("read %d vectors, want %d", len(tc.vs), tc.rows)
			}
			legacy := 0
			for _, v := range tc.vs {
				a, errA := Parse(v.Left)
				b, errB := Parse(v.Right)
				if errA != nil || errB != nil {
					legacy++
					continue
				}
				if got := a.CompareVersion(b); got != v.Want {
					t.Errorf("%s: Compare(%q, %q) = %d, want %d", v.Where, v.Left, v.Right, got, v.Want)
				}
				if got := b.CompareVersion(a); got != -v.Want {
					t.Errorf("%s: Compare(%q, %q) = %d, want %d (reverse)", v.Where, v.Right, v.Left, got, -v.Want)
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
	versiontest.EachLine(t, filepath.Join("testdata", "pypi-pep440-invalid.txt"), func(where, line string) {
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
	versiontest.EachLine(t, filepath.Join("testdata", "pypi-pep440-normalize.jsonl"), func(where, line string) {
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
