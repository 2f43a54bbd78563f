// Package pub implements the version ordering of Dart packages (OSV
// ecosystem "Pub"), as Dart's pub_semver orders them: Semantic Versioning
// 2.0.0 (https://semver.org/#spec-item-11) except that build metadata
// counts. A version with build metadata sorts after the same version
// without ("1.0.0 < 1.0.0+1"), and builds compare as prereleases do: dot
// separated identifiers, numeric ones numerically and below alphanumeric
// ones, alphanumeric ones in ASCII order, a missing identifier first.
//
// Parsing is as lenient as OSV's ordering of Pub versions (osv-scalibr
// semantic): a leading "v", fewer than three components ("1.3" = 1.3.0),
// numbers of any size, and components after the third taken as build
// identifiers. pubspec.lock versions are strict, which this accepts
// unchanged.
package pub

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/customs-scanner/customs/internal/version"
)

// maxLen bounds the input.
const maxLen = 256

// Scheme is the Pub version scheme. It implements version.Scheme.
type Scheme struct{}

var _ version.Scheme = Scheme{}

// Name returns "pub".
func (Scheme) Name() string { return "pub" }

// Parse parses a Dart package version; see Parse.
func (Scheme) Parse(s string) (version.Version, error) {
	return Parse(s)
}

// Version is a parsed Pub version.
type Version struct {
	str string
	// core holds major, minor, patch as decimal strings without leading zeros.
	core       [3]string
	pre, build []string
}

// Parse parses s. Errors name what is wrong: an empty or non-numeric
// component, an empty identifier or a character SemVer does not allow.
func Parse(s string) (Version, error) {
	if len(s) > maxLen {
		return Version{}, fmt.Errorf("parse pub version %q...: longer than %d bytes", s[:32], maxLen)
	}
	in := strings.TrimSpace(s)
	v := Version{str: in}
	rest := strings.TrimPrefix(in, "v")
	rest, build, hasBuild := strings.Cut(rest, "+")
	rest, pre, hasPre := strings.Cut(rest, "-")
	if rest == "" {
		return Version{}, fmt.Errorf("parse pub version %q: empty", s)
	}
	parts := strings.Split(rest, ".")
	for i, p := range parts {
		if !version.IsNumber(p) {
			return Version{}, fmt.Errorf("parse pub version %q: component %d %q is not a number", s, i+1, p)
		}
		if i < 3 {
			v.core[i] = version.TrimZeros(p)
		} else {
			v.build = append(v.build, p) // "1.1.3.4.5": 4.5 is build metadata
		}
	}
	for i := len(parts); i < 3; i++ {
		v.core[i] = "0"
	}
	var err error
	if hasPre {
		if v.pre, err = idents(s, "prerelease", pre); err != nil {
			return Version{}, err
		}
	}
	if hasBuild {
		b, err := idents(s, "build", build)
		if err != nil {
			return Version{}, err
		}
		v.build = append(v.build, b...)
	}
	return v, nil
}

// idents splits a prerelease or build string into its identifiers.
func idents(s, what, list string) ([]string, error) {
	ids := strings.Split(list, ".")
	for _, id := range ids {
		if id == "" {
			return nil, fmt.Errorf("parse pub version %q: empty %s identifier", s, what)
		}
		for j := 0; j < len(id); j++ {
			if c := id[j]; !isDigit(c) && !isAlpha(c) && c != '-' {
				return nil, fmt.Errorf("parse pub version %q: character %q in %s", s, c, what)
			}
		}
	}
	return ids, nil
}

// String returns the version as written.
func (v Version) String() string { return v.str }

// Compare compares v with o, which must be a pub Version; it returns -1, 0
// or +1. Comparing with a version of another scheme panics.
func (v Version) Compare(o version.Version) int {
	w := o.(Version)
	for i := range v.core {
		if c := version.CompareNumber(v.core[i], w.core[i]); c != 0 {
			return c
		}
	}
	// A prerelease sorts before the release; build metadata after it.
	if c := cmpPresence(len(w.pre) > 0, len(v.pre) > 0); c != 0 {
		return c
	}
	if c := cmpIdents(v.pre, w.pre); c != 0 {
		return c
	}
	if c := cmpPresence(len(v.build) > 0, len(w.build) > 0); c != 0 {
		return c
	}
	return cmpIdents(v.build, w.build)
}

// cmpPresence orders false before true.
func cmpPresence(a, b bool) int {
	switch {
	case a == b:
		return 0
	case a:
		return 1
	}
	return -1
}

// cmpIdents compares identifier lists one by one, a missing identifier
// first.
func cmpIdents(a, b []string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		if c := version.CompareIdent(a[i], b[i]); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(a), len(b))
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
