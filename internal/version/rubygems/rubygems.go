// Package rubygems implements RubyGems versions as Gem::Version
// (rubygems lib/rubygems/version.rb) parses and orders them: a version is
// digits followed by "."-separated alphanumeric parts, with an optional
// "-" suffix read as ".pre."; it is compared by its canonical segments
// (runs of digits as numbers, runs of letters as strings, trailing zeros of
// the numeric and of the string part dropped), a string segment marking a
// prerelease that sorts before any number.
package rubygems

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/customs-scanner/customs/internal/version"
)

// maxLen bounds the input.
const maxLen = 256

// Scheme is the RubyGems version scheme. It implements version.Scheme.
type Scheme struct{}

var _ version.Scheme = Scheme{}

// Name returns "rubygems".
func (Scheme) Name() string { return "rubygems" }

// Parse parses s as Gem::Version.new does.
func (Scheme) Parse(s string) (version.Version, error) {
	v, err := Parse(s)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// pattern is Gem::Version::ANCHORED_VERSION_PATTERN, except that letters
// may follow the first number directly ("1beta"), as osv-scalibr accepts.
var pattern = regexp.MustCompile(`^\s*([0-9]+[0-9a-zA-Z]*(?:\.[0-9a-zA-Z]+)*(?:-[0-9A-Za-z-]+(?:\.[0-9A-Za-z-]+)*)?)?\s*$`)

// segmentRE is the scan in Gem::Version#_segments.
var segmentRE = regexp.MustCompile(`[0-9]+|[a-zA-Z]+`)

// segment is a number (decimal digits without leading zeros) or a string.
type segment struct {
	s     string
	isNum bool
}

// Version is a parsed RubyGems version.
type Version struct {
	raw       string
	canonical []segment
}

// Parse parses s. A blank string is version "0", as in Gem::Version.
func Parse(s string) (Version, error) {
	if len(s) > maxLen {
		return Version{}, fmt.Errorf("parse rubygems version %q...: longer than %d bytes", s[:32], maxLen)
	}
	if !pattern.MatchString(s) {
		return Version{}, fmt.Errorf("parse rubygems version %q: malformed version number string", s)
	}
	str := strings.TrimSpace(s)
	if str == "" {
		str = "0"
	}
	norm := strings.ReplaceAll(str, "-", ".pre.")
	var segs []segment
	for _, t := range segmentRE.FindAllString(norm, -1) {
		if t[0] >= '0' && t[0] <= '9' {
			t = strings.TrimLeft(t, "0")
			if t == "" {
				t = "0"
			}
			segs = append(segs, segment{t, true})
		} else {
			segs = append(segs, segment{t, false})
		}
	}
	// canonical_segments: split at the first string segment and drop the
	// trailing zeros of both halves.
	split := len(segs)
	for i, sg := range segs {
		if !sg.isNum {
			split = i
			break
		}
	}
	canon := append(dropZeros(segs[:split:split]), dropZeros(segs[split:])...)
	return Version{raw: str, canonical: canon}, nil
}

func dropZeros(s []segment) []segment {
	for len(s) > 0 && s[len(s)-1].isNum && s[len(s)-1].s == "0" {
		s = s[:len(s)-1]
	}
	return s
}

// String returns the version as given, without surrounding white space.
func (v Version) String() string { return v.raw }

// IsPrerelease reports whether the version contains a letter, as
// Gem::Version#prerelease? does.
func (v Version) IsPrerelease() bool {
	return strings.IndexFunc(v.raw, func(r rune) bool { return r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' }) >= 0
}

// Compare compares v with o, which must be a rubygems Version.
func (v Version) Compare(o version.Version) int { return v.CompareVersion(o.(Version)) }

// CompareVersion is Gem::Version#<=>: segment by segment, a missing
// segment counting as 0, a string below a number, strings compared
// bytewise, numbers numerically.
func (v Version) CompareVersion(o Version) int {
	zero := segment{"0", true}
	for i := 0; i < len(v.canonical) || i < len(o.canonical); i++ {
		a, b := zero, zero
		if i < len(v.canonical) {
			a = v.canonical[i]
		}
		if i < len(o.canonical) {
			b = o.canonical[i]
		}
		switch {
		case a == b:
			continue
		case !a.isNum && b.isNum:
			return -1
		case a.isNum && !b.isNum:
			return 1
		case a.isNum:
			if len(a.s) != len(b.s) {
				if len(a.s) < len(b.s) {
					return -1
				}
				return 1
			}
		}
		return strings.Compare(a.s, b.s)
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
