// Package npm implements the version and range rules of the npm registry,
// ported from node-semver 7.6.1 (the library npm itself uses):
// classes/semver.js for parsing and ordering, classes/range.js and
// classes/comparator.js for ranges.
//
// Versions are ordered by major, minor and patch, then a version without a
// prerelease sorts after one with a prerelease, prerelease identifiers are
// compared one by one (numeric identifiers numerically and before
// alphanumeric ones, which compare as ASCII strings), and build metadata is
// ignored. A range such as "^1.2.3 || >=2.0.0-rc.1 <3" excludes prerelease
// versions unless one of its comparators names a prerelease of the same
// major.minor.patch (or Options.IncludePrerelease is set).
package npm

import (
	"errors"
	"fmt"
	"strconv"
	"strings"

	"github.com/customs-scanner/customs/internal/version"
)

// Options are node-semver's parse options.
type Options struct {
	// Loose accepts what node-semver's loose mode accepts: any run of "v",
	// "=" and blanks before the version, leading zeros, and a prerelease
	// without its "-" ("1.2.3beta").
	Loose bool
	// IncludePrerelease makes ranges match prerelease versions as if they
	// were ordinary ones.
	IncludePrerelease bool
}

// Scheme is the npm version scheme. It implements version.Scheme. It parses
// as node-semver does with default options: surrounding blanks and one
// leading "v" are accepted; "=1.2.3" and "1.2" are not versions.
type Scheme struct{}

var _ version.Scheme = Scheme{}

// Name returns "npm".
func (Scheme) Name() string { return "npm" }

// Parse parses s with default (strict) options.
func (Scheme) Parse(s string) (version.Version, error) {
	v, err := Parse(s, Options{})
	if err != nil {
		return nil, err
	}
	return v, nil
}

// Version is a parsed node-semver version.
type Version struct {
	Major, Minor, Patch uint64
	// Prerelease holds the dot-separated prerelease identifiers.
	Prerelease []string
	// Build holds the build metadata identifiers; they play no part in
	// ordering.
	Build []string
}

// ErrInvalid is wrapped by every parse error.
var ErrInvalid = errors.New("invalid npm semver")

// Parse parses s as new SemVer(s, opts) does.
func Parse(s string, opts Options) (Version, error) {
	if len(s) > maxLength {
		return Version{}, fmt.Errorf("parse %q: %w: longer than %d characters", s[:32]+"...", ErrInvalid, maxLength)
	}
	re := rx().reFull
	if opts.Loose {
		re = rx().reLoose
	}
	m := re.FindStringSubmatch(strings.TrimSpace(s))
	if m == nil {
		return Version{}, fmt.Errorf("parse %q: %w", s, ErrInvalid)
	}
	var v Version
	for i, dst := range []*uint64{&v.Major, &v.Minor, &v.Patch} {
		n, err := strconv.ParseUint(m[i+1], 10, 64)
		if err != nil || n > maxSafeInteger {
			return Version{}, fmt.Errorf("parse %q: %w: number too large", s, ErrInvalid)
		}
		*dst = n
	}
	if m[4] != "" {
		v.Prerelease = strings.Split(m[4], ".")
	}
	if m[5] != "" {
		v.Build = strings.Split(m[5], ".")
	}
	return v, nil
}

// String formats v without build metadata, as node-semver's version field.
func (v Version) String() string {
	s := fmt.Sprintf("%d.%d.%d", v.Major, v.Minor, v.Patch)
	if len(v.Prerelease) > 0 {
		s += "-" + strings.Join(v.Prerelease, ".")
	}
	return s
}

// Compare returns -1, 0 or +1 as v is less than, equal to or greater than
// o, which must be an npm Version.
func (v Version) Compare(o version.Version) int {
	return v.Cmp(o.(Version))
}

// Cmp compares two versions (compareMain, then comparePre).
func (v Version) Cmp(o Version) int {
	for _, p := range [][2]uint64{{v.Major, o.Major}, {v.Minor, o.Minor}, {v.Patch, o.Patch}} {
		switch {
		case p[0] < p[1]:
			return -1
		case p[0] > p[1]:
			return 1
		}
	}
	a, b := v.Prerelease, o.Prerelease
	switch {
	case len(a) > 0 && len(b) == 0:
		return -1
	case len(a) == 0 && len(b) > 0:
		return 1
	}
	for i := 0; ; i++ {
		switch {
		case i >= len(a) && i >= len(b):
			return 0
		case i >= len(b):
			return 1
		case i >= len(a):
			return -1
		}
		// node-semver orders identifiers as SemVer does.
		if c := version.CompareIdent(a[i], b[i]); c != 0 {
			return c
		}
	}
}
