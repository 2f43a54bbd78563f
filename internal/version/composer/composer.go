// Package composer implements Packagist (Composer) version ordering as OSV
// defines it for the "Packagist" ecosystem: PHP's version_compare
// (ext/standard/versioning.c) after dropping one leading "v" or "V".
// version_compare canonicalizes a version by turning "-", "_" and "+" into
// "." and inserting "." between digits and letters, then compares the
// parts: numbers numerically, special forms by rank (any other word <
// dev < alpha = a < beta = b < RC = rc < a number < pl = p), a missing
// part as "#" (between rc and numbers) unless a number follows. One
// deviation, shared with osv-scalibr's vectors: a literal "#" is kept as a
// part of that rank instead of becoming a separator.
package composer

import (
	"errors"
	"fmt"
	"strings"

	"github.com/customs-scanner/customs/internal/version"
)

// maxLen bounds the input.
const maxLen = 256

// Scheme is the Packagist version scheme. It implements version.Scheme.
type Scheme struct{}

var _ version.Scheme = Scheme{}

// Name returns "composer".
func (Scheme) Name() string { return "composer" }

// Parse accepts any non-empty version of printable characters, as PHP's
// version_compare does.
func (Scheme) Parse(s string) (version.Version, error) {
	v, err := Parse(s)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// Version is a Packagist version.
type Version struct {
	raw       string
	canonical string
}

// Parse parses s.
func Parse(s string) (Version, error) {
	if len(s) > maxLen {
		return Version{}, fmt.Errorf("parse composer version %q...: longer than %d bytes", s[:32], maxLen)
	}
	t := strings.TrimSpace(s)
	if t == "" {
		return Version{}, errors.New("parse composer version: empty version")
	}
	for i := 0; i < len(t); i++ {
		if t[i] < 0x21 || t[i] > 0x7e {
			return Version{}, fmt.Errorf("parse composer version %q: invalid character %q", s, t[i])
		}
	}
	u := t
	if u[0] == 'v' || u[0] == 'V' {
		u = u[1:]
	}
	if strings.IndexFunc(u, func(r rune) bool { return r < 128 && isAlnum(byte(r)) }) < 0 {
		return Version{}, fmt.Errorf("parse composer version %q: no digits or letters", s)
	}
	return Version{raw: t, canonical: u}, nil
}

// String returns the version as given.
func (v Version) String() string { return v.raw }

// Compare compares v with o, which must be a composer Version.
func (v Version) Compare(o version.Version) int { return v.CompareVersion(o.(Version)) }

// CompareVersion is version_compare(v, o) on the versions without their
// leading "v". Equal strings are equal (PHP's version_compare(".", ".") is -1).
func (v Version) CompareVersion(o Version) int {
	if v.canonical == o.canonical {
		return 0
	}
	return versionCompare(v.canonical, o.canonical)
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

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

func startsDigit(s string) bool { return s != "" && isDigit(s[0]) }
func isAlnum(c byte) bool {
	return isDigit(c) || c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z'
}

// canonicalize is php_canonicalize_version, except that "#" is kept and
// trailing separators are dropped.
func canonicalize(s string) string {
	if s == "" {
		return s
	}
	b := make([]byte, 0, 2*len(s))
	b = append(b, s[0])
	lp := s[0]
	for i := 1; i < len(s); i++ {
		c := s[i]
		isdig := func(x byte) bool { return isDigit(x) && x != '.' }
		isndig := func(x byte) bool { return !isDigit(x) && x != '.' }
		switch {
		case c == '-' || c == '_' || c == '+':
			if b[len(b)-1] != '.' {
				b = append(b, '.')
			}
		case (isndig(lp) && isdig(c)) || (isdig(lp) && isndig(c)):
			if b[len(b)-1] != '.' {
				b = append(b, '.')
			}
			b = append(b, c)
		case !isAlnum(c) && c != '#':
			// PHP turns every other character into a separator; "#" is
			// kept, as OSV's implementation does, so that "#" parts
			// compare as the "missing part" rank.
			if b[len(b)-1] != '.' {
				b = append(b, '.')
			}
		default:
			b = append(b, c)
		}
		lp = c
	}
	// A trailing separator would make PHP compare "1." below "1" and
	// below itself; drop it.
	for len(b) > 1 && b[len(b)-1] == '.' {
		b = b[:len(b)-1]
	}
	return string(b)
}

// specialForms is compare_special_version_forms' table, matched by prefix
// in this order.
var specialForms = []struct {
	name  string
	order int
}{{"dev", 0}, {"alpha", 1}, {"a", 1}, {"beta", 2}, {"b", 2}, {"RC", 3}, {"rc", 3}, {"#", 4}, {"pl", 5}, {"p", 5}}

func specialOrder(s string) int {
	for _, f := range specialForms {
		if strings.HasPrefix(s, f.name) {
			return f.order
		}
	}
	return -1
}

func compareSpecial(a, b string) int { return sign(specialOrder(a) - specialOrder(b)) }

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

// compareNum compares two runs of digits by value, of any length (PHP's
// strtol would saturate; OSV's implementation uses big integers).
func compareNum(a, b string) int {
	a = strings.TrimLeft(a, "0")
	b = strings.TrimLeft(b, "0")
	if len(a) != len(b) {
		return sign(len(a) - len(b))
	}
	return strings.Compare(a, b)
}

// leadingDigits returns the digits a part starts with (strtol).
func leadingDigits(s string) string {
	i := 0
	for i < len(s) && isDigit(s[i]) {
		i++
	}
	return s[:i]
}

// versionCompare is php_version_compare.
func versionCompare(v1, v2 string) int {
	if v1 == "" || v2 == "" {
		switch {
		case v1 == "" && v2 == "":
			return 0
		case v1 != "":
			return 1
		}
		return -1
	}
	if v1[0] != '#' {
		v1 = canonicalize(v1)
	}
	if v2[0] != '#' {
		v2 = canonicalize(v2)
	}
	// p1/p2 are the remaining text; more1/more2 mirror n1/n2 != NULL.
	p1, p2 := v1, v2
	more1, more2 := true, true
	compare := 0
	for p1 != "" && p2 != "" && more1 && more2 {
		var e1, e2 string
		e1, r1, f1 := strings.Cut(p1, ".")
		e2, r2, f2 := strings.Cut(p2, ".")
		more1, more2 = f1, f2
		switch {
		case startsDigit(e1) && startsDigit(e2):
			compare = compareNum(leadingDigits(e1), leadingDigits(e2))
		case !startsDigit(e1) && !startsDigit(e2):
			compare = compareSpecial(e1, e2)
		case startsDigit(e1):
			compare = compareSpecial("#N#", e2)
		default:
			compare = compareSpecial(e1, "#N#")
		}
		if compare != 0 {
			break
		}
		if f1 {
			p1 = r1
		}
		if f2 {
			p2 = r2
		}
	}
	if compare == 0 {
		switch {
		case more1:
			if startsDigit(p1) {
				compare = 1
			} else {
				compare = versionCompare(p1, "#N#")
			}
		case more2:
			if startsDigit(p2) {
				compare = -1
			} else {
				compare = versionCompare("#N#", p2)
			}
		}
	}
	return compare
}
