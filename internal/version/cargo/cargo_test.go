package cargo

import (
	"bufio"
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

func readVectors(t *testing.T, name string, split func(string) []string) []vector {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	var out []vector
	sc := bufio.NewScanner(f)
	n := 0
	for sc.Scan() {
		n++
		line := sc.Text()
		if strings.TrimSpace(line) == "" || strings.HasPrefix(line, "#") || strings.HasPrefix(line, "//") {
			continue
		}
		fl := split(line)
		if len(fl) < 3 {
			t.Fatalf("%s:%d: want 3 fields, got %q", name, n, line)
		}
		op, ok := map[string]int{"<": -1, "=": 0, ">": 1}[fl[1]]
		if !ok {
			t.Fatalf("%s:%d: unknown op %q", name, n, fl[1])
		}
		out = append(out, vector{fmt.Sprintf("%s:%d", name, n), fl[0], fl[2], op})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}

func TestCompareVectors(t *testing.T) {
	files := map[string][]vector{
		"masterminds-semver.tsv": readVectors(t, "masterminds-semver.tsv", func(s string) []string { return strings.Split(s, "\t") }),
		"semver-versions.txt":    readVectors(t, "semver-versions.txt", strings.Fields),
	}
	wantCount := map[string]int{"masterminds-semver.tsv": 19, "semver-versions.txt": 86}
	var s Scheme
	for name, vs := range files {
		t.Run(name, func(t *testing.T) {
			if len(vs) != wantCount[name] {
				t.Errorf("read %d vectors, want %d", len(vs), wantCount[name])
			}
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
		core    [3]string
		pre     []string
		wantErr string
	}{
		{in: "1.2.3", core: [3]string{"1", "2", "3"}},
		{in: "v0.10.0-rc.01+build.5", core: [3]string{"0", "10", "0"}, pre: []string{"rc", "01"}},
		{in: "1.3", core: [3]string{"1", "3", "0"}},
		{in: "0.3.0-alpha-1", core: [3]string{"0", "3", "0"}, pre: []string{"alpha-1"}},
		{in: "1.1.3.4.5", core: [3]string{"1", "1", "3"}},
		{in: "", wantErr: "empty"},
		{in: "1.x.3", wantErr: `component 2 "x" is not a number`},
		{in: "1..3", wantErr: `component 2 "" is not a number`},
		{in: "1.2.3-", wantErr: "empty prerelease identifier"},
		{in: "1.2.3-a..b", wantErr: "empty prerelease identifier"},
		{in: "1.2.3-a_b", wantErr: "character '_' in prerelease"},
		{in: "*", wantErr: "not a number"},
	}
	for _, tt := range tests {
		t.Run(tt.in, func(t *testing.T) {
			v, err := Parse(tt.in)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tt.wantErr) {
					t.Fatalf("Parse(%q) error = %v, want it to contain %q", tt.in, err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			got := struct {
				Core [3]string
				Pre  []string
			}{v.core, v.pre}
			want := struct {
				Core [3]string
				Pre  []string
			}{tt.core, tt.pre}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("Parse(%q) (-want +got):\n%s", tt.in, diff)
			}
			if v.String() != tt.in {
				t.Errorf("String() = %q", v.String())
			}
		})
	}
}

func FuzzParse(f *testing.F) {
	for _, s := range []string{"1.2.3", "1.0.0-beta.-2", "v1.2.3-rc.1+b", "1.3", "1.1.3.4.5", "bad"} {
		f.Add(s, "1.0.0-alpha")
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
