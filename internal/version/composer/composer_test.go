package composer

import (
	"strings"
	"testing"

	"github.com/customs-scanner/customs/internal/version/versiontest"
)

func TestCompareVectors(t *testing.T) {
	versiontest.CheckFiles(t, Scheme{}, map[string]int{
		"packagist-versions.txt":           95,
		"packagist-versions-generated.txt": 10630,
	})
}

// TestPHP holds cases from php-src ext/standard/tests/versioning/version_compare.phpt
// and Composer-style versions.
func TestPHP(t *testing.T) {
	tests := []struct {
		a, b string
		want int
	}{
		{"1.0", "1.0.0", -1},
		{"1.0-dev", "1.0", -1},
		{"1.0.0-alpha", "1.0.0-beta", -1},
		{"1.0.0-RC1", "1.0.0", -1},
		{"1.0.0", "1.0.0-patch1", -1},
		{"1.0.0-p1", "1.0.0-pl1", 0},
		{"v2.3.4", "2.3.4", 0},
		{"1.0.0-foo", "1.0.0-dev", -1},
		{"1.", "1", 0},
		{".5", "0.5", -1},
		{"dev-master", "dev-main", 0},
		{"1.2.3.4", "1.2.3", 1},
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
	for _, bad := range []string{"", "  ", "v", "1.0\x00", "1 0", strings.Repeat("1.", 200)} {
		if _, err := Parse(bad); err == nil {
			t.Errorf("Parse(%q): want error", bad)
		}
	}
}

func FuzzParse(f *testing.F) {
	versiontest.Fuzz(f, Scheme{}, "1.0", "1.0", "v1.0pl1", "4.3-2RC1", "1.0.0-beta.x.y", ".5", "#N#", "1.0-dev")
}
