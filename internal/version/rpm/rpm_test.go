package rpm

import (
	"bufio"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// vector is one "left op right" comparison from a vector file.
type vector struct {
	where       string
	left, right string
	want        int
}

func opValue(t testing.TB, where, op string) int {
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

// readVectors reads "left op right" rows, tab-separated (version-vectors
// *.tsv, with a trailing source column) or space-separated (claircore,
// osv-scalibr).
func readVectors(t testing.TB, name string) []vector {
	t.Helper()
	var out []vector
	eachLine(t, name, func(where, line string) {
		var fs []string
		if strings.HasSuffix(name, ".tsv") {
			fs = strings.Split(line, "\t")
		} else {
			fs = strings.Fields(line)
			if len(fs) != 3 {
				t.Fatalf("%s: want 3 fields, got %q", where, line)
			}
		}
		if len(fs) < 3 {
			t.Fatalf("%s: want at least 3 fields, got %q", where, line)
		}
		out = append(out, vector{where, fs[0], fs[2], opValue(t, where, fs[1])})
	})
	return out
}

// eachLine calls fn for each line of a testdata file that is not blank or
// a comment.
func eachLine(t testing.TB, name string, fn func(where, line string)) {
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
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") {
			continue
		}
		fn(fmt.Sprintf("%s:%d", name, n), line)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
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
				if got := Vercmp(v.left, v.right); got != v.want {
					t.Errorf("%s: Vercmp(%q, %q) = %d, want %d", v.where, v.left, v.right, got, v.want)
				}
				if got := Vercmp(v.right, v.left); got != -v.want {
					t.Errorf("%s: Vercmp(%q, %q) = %d, want %d (reverse)", v.where, v.right, v.left, got, -v.want)
				}
			}
		})
	}
}

// TestCompareVectors runs EVR comparisons through Scheme.Parse both ways.
func TestCompareVectors(t *testing.T) {
	for _, tc := range []struct {
		file string
		n    int
	}{
		{"rpm.tsv", 91},
		{"redhat-versions.txt", 165},
		{"claircore-rpmvercmp", 113},
	} {
		t.Run(tc.file, func(t *testing.T) {
			vs := readVectors(t, tc.file)
			if len(vs) != tc.n {
				t.Errorf("read %d vectors, want %d", len(vs), tc.n)
			}
			var s Scheme
			for _, v := range vs {
				a, err := s.Parse(v.left)
				if err != nil {
					t.Errorf("%s: Parse(%q): %v", v.where, v.left, err)
					continue
				}
				b, err := s.Parse(v.right)
				if err != nil {
					t.Errorf("%s: Parse(%q): %v", v.where, v.right, err)
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
			f.Add(v.left, v.right)
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
