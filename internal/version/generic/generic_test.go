package generic

import (
	"bufio"
	"fmt"
	"os"
	"strings"
	"testing"
)

func TestVectors(t *testing.T) {
	f, err := os.Open("testdata/generic.tsv")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	ops := map[string]int{"<": -1, "=": 0, ">": 1}
	sc := bufio.NewScanner(f)
	n := 0
	for line := 1; sc.Scan(); line++ {
		text := sc.Text()
		if text == "" || strings.HasPrefix(text, "#") {
			continue
		}
		fields := strings.Split(text, "\t")
		if len(fields) < 3 {
			t.Fatalf("line %d: want 3 fields, got %q", line, text)
		}
		want, ok := ops[fields[1]]
		if !ok {
			t.Fatalf("line %d: unknown op %q", line, fields[1])
		}
		n++
		t.Run(fmt.Sprintf("%d:%s%s%s", line, fields[0], fields[1], fields[2]), func(t *testing.T) {
			got, err := Compare(fields[0], fields[2])
			if err != nil {
				t.Fatal(err)
			}
			if got != want {
				t.Errorf("Compare(%q, %q) = %d, want %d", fields[0], fields[2], got, want)
			}
			back, err := Compare(fields[2], fields[0])
			if err != nil {
				t.Fatal(err)
			}
			if back != -want {
				t.Errorf("Compare(%q, %q) = %d, want %d", fields[2], fields[0], back, -want)
			}
		})
	}
	if err := sc.Err(); err != nil {
		t.Fatal(err)
	}
	if n < 40 {
		t.Fatalf("read %d vectors, want at least 40", n)
	}
}

func TestParseErrors(t *testing.T) {
	for _, s := range []string{"", "   ", "v", "abc", "-1.0", "1.0 beta", "1.0/2", "1:2.0", strings.Repeat("1.", 100)} {
		t.Run(s, func(t *testing.T) {
			if _, err := Parse(s); err == nil {
				t.Errorf("Parse(%q): no error", s)
			}
		})
	}
}

func TestString(t *testing.T) {
	v, err := Scheme{}.Parse(" 1.1.1w ")
	if err != nil {
		t.Fatal(err)
	}
	if v.String() != "1.1.1w" {
		t.Errorf("String() = %q, want %q", v.String(), "1.1.1w")
	}
	if (Scheme{}).Name() != "generic" {
		t.Errorf("Name() = %q", Scheme{}.Name())
	}
}

// FuzzCompare checks that parsing never panics and that comparison is
// antisymmetric and reflexive.
func FuzzCompare(f *testing.F) {
	f.Add("1.1.1w", "3.0.0-alpha1")
	f.Add("16beta1", "16")
	f.Add("1.8.0_392", "17.0.9+9")
	f.Fuzz(func(t *testing.T, a, b string) {
		va, err := Parse(a)
		if err != nil {
			return
		}
		vb, err := Parse(b)
		if err != nil {
			return
		}
		if va.Compare(va) != 0 {
			t.Fatalf("%q != itself", a)
		}
		if va.Compare(vb) != -vb.Compare(va) {
			t.Fatalf("Compare(%q, %q) not antisymmetric", a, b)
		}
	})
}
