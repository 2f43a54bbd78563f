// Package gosemver implements Go module version ordering: semantic
// versioning with a "v" prefix, as golang.org/x/mod/semver (the reference
// implementation the go command uses) defines it. Pseudo-versions
// (v0.0.0-20240102150405-abcdef123456) are prereleases and order by their
// timestamp; "+incompatible" is build metadata and does not affect order.
//
// Go vulnerability data (OSV ecosystem "Go") writes versions without the
// "v" prefix ("1.20.5", "0"), module versions in binaries and go.sum carry
// it; Parse accepts both.
package gosemver

import (
	"fmt"
	"strings"

	"golang.org/x/mod/semver"

	"github.com/customs-scanner/customs/internal/version"
)

// Scheme is the Go module version scheme. It implements version.Scheme.
type Scheme struct{}

var _ version.Scheme = Scheme{}

// Name returns "golang".
func (Scheme) Name() string { return "golang" }

// Parse parses a Go module version; see Parse.
func (Scheme) Parse(s string) (version.Version, error) {
	return Parse(s)
}

// Version is a parsed Go module version.
type Version struct {
	str   string
	canon string
}

// Parse parses s as a Go module version. A missing "v" prefix is added, so
// OSV's "1.2.3" equals "v1.2.3". Shorthands x/mod accepts ("v1", "v1.2")
// are valid and mean v1.0.0 and v1.2.0. "(devel)", the main-module version
// of a binary built from a work tree, is not a version: error.
func Parse(s string) (Version, error) {
	v := strings.TrimSpace(s)
	if v == "" {
		return Version{}, fmt.Errorf("parse go version %q: empty", s)
	}
	if v[0] != 'v' {
		v = "v" + v
	}
	if !semver.IsValid(v) {
		return Version{}, fmt.Errorf("parse go version %q: not a semantic version", s)
	}
	return Version{str: strings.TrimSpace(s), canon: semver.Canonical(v)}, nil
}

// String returns the version as written.
func (v Version) String() string { return v.str }

// Canonical returns the canonical form semver.Canonical gives: vMAJOR.MINOR.PATCH[-pre], without build metadata.
func (v Version) Canonical() string { return v.canon }

// Compare compares v with o, which must be a gosemver Version; it returns
// -1, 0 or +1. Comparing with a version of another scheme panics.
func (v Version) Compare(o version.Version) int {
	return semver.Compare(v.canon, o.(Version).canon)
}
