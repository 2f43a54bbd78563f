package version_test

import (
	"testing"

	"github.com/customs-scanner/customs/internal/version"
	"github.com/customs-scanner/customs/internal/version/apk"
	"github.com/customs-scanner/customs/internal/version/dpkg"
	"github.com/customs-scanner/customs/internal/version/rpm"
)

// TestConstraint checks ranges in each scheme's own order: dpkg's ~ sorts
// before the end of the string, apk's -r revisions numerically.
func TestConstraint(t *testing.T) {
	for _, tc := range []struct {
		scheme version.Scheme
		rng, v string
		want   bool
	}{
		{dpkg.Scheme{}, "<3.0.15", "3.0.15~rc1-1", true},
		{dpkg.Scheme{}, "<3.0.15", "3.0.15-1~deb12u1", false},
		{dpkg.Scheme{}, "<3.0.15-1", "3.0.15-1~deb12u1", true},
		{dpkg.Scheme{}, "<3.0.15", "1:2.0-1", false}, // the epoch wins
		{dpkg.Scheme{}, ">=1.2,<2", "1.10", true},
		{dpkg.Scheme{}, ">=1.2, <2.0", "2.0~beta", true},
		{dpkg.Scheme{}, ">=1.2,<2", "2.0~beta", false}, // 2 sorts before 2.0
		{apk.Scheme{}, "<3.0.15-r1", "3.0.15-r0", true},
		{apk.Scheme{}, "<1.1.1d-r0", "1.1.1c-r0", true},
		{apk.Scheme{}, "=1.2.3-r10", "1.2.3-r10", true},
		{apk.Scheme{}, ">1.2.3-r9", "1.2.3-r10", true}, // numerically, not as text
		{rpm.Scheme{}, "!=1:1.1.1k-12", "1:1.1.1k-12", false},
		{rpm.Scheme{}, "1.0", "1.0", true},
	} {
		c, err := version.ParseConstraint(tc.rng)
		if err != nil {
			t.Fatalf("ParseConstraint(%q): %v", tc.rng, err)
		}
		got, err := c.Contains(tc.scheme, tc.v)
		if err != nil || got != tc.want {
			t.Errorf("%s %q contains %q = %v, %v; want %v", tc.scheme.Name(), tc.rng, tc.v, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "<", "<3,", "<<3", "> =3", "1 2"} {
		if c, err := version.ParseConstraint(bad); err == nil {
			t.Errorf("ParseConstraint(%q) = %v, want an error", bad, c)
		}
	}
	c, _ := version.ParseConstraint("<x:y")
	if _, err := c.Contains(dpkg.Scheme{}, "1.0"); err == nil {
		t.Error("a bound dpkg cannot parse gave no error")
	}
}

func TestUpstream(t *testing.T) {
	for _, tc := range []struct {
		scheme version.Scheme
		v      string
		want   string
	}{
		{dpkg.Scheme{}, "3.0.15-1~deb12u1", "3.0.15"},
		{dpkg.Scheme{}, "1:3.0.15-1", "3.0.15"},
		{dpkg.Scheme{}, "2.36", "2.36"},
		{apk.Scheme{}, "3.0.15-r0", "3.0.15"},
		{apk.Scheme{}, "1.1.1k-r12", "1.1.1k"},
		{apk.Scheme{}, "2.0_rc1", "2.0_rc1"},
		{rpm.Scheme{}, "1:1.1.1k-12.el8", "1.1.1k"},
	} {
		if got := version.Upstream(tc.scheme, tc.v); got != tc.want {
			t.Errorf("%s Upstream(%q) = %q, want %q", tc.scheme.Name(), tc.v, got, tc.want)
		}
	}
}
