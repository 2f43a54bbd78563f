// Package dpkg implements Debian package version rules exactly as dpkg does
// (lib/dpkg/parsehelp.c parseversion, lib/dpkg/version.c verrevcmp), which is
// what Debian Policy §5.6.12 describes: [epoch:]upstream[-revision], compared
// epoch first, then upstream, then revision; within a part, runs of
// non-digits are compared with '~' before everything (even the end of the
// string), letters before non-letters, and runs of digits numerically.
package dpkg

import (
	"errors"
	"fmt"
	"strings"

	"github.com/customs-scanner/customs/internal/version"
)

// maxEpoch is INT_MAX as dpkg checks it ("epoch in version is too big").
const maxEpoch = 1<<31 - 1

// Scheme is the dpkg version scheme. It implements version.Scheme.
type Scheme struct{}

var _ version.Scheme = Scheme{}

// Name returns "dpkg".
func (Scheme) Name() string { return "dpkg" }

// Parse parses s as dpkg does. Strings that dpkg rejects ("version string is
// empty", "epoch in version is not number", ...) give an error; strings for
// which dpkg only warns (upstream not starting with a digit, invalid
// characters) parse, and Version.Warning says why dpkg would warn.
func (Scheme) Parse(s string) (version.Version, error) {
	v, err := Parse(s)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// Version is a parsed dpkg version.
type Version struct {
	Epoch    int
	Upstream string
	// Revision is the Debian revision, "" when the version has none
	// (which compares equal to "0").
	Revision string
	str      string
	warning  string
}

// Parse parses s following dpkg's parseversion: surrounding blanks are
// trimmed, the epoch is everything before the first ':', the revision is
// everything after the last '-'.
func Parse(s string) (Version, error) {
	str := strings.Trim(s, " \t")
	if str == "" {
		return Version{}, errors.New("parse dpkg version: version string is empty")
	}
	if strings.ContainsAny(str, " \t") {
		return Version{}, fmt.Errorf("parse dpkg version %q: version string has embedded spaces", s)
	}
	v := Version{str: str}
	rest := str
	if colon := strings.IndexByte(str, ':'); colon >= 0 {
		epoch, err := parseEpoch(str[:colon])
		if err != nil {
			return Version{}, fmt.Errorf("parse dpkg version %q: %w", s, err)
		}
		rest = str[colon+1:]
		if rest == "" {
			return Version{}, fmt.Errorf("parse dpkg version %q: nothing after colon in version number", s)
		}
		v.Epoch = epoch
	}
	v.Upstream = rest
	if hyphen := strings.LastIndexByte(rest, '-'); hyphen >= 0 {
		v.Upstream, v.Revision = rest[:hyphen], rest[hyphen+1:]
		if v.Revision == "" {
			return Version{}, fmt.Errorf("parse dpkg version %q: revision number is empty", s)
		}
	}
	if v.Upstream == "" {
		return Version{}, fmt.Errorf("parse dpkg version %q: upstream version is empty", s)
	}
	v.warning = warning(v.Upstream, v.Revision)
	return v, nil
}

// parseEpoch mirrors dpkg's use of strtol on the text before the colon:
// optional C white space, an optional sign, decimal digits, and nothing else.
func parseEpoch(s string) (int, error) {
	i := 0
	for i < len(s) && isCSpace(s[i]) {
		i++
	}
	neg := false
	if i < len(s) && (s[i] == '+' || s[i] == '-') {
		neg = s[i] == '-'
		i++
	}
	start := i
	n := 0
	big := false
	for i < len(s) && isDigit(s[i]) {
		if !big {
			n = n*10 + int(s[i]-'0')
			if n > maxEpoch {
				big = true
			}
		}
		i++
	}
	switch {
	case i == start:
		return 0, errors.New("epoch in version is empty")
	case i != len(s):
		return 0, errors.New("epoch in version is not number")
	case neg && (n != 0 || big):
		return 0, errors.New("epoch in version is negative")
	case big:
		return 0, errors.New("epoch in version is too big")
	}
	return n, nil
}

// warning returns dpkg's warning for a syntactically odd but accepted
// version, or "".
func warning(upstream, revision string) string {
	if !isDigit(upstream[0]) {
		return "version number does not start with digit"
	}
	for i := 1; i < len(upstream); i++ {
		c := upstream[i]
		if !isDigit(c) && !isAlpha(c) && !strings.ContainsRune(".-+~:", rune(c)) {
			return "invalid character in version number"
		}
	}
	for i := 0; i < len(revision); i++ {
		c := revision[i]
		if !isDigit(c) && !isAlpha(c) && !strings.ContainsRune(".+~", rune(c)) {
			return "invalid character in revision number"
		}
	}
	return ""
}

// Warning returns the warning dpkg prints for this version ("version number
// does not start with digit", ...), or "" when the version is clean.
func (v Version) Warning() string { return v.warning }

// String returns the version as parsed, without surrounding blanks.
func (v Version) String() string { return v.str }

// Compare compares v with o, which must be a dpkg Version; it returns -1, 0
// or +1. Comparing with a version of another scheme panics.
func (v Version) Compare(o version.Version) int {
	return v.CompareVersion(o.(Version))
}

// CompareVersion is Compare for a concrete Version.
func (v Version) CompareVersion(o Version) int {
	switch {
	case v.Epoch < o.Epoch:
		return -1
	case v.Epoch > o.Epoch:
		return 1
	}
	if c := sign(verrevcmp(v.Upstream, o.Upstream)); c != 0 {
		return c
	}
	return sign(verrevcmp(v.Revision, o.Revision))
}

// Compare parses and compares two version strings, as
// `dpkg --compare-versions`.
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

// order is dpkg's character weight: digits 0 (never compared here), letters
// their ASCII value, '~' below everything, the end of the string 0, other
// characters after all letters. Bytes >= 0x80 are weighted as a signed char
// on amd64 (c-256+256), which is where the vectors were generated.
func order(s string, i int) int {
	if i >= len(s) {
		return 0
	}
	c := s[i]
	switch {
	case isDigit(c):
		return 0
	case isAlpha(c):
		return int(c)
	case c == '~':
		return -1
	case c >= 0x80:
		return int(int8(c)) + 256
	default:
		return int(c) + 256
	}
}

// verrevcmp is dpkg's lib/dpkg/version.c verrevcmp.
func verrevcmp(a, b string) int {
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		firstDiff := 0
		for (i < len(a) && !isDigit(a[i])) || (j < len(b) && !isDigit(b[j])) {
			ac, bc := order(a, i), order(b, j)
			if ac != bc {
				return ac - bc
			}
			i++
			j++
		}
		for i < len(a) && a[i] == '0' {
			i++
		}
		for j < len(b) && b[j] == '0' {
			j++
		}
		for i < len(a) && j < len(b) && isDigit(a[i]) && isDigit(b[j]) {
			if firstDiff == 0 {
				firstDiff = int(a[i]) - int(b[j])
			}
			i++
			j++
		}
		if i < len(a) && isDigit(a[i]) {
			return 1
		}
		if j < len(b) && isDigit(b[j]) {
			return -1
		}
		if firstDiff != 0 {
			return firstDiff
		}
	}
	return 0
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }

// isCSpace is C isspace in the C locale, which strtol skips.
func isCSpace(c byte) bool { return c == ' ' || (c >= '\t' && c <= '\r') }

// Upstream returns the upstream part of s, without epoch or Debian
// revision: "3.0.15" for "1:3.0.15-1~deb12u1". It implements
// version.Upstreamer.
func (Scheme) Upstream(s string) string {
	v, err := Parse(s)
	if err != nil {
		return s
	}
	return v.Upstream
}
