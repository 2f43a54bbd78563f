package rubygems

import (
	"strings"
	"testing"

	"github.com/customs-scanner/customs/internal/version/versiontest"
)

func TestCompareVectors(t *testing.T) {
	versiontest.CheckFiles(t, Scheme{}, map[string]int{
		"rubygems-versions.txt":           25,
		"rubygems-versions-generated.txt": 4098,
	})
}

// TestGemVersion holds cases from rubygems test/rubygems/test_gem_version.rb.
func TestGemVersion(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0.0", 0},
		{"1.0", "1.0.a", 1},
		{"1.8.2", "0.0.0", 1},
		{"1.8.2", "1.8.2.a", 1},
		{"1.8.2.b", "1.8.2.a", 1},
		{"1.8.2.a10", "1.8.2.a9", 1},
		{"", "0", 0},
		{"0.beta.1", "0.0.beta.1", 0},
		{"0.0.beta", "0.0.beta.1", -1},
		{"5.a", "5.0.0.rc2", -1},
		{"5.x", "5.0.0.rc2", 1},
		{"1.9.3", "1.9.3-p1", 1}, // "-" is ".pre."
		{"1.0.0-rc1", "1.0.0.pre.rc1", 0},
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
	for _, bad := range []string{"junk", "1.0\n2.0", "1..2", "1.2\\ 3.4", "2.3422222.222.222222222.22222.ads0as.dasd0.ddd2222.2.qd3e.", "-1", strings.Repeat("1.", 200)} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q): want error", bad)
		}
	}
}

func FuzzParse(f *testing.F) {
	versiontest.Fuzz(f, Scheme{}, "1.0", "1.0", "1.8.2.a10", "1.0.0-rc1", " 3.2 ", "0.beta.1")
}
