// Package nuget implements NuGet package versions as NuGet.Versioning's
// NuGetVersion parses and VersionComparer orders them: SemVer 2.0.0
// extended to four numeric parts ("1.0.0.1"; missing parts are 0, leading
// zeros allowed), a "-" prerelease of "."-separated labels compared
// case-insensitively (numeric labels numerically and before alphanumeric
// ones), and "+" build metadata that does not take part in the order.
package nuget

import (
	"fmt"
	"strings"

	"github.com/customs-scanner/customs/internal/version"
)

// maxLen bounds the input.
const maxLen = 256

// Scheme is the NuGet version scheme. It implements version.Scheme.
type Scheme struct{}

var _ version.Scheme = Scheme{}

// Name returns "nuget".
func (Scheme) Name() string { return "nuget" }

// Parse parses s as a NuGet version.
func (Scheme) Parse(s string) (version.Version, error) {
	v, err := Parse(s)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// Version is a parsed NuGet version.
type Version struct {
	// Parts are the 1 to 4 numeric parts, decimal without leading zeros.
	Parts []string
	// Release holds the prerelease labels.
	Release []string
	// Metadata is the build metadata after "+".
	Metadata string
	raw      string
}

// Parse parses s. Surrounding white space is ignored.
func Parse(s string) (Version, error) {
	if len(s) > maxLen {
		return Version{}, fmt.Errorf("parse nuget version %q...: longer than %d bytes", s[:32], maxLen)
	}
	t := strings.TrimSpace(s)
	v := Version{raw: t}
	rest, meta, hasMeta := strings.Cut(t, "+")
	if hasMeta {
		if err := checkLabels(meta); err != nil {
			return Version{}, fmt.Errorf("parse nuget version %q: build metadata: %w", s, err)
		}
		v.Metadata = meta
	}
	nums, rel, hasRel := strings.Cut(rest, "-")
	if hasRel {
		if err := checkLabels(rel); err != nil {
			return Version{}, fmt.Errorf("parse nuget version %q: prerelease: %w", s, err)
		}
		v.Release = strings.Split(rel, ".")
	}
	parts := strings.Split(nums, ".")
	if len(parts) > 4 {
		return Version{}, fmt.Errorf("parse nuget version %q: more than 4 numeric parts", s)
	}
	for _, p := range parts {
		if !isNum(p) {
			return Version{}, fmt.Errorf("parse nuget version %q: part %q is not a number", s, p)
		}
		v.Parts = append(v.Parts, trimZeros(p))
	}
	return v, nil
}

// checkLabels checks "."-separated non-empty labels of [0-9A-Za-z-].
func checkLabels(s string) error {
	for _, l := range strings.Split(s, ".") {
		if l == "" {
			return fmt.Errorf("empty label in %q", s)
		}
		for i := 0; i < len(l); i++ {
			c := l[i]
			if !(c >= '0' && c <= '9' || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c == '-') {
				return fmt.Errorf("invalid character %q in %q", c, s)
			}
		}
	}
	return nil
}

func isNum(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

func trimZeros(s string) string {
	s = strings.TrimLeft(s, "0")
	if s == "" {
		return "0"
	}
	return s
}

func cmpNum(a, b string) int {
	a, b = trimZeros(a), trimZeros(b)
	if len(a) != len(b) {
		if len(a) < len(b) {
			return -1
		}
		return 1
	}
	return strings.Compare(a, b)
}

// String returns the version as given, without surrounding white space.
func (v Version) String() string { return v.raw }

// IsPrerelease reports whether v has prerelease labels.
func (v Version) IsPrerelease() bool { return len(v.Release) > 0 }

// Compare compares v with o, which must be a nuget Version.
func (v Version) Compare(o version.Version) int { return v.CompareVersion(o.(Version)) }

// CompareVersion orders as NuGet's VersionComparer.Default.
func (v Version) CompareVersion(o Version) int {
	for i := 0; i < 4; i++ {
		a, b := "0", "0"
		if i < len(v.Parts) {
			a = v.Parts[i]
		}
		if i < len(o.Parts) {
			b = o.Parts[i]
		}
		if c := cmpNum(a, b); c != 0 {
			return c
		}
	}
	switch {
	case len(v.Release) == 0 && len(o.Release) == 0:
		return 0
	case len(v.Release) == 0:
		return 1
	case len(o.Release) == 0:
		return -1
	}
	for i := 0; i < len(v.Release) && i < len(o.Release); i++ {
		a, b := v.Release[i], o.Release[i]
		na, nb := isNum(a), isNum(b)
		var c int
		switch {
		case na && nb:
			c = cmpNum(a, b)
		case na:
			c = -1
		case nb:
			c = 1
		default:
			c = strings.Compare(strings.ToLower(a), strings.ToLower(b))
		}
		if c != 0 {
			return c
		}
	}
	switch {
	case len(v.Release) < len(o.Release):
		return -1
	case len(v.Release) > len(o.Release):
		return 1
	}
	return 0
}

// Compare parses and compares two version strings.
func Compare(a, b string) (int, error) {
	va, err := Parse(a)
	if err != nil {
		return 0, err
	}
	vb, err := Parse(b)
	if err != nil {
		return 0, err
	}
	return va.CompareVersion(vb), nil
}
