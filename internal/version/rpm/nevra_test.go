package rpm

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/version/versiontest"
)

func TestNEVRACompareVectors(t *testing.T) {
	vs := readVectors(t, "claircore-compare")
	if len(vs) != 12 {
		t.Errorf("read %d vectors, want 12", len(vs))
	}
	for _, v := range vs {
		a, err := ParseNEVRA(v.Left)
		if err != nil {
			t.Errorf("%s: ParseNEVRA(%q): %v", v.Where, v.Left, err)
			continue
		}
		b, err := ParseNEVRA(v.Right)
		if err != nil {
			t.Errorf("%s: ParseNEVRA(%q): %v", v.Where, v.Right, err)
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

// TestNEVRAParseVectors runs claircore's parse vectors: "in n e v r a",
// with ” for an absent part.
func TestNEVRAParseVectors(t *testing.T) {
	n := 0
	versiontest.EachLine(t, filepath.Join("testdata", "claircore-parse"), func(where, line string) {
		n++
		f := strings.Fields(line)
		if len(f) != 6 {
			t.Fatalf("%s: want 6 fields, got %q", where, line)
		}
		for i := range f {
			if f[i] == "''" || f[i] == `""` {
				f[i] = ""
			}
		}
		want := NEVRA{Name: f[1], EVR: Version{Epoch: f[2], Version: f[3], Release: f[4], HasRelease: true}, Arch: f[5]}
		got, err := ParseNEVRA(f[0])
		if err != nil {
			t.Errorf("%s: ParseNEVRA(%q): %v", where, f[0], err)
			return
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: ParseNEVRA(%q) (-want +got):\n%s", where, f[0], diff)
		}
		if got.String() != f[0] {
			t.Errorf("%s: String() = %q", where, got.String())
		}
	})
	if n != 4 {
		t.Errorf("read %d vectors, want 4", n)
	}
	for _, bad := range []string{"", "1.0", "-1-2", "a-b-:-1"} {
		if _, err := ParseNEVRA(bad); err == nil {
			t.Errorf("ParseNEVRA(%q): no error", bad)
		}
	}
}
