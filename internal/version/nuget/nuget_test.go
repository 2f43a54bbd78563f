package nuget

import (
	"strings"
	"testing"

	"github.com/customs-scanner/customs/internal/version/versiontest"
)

func TestCompareVectors(t *testing.T) {
	versiontest.CheckFiles(t, Scheme{}, map[string]int{"nuget-versions.txt": 35})
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
	versiontest.Fuzz(f, Scheme{}, "1.0", "1.0", "1.0.0.1-1.2.A+A", "1.0.0-BETA.X.y.5.77.0+AA", "2.0.0-preview1")
}
