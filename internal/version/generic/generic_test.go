package generic

import (
	"strings"
	"testing"

	"github.com/customs-scanner/customs/internal/version/versiontest"
)

func TestVectors(t *testing.T) {
	versiontest.CheckFiles(t, Scheme{}, map[string]int{"generic.tsv": 52})
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
	versiontest.Fuzz(f, Scheme{}, "16", "1.1.1w", "3.0.0-alpha1", "16beta1", "1.8.0_392", "17.0.9+9")
}
