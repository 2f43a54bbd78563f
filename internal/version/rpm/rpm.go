// Package rpm implements rpm version ordering: rpmvercmp from rpm's
// rpmio/rpmvercmp.c and [EPOCH:]VERSION[-RELEASE] comparison as in
// rpmverCmp (lib/rpmver.c).
package rpm

import (
	"errors"
	"fmt"
	"strings"

	"github.com/customs-scanner/customs/internal/version"
)

// Scheme parses rpm EVR strings.
type Scheme struct{}

// Name returns "rpm".
func (Scheme) Name() string { return "rpm" }

// Parse parses "[EPOCH:]VERSION[-RELEASE]" the way rpm splits an EVR
// (rpmverParse): a run of leading digits followed by ':' is the epoch, and
// the part after the last '-' is the release. Like rpm it accepts a ':' that
// does not follow an all-digit prefix as part of the version ("a:1"), an
// empty epoch (":1", epoch 0) and an empty release ("1-"). Empty strings, an
// empty version and strings with whitespace or control characters are errors.
func (Scheme) Parse(s string) (version.Version, error) {
	v, err := Parse(s)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// Version is a parsed rpm EVR.
type Version struct {
	// Epoch is the epoch digits as written, "" when absent (compares as 0).
	Epoch   string
	Version string
	// Release is "" when absent or empty; HasRelease tells the two apart
	// ("1" sorts before "1-").
	Release    string
	HasRelease bool
}

var errEmpty = errors.New("empty rpm version")

// Parse parses an rpm EVR; see Scheme.Parse.
func Parse(s string) (Version, error) {
	if s == "" {
		return Version{}, errEmpty
	}
	for i := 0; i < len(s); i++ {
		if c := s[i]; c <= ' ' || c == 0x7f {
			return Version{}, fmt.Errorf("rpm version %q: invalid character %q", s, c)
		}
	}
	var v Version
	rest := s
	i := 0
	for i < len(rest) && rest[i] >= '0' && rest[i] <= '9' {
		i++
	}
	if i < len(rest) && rest[i] == ':' {
		v.Epoch = rest[:i]
		if v.Epoch == "" {
			v.Epoch = "0"
		}
		rest = rest[i+1:]
	}
	if j := strings.LastIndexByte(rest, '-'); j >= 0 {
		v.Release = rest[j+1:]
		v.HasRelease = true
		rest = rest[:j]
	}
	if rest == "" {
		return Version{}, fmt.Errorf("rpm version %q: empty version", s)
	}
	v.Version = rest
	return v, nil
}

// String returns the EVR as written: "1:2.0-3", "2.0-3", "2.0".
func (v Version) String() string {
	var sb strings.Builder
	if v.Epoch != "" {
		sb.WriteString(v.Epoch)
		sb.WriteByte(':')
	}
	sb.WriteString(v.Version)
	if v.HasRelease {
		sb.WriteByte('-')
		sb.WriteString(v.Release)
	}
	return sb.String()
}

// Compare orders v and o by epoch (absent = 0), then version, then release,
// each with Vercmp. A missing release sorts before any release, even an
// empty one ("1.0" < "1.0-" < "1.0-1"), which keeps the order total; rpm's
// dependency matching instead ignores the release when either side lacks one. It panics if o is not an
// rpm Version.
func (v Version) Compare(o version.Version) int {
	w := o.(Version)
	e1, e2 := v.Epoch, w.Epoch
	if e1 == "" {
		e1 = "0"
	}
	if e2 == "" {
		e2 = "0"
	}
	if c := Vercmp(e1, e2); c != 0 {
		return c
	}
	if c := Vercmp(v.Version, w.Version); c != 0 {
		return c
	}
	if v.HasRelease != w.HasRelease {
		if v.HasRelease {
			return 1
		}
		return -1
	}
	return Vercmp(v.Release, w.Release)
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }
func isAlpha(c byte) bool { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') }
func isAlnum(c byte) bool { return isDigit(c) || isAlpha(c) }

// Vercmp compares two version (or release) strings exactly as rpm's
// rpmvercmp: strings are split into maximal runs of ASCII digits or ASCII
// letters, anything else separates; numeric runs compare as numbers and
// beat alphabetic runs; '~' sorts before everything, even the end of the
// string; '^' sorts after the end of the string but before any further
// segment. Non-ASCII bytes are separators, as in rpm.
func Vercmp(a, b string) int {
	if a == b {
		return 0
	}
	i, j := 0, 0
	for i < len(a) || j < len(b) {
		for i < len(a) && !isAlnum(a[i]) && a[i] != '~' && a[i] != '^' {
			i++
		}
		for j < len(b) && !isAlnum(b[j]) && b[j] != '~' && b[j] != '^' {
			j++
		}
		// '~' sorts before everything.
		ta, tb := i < len(a) && a[i] == '~', j < len(b) && b[j] == '~'
		if ta || tb {
			if !ta {
				return 1
			}
			if !tb {
				return -1
			}
			i++
			j++
			continue
		}
		// '^' sorts after the end but before anything else.
		ca, cb := i < len(a) && a[i] == '^', j < len(b) && b[j] == '^'
		if ca || cb {
			if i >= len(a) {
				return -1
			}
			if j >= len(b) {
				return 1
			}
			if !ca {
				return 1
			}
			if !cb {
				return -1
			}
			i++
			j++
			continue
		}
		if i >= len(a) || j >= len(b) {
			break
		}
		si, sj := i, j
		isNum := isDigit(a[i])
		if isNum {
			for i < len(a) && isDigit(a[i]) {
				i++
			}
			for j < len(b) && isDigit(b[j]) {
				j++
			}
		} else {
			for i < len(a) && isAlpha(a[i]) {
				i++
			}
			for j < len(b) && isAlpha(b[j]) {
				j++
			}
		}
		// a's segment is never empty here; b's is when the kinds differ.
		if sj == j {
			if isNum {
				return 1
			}
			return -1
		}
		sa, sb := a[si:i], b[sj:j]
		if isNum {
			sa = strings.TrimLeft(sa, "0")
			sb = strings.TrimLeft(sb, "0")
			if len(sa) != len(sb) {
				if len(sa) > len(sb) {
					return 1
				}
				return -1
			}
		}
		if c := strings.Compare(sa, sb); c != 0 {
			return c
		}
	}
	if i >= len(a) && j >= len(b) {
		return 0
	}
	if i >= len(a) {
		return -1
	}
	return 1
}

// Upstream returns the version part of an EVR, without epoch or release:
// "1.1.1k" for "1:1.1.1k-12.el8". It implements version.Upstreamer.
func (Scheme) Upstream(s string) string {
	v, err := Parse(s)
	if err != nil {
		return s
	}
	return v.Version
}
