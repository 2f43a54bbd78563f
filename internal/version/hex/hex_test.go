package hex

import (
	"strings"
	"testing"

	"github.com/customs-scanner/customs/internal/version/versiontest"
)

func TestCompareVectors(t *testing.T) {
	versiontest.CheckFiles(t, Scheme{}, map[string]int{"semver-versions.txt": 86})
}

func TestParseError(t *testing.T) {
	for _, in := range []string{"", "1.x.3", "1.2.3-a..b", "~> 1.0"} {
		if _, err := (Scheme{}).Parse(in); err == nil || !strings.HasPrefix(err.Error(), "hex: ") {
			t.Errorf("Parse(%q) error = %v, want one starting \"hex: \"", in, err)
		}
	}
}

func FuzzParse(f *testing.F) {
	versiontest.Fuzz(f, Scheme{}, "1.14.0", "1.14.0", "2.0.0-rc.1", "0.1.18+build", "v1.2")
}
