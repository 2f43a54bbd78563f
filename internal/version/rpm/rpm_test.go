package rpm

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/version/versiontest"
)

// readVectors reads a testdata file of "left op right" rows,
// tab-separated (version-vectors *.tsv, with a trailing source column) or
// space-separated (claircore, osv-scalibr).
func readVectors(t testing.TB, name string) []versiontest.Vector {
	t.Helper()
	if strings.HasSuffix(name, ".tsv") {
		return versiontest.ReadTSV(t, filepath.Join("testdata", name))
	}
	return versiontest.ReadSpaced(t, filepath.Join("testdata", name))
}

// TestVercmpVectors runs rpmvercmp test vectors both ways.
func TestVercmpVectors(t *testing.T) {
	for _, tc := range []struct {
		file string
		n    int
	}{
		{"rpm.tsv", 91},
		// Disabled upstream as "oddities", but rpm 4.18 agrees with all of
		// them, and so do we (non-ASCII bytes are separators).
		{"rpm-disabled-oddities.tsv", 12},
		{"claircore-rpmvercmp", 113},
	} {
		t.Run(tc.file, func(t *testing.T) {
			vs := readVectors(t, tc.file)
			if len(vs) != tc.n {
				t.Errorf("read %d vectors, want %d", len(vs), tc.n)
			}
			for _, v := range vs {
				if got := Vercmp(v.Left, v.Right); got != v.Want {
					t.Errorf("%s: Vercmp(%q, %q) = %d, want %d", v.Where, v.Left, v.Right, got, v.Want)
				}
				if got := Vercmp(v.Right, v.Left); got != -v.Want {
					t.Errorf("%s: Vercmp(%q, %q) = %d, want %d (reverse)", v.Where, v.Right, v.Left, got, -v.Want)
				}
			}
		})
	}
}

// TestCompareVectors runs EVR comparisons through Scheme.Parse both ways.
func TestCompareVectors(t *testing.T) {
	versiontest.CheckFiles(t, Scheme{}, map[string]int{
		"rpm.tsv":             91,
		"redhat-versions.txt": 165,
		"claircore-rpmvercmp": 113,
	})
}

func TestParse(t *testing.T) {
	tests := []struct {
		in      string
		want    Version
		wantErr bool
	}{
		{in: "1.0", want: Version{Version: "1.0"}},
		{in: "1.0-1.el9", want: Version{Version: "1.0", Release: "1.el9", HasRelease: true}},
		{in: "2:1.0-1.el9", want: Version{Epoch: "2", Version: "1.0", Release: "1.el9", HasRelease: true}},
		{in: "1:2.3-4-5", want: Version{Epoch: "1", Version: "2.3-4", Release: "5", HasRelease: true}},
		{in: ":1", want: Version{Epoch: "0", Version: "1"}},
		{in: "a:1", want: Version{Version: "a:1"}},
		{in: "1-", want: Version{Version: "1", HasRelease: true}},
		{in: "", wantErr: true},
		{in: "1:", wantErr: true},
		{in: "-1", wantErr: true},
		{in: "1:-1", wantErr: true},
		{in: "1.0 -1", wantErr: true},
		{in: "1.0\n", wantErr: true},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			got, err := Parse(tt.in)
			if (err != nil) != tt.wantErr {
				t.Fatalf("Parse(%q) error = %v, wantErr %v", tt.in, err, tt.wantErr)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tt.in, diff)
			}
			if err == nil && tt.in != ":1" && got.String() != tt.in {
				t.Errorf("String() = %q, want %q", got.String(), tt.in)
			}
		})
	}
}

func FuzzCompare(f *testing.F) {
	for _, name := range []string{"rpm.tsv", "redhat-versions.txt"} {
		for _, v := range readVectors(f, name) {
			f.Add(v.Left, v.Right)
		}
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		c := Vercmp(a, b)
		if r := Vercmp(b, a); r != -c {
			t.Fatalf("Vercmp(%q,%q)=%d but reverse %d", a, b, c, r)
		}
		va, err1 := Parse(a)
		vb, err2 := Parse(b)
		if err1 != nil || err2 != nil {
			return
		}
		if va.Compare(vb) != -vb.Compare(va) {
			t.Fatalf("Compare(%q,%q) not antisymmetric", a, b)
		}
		if va.Compare(va) != 0 {
			t.Fatalf("Compare(%q,%q) != 0", a, a)
		}
	})
}
