// Package versiontest runs version-comparison vectors against a scheme:
// the files in testdata are the upstream tools' own test vectors (see
// ../shared/data/version-vectors), one "left op right" row a line.
package versiontest

import (
	"bufio"
	"fmt"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"github.com/customs-scanner/customs/internal/version"
)

// Vector is one row: Left compares to Right as Want (-1, 0, +1).
type Vector struct {
	Where       string
	Left, Right string
	Want        int
}

var ops = map[string]int{"<": -1, "=": 0, "==": 0, ">": 1}

// EachLine calls fn for each line of the file at path that is not blank or
// a # or // comment; where is "path:line".
func EachLine(t testing.TB, path string, fn func(where, line string)) {
	t.Helper()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for n := 1; sc.Scan(); n++ {
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "//") {
			continue
		}
		fn(fmt.Sprintf("%s:%d", path, n), line)
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
}

// ReadSpaced reads rows of whitespace-separated "left op right" (the
// osv-scalibr semantic testdata format), skipping blank lines and # or //
// comments.
func ReadSpaced(t testing.TB, path string) []Vector {
	t.Helper()
	var out []Vector
	EachLine(t, path, func(where, line string) {
		fs := strings.Fields(line)
		if len(fs) != 3 {
			t.Fatalf("%s: want 3 fields, got %q", where, line)
		}
		out = append(out, vector(t, where, fs))
	})
	return out
}

// ReadTSV reads rows of tab-separated "left op right", any further
// columns naming the source (the version-vectors *.tsv format), skipping
// blank lines and # or // comments.
func ReadTSV(t testing.TB, path string) []Vector {
	t.Helper()
	var out []Vector
	EachLine(t, path, func(where, line string) {
		fs := strings.Split(line, "\t")
		if len(fs) < 3 {
			t.Fatalf("%s: want at least 3 tab-separated fields, got %q", where, line)
		}
		out = append(out, vector(t, where, fs))
	})
	return out
}

func vector(t testing.TB, where string, fs []string) Vector {
	t.Helper()
	w, ok := ops[fs[1]]
	if !ok {
		t.Fatalf("%s: unknown op %q", where, fs[1])
	}
	return Vector{where, fs[0], fs[2], w}
}

// Check parses both sides of every vector with s and checks the comparison
// in both directions.
func Check(t *testing.T, s version.Scheme, vs []Vector) {
	t.Helper()
	for _, v := range vs {
		a, err := s.Parse(v.Left)
		if err != nil {
			t.Errorf("%s: %v", v.Where, err)
			continue
		}
		b, err := s.Parse(v.Right)
		if err != nil {
			t.Errorf("%s: %v", v.Where, err)
			continue
		}
		if got := a.Compare(b); got != v.Want {
			t.Errorf("%s: Compare(%q, %q) = %d, want %d", v.Where, v.Left, v.Right, got, v.Want)
		}
		if got := b.Compare(a); got != -v.Want {
			t.Errorf("%s: Compare(%q, %q) = %d, want %d (reverse)", v.Where, v.Right, v.Left, got, -v.Want)
		}
	}
}

// CheckFiles runs Check on each vector file under testdata, one subtest
// per file: *.tsv files are read with ReadTSV, others with ReadSpaced.
// rows maps each file name to the number of vectors it must hold.
func CheckFiles(t *testing.T, s version.Scheme, rows map[string]int) {
	t.Helper()
	for _, name := range slices.Sorted(maps.Keys(rows)) {
		t.Run(name, func(t *testing.T) {
			var vs []Vector
			if p := filepath.Join("testdata", name); strings.HasSuffix(name, ".tsv") {
				vs = ReadTSV(t, p)
			} else {
				vs = ReadSpaced(t, p)
			}
			if len(vs) != rows[name] {
				t.Errorf("read %d vectors, want %d", len(vs), rows[name])
			}
			Check(t, s, vs)
		})
	}
}

// Fuzz is the fuzz target every scheme shares: seeded with each of seeds
// against against, it checks that a version s parses equals itself and
// that Compare is antisymmetric. Strings s rejects are skipped.
func Fuzz(f *testing.F, s version.Scheme, against string, seeds ...string) {
	for _, seed := range seeds {
		f.Add(seed, against)
	}
	f.Fuzz(func(t *testing.T, a, b string) {
		va, err := s.Parse(a)
		if err != nil {
			return
		}
		if va.Compare(va) != 0 {
			t.Errorf("%q != itself", a)
		}
		vb, err := s.Parse(b)
		if err != nil {
			return
		}
		if ab, ba := va.Compare(vb), vb.Compare(va); ab != -ba {
			t.Errorf("Compare(%q, %q) = %d, reverse %d: not antisymmetric", a, b, ab, ba)
		}
	})
}
