// Package cargo implements the version ordering of Rust crates (OSV
// ecosystem "crates.io"): Semantic Versioning 2.0.0 precedence
// (https://semver.org/#spec-item-11), as the semver crate Cargo uses.
//
// Parsing is as lenient as OSV's SEMVER evaluation (osv-scalibr
// semantic/version-semver.go) so every version an advisory may name
// parses: a leading "v", fewer than three components ("1.3" = 1.3.0),
// numbers of any size, and components after the third treated as build
// metadata. Crate versions in Cargo.lock are always strict semver, which
// this accepts unchanged.
package cargo

import (
	"cmp"
	"fmt"
	"strings"

	"github.com/customs-scanner/customs/internal/version"
)

// Scheme is the crates.io version scheme. It implements version.Scheme.
type Scheme struct{}

var _ version.Scheme = Scheme{}

// Name returns "cargo".
func (Scheme) Name() string { return "cargo" }

// Parse parses a crate version; see Parse.
func (Scheme) Parse(s string) (version.Version, error) {
	return Parse(s)
}

// Version is a parsed semantic version. Build metadata is kept in String
// but ignored by Compare, as semver 2.0 says.
type Version struct {
	str string
	// core holds major, minor, patch as decimal strings without leading zeros.
	core [3]string
	pre  []string
}

// Parse parses s. Errors name what is wrong: an empty or non-numeric
// component, an empty prerelease identifier or a character semver does not
// allow.
func Parse(s string) (Version, error) {
	in := strings.TrimSpace(s)
	v := Version{str: in}
	rest := strings.TrimPrefix(in, "v")
	rest, _, _ = strings.Cut(rest, "+") // build metadata: ignored
	rest, pre, hasPre := strings.Cut(rest, "-")
	if rest == "" {
		return Version{}, fmt.Errorf("parse crate version %q: empty", s)
	}
	parts := strings.Split(rest, ".")
	for i, p := range parts {
		if !version.IsNumber(p) {
			return Version{}, fmt.Errorf("parse crate version %q: component %d %q is not a number", s, i+1, p)
		}
		if i < 3 {
			v.core[i] = version.TrimZeros(p)
		}
		// Components after the third are build metadata to OSV.
	}
	for i := len(parts); i < 3; i++ {
		v.core[i] = "0"
	}
	if hasPre {
		if len(parts) > 3 {
			// "1.2.3.4-pre": the prerelease follows build metadata; ignored too.
			return v, nil
		}
		for _, id := range strings.Split(pre, ".") {
			if id == "" {
				return Version{}, fmt.Errorf("parse crate version %q: empty prerelease identifier", s)
			}
			for j := 0; j < len(id); j++ {
				if c := id[j]; !isDigit(c) && !isAlpha(c) && c != '-' {
					return Version{}, fmt.Errorf("parse crate version %q: character %q in prerelease", s, c)
				}
			}
			v.pre = append(v.pre, id)
		}
	}
	return v, nil
}

// String returns the version as written.
func (v Version) String() string { return v.str }

// Compare compares v with o, which must be a cargo Version; it returns -1,
// 0 or +1. Comparing with a version of another scheme panics.
func (v Version) Compare(o version.Version) int {
	w := o.(Version)
	for i := range v.core {
		if c := version.CompareNumber(v.core[i], w.core[i]); c != 0 {
			return c
		}
	}
	// A version without prerelease is greater than one with.
	switch {
	case len(v.pre) == 0 && len(w.pre) == 0:
		return 0
	case len(v.pre) == 0:
		return 1
	case len(w.pre) == 0:
		return -1
	}
	for i := 0; i < len(v.pre) && i < len(w.pre); i++ {
		if c := version.CompareIdent(v.pre[i], w.pre[i]); c != 0 {
			return c
		}
	}
	return cmp.Compare(len(v.pre), len(w.pre))
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
