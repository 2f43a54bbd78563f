package rustsec

import (
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/customs-scanner/customs/internal/version/cargo"
	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/customs-scanner/customs/internal/vulndb/feeds/interval"
)

// semver is a SemVer 2.0.0 version (https://semver.org) as Cargo reads
// requirement operands: "1.2" is 1.2.0; build metadata is ignored. text is
// the full form, "1.2.0", used in ranges; order is text in the crates.io
// version scheme, which matching uses too.
type semver struct {
	major, minor, patch uint64
	// parts is how many of major, minor, patch were written (1 to 3).
	parts int
	pre   bool
	text  string
	order cargo.Version
}

func parseSemver(s string) (semver, error) {
	s = strings.TrimSpace(s)
	v := semver{text: s}
	core, build, _ := strings.Cut(s, "+")
	core, pre, hasPre := strings.Cut(core, "-")
	if build != "" && !validIdents(build) || hasPre && !validIdents(pre) {
		return v, fmt.Errorf("bad version %q", s)
	}
	nums := strings.Split(core, ".")
	if len(nums) > 3 || core == "" {
		return v, fmt.Errorf("bad version %q", s)
	}
	for i, n := range nums {
		x, err := strconv.ParseUint(n, 10, 64)
		if err != nil || n == "" || n[0] == '+' {
			return v, fmt.Errorf("bad version %q", s)
		}
		*[]*uint64{&v.major, &v.minor, &v.patch}[i] = x
	}
	v.parts = len(nums)
	v.text = fmt.Sprintf("%d.%d.%d", v.major, v.minor, v.patch)
	if hasPre {
		if len(nums) < 3 {
			return v, fmt.Errorf("bad version %q: prerelease of a partial version", s)
		}
		v.pre = true
		v.text += "-" + pre
	}
	return v.ordered(), nil
}

// ordered sets v.order from v.text. text is strict SemVer, numbers and
// identifiers checked by parseSemver, which the cargo scheme always parses.
func (v semver) ordered() semver {
	o, err := cargo.Parse(v.text)
	if err != nil {
		panic(fmt.Sprintf("rustsec: %q: %v", v.text, err))
	}
	v.order = o
	return v
}

func validIdents(s string) bool {
	for _, id := range strings.Split(s, ".") {
		if id == "" {
			return false
		}
		for i := 0; i < len(id); i++ {
			if c := id[i]; !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '-') {
				return false
			}
		}
	}
	return true
}

func version(major, minor, patch uint64) semver {
	return semver{major: major, minor: minor, patch: patch, parts: 3, text: fmt.Sprintf("%d.%d.%d", major, minor, patch)}.ordered()
}

// caretUpper is the exclusive upper bound of ^v (Cargo's default
// operator): the next version that changes the leftmost non-zero part of
// those written.
func (v semver) caretUpper() semver {
	switch {
	case v.major > 0 || v.parts == 1:
		return version(v.major+1, 0, 0)
	case v.minor > 0 || v.parts == 2:
		return version(0, v.minor+1, 0)
	}
	return version(0, 0, v.patch+1)
}

// tildeUpper is the exclusive upper bound of ~v: the next minor version,
// or the next major one when only the major was written.
func (v semver) tildeUpper() semver {
	if v.parts == 1 {
		return version(v.major+1, 0, 0)
	}
	return version(v.major, v.minor+1, 0)
}

type (
	bound = interval.Bound[semver]
	span  = interval.Interval[semver]
)

// Compare orders versions by SemVer precedence, as the crates.io scheme
// does; it makes semver an interval.Version.
func (v semver) Compare(w semver) int { return v.order.Compare(w.order) }

// parseRequirement reads a Cargo version requirement, comparators joined
// by commas (">= 1.2.3, < 1.4"), as the span they all allow. A bare
// version means ^version, as in Cargo; "*" wildcards are not supported.
func parseRequirement(req string) (span, error) {
	out := span{}
	for _, c := range strings.Split(req, ",") {
		c = strings.TrimSpace(c)
		op := "^"
		for _, o := range []string{">=", "<=", ">", "<", "=", "^", "~"} {
			if strings.HasPrefix(c, o) {
				op, c = o, strings.TrimSpace(c[len(o):])
				break
			}
		}
		v, err := parseSemver(c)
		if err != nil {
			return out, fmt.Errorf("requirement %q: %w", req, err)
		}
		at := func(incl bool) bound { return bound{Set: true, V: v, Incl: incl} }
		// A partial version in < and > means the whole release line
		// (Cargo: "> 1.2" is ">= 1.3.0", "<= 1.2" is "< 1.3.0").
		next := func() bound {
			if v.parts == 3 {
				return at(false)
			}
			return bound{Set: true, V: v.tildeUpper()}
		}
		var i span
		switch op {
		case "^":
			i = span{Lo: at(true), Hi: bound{Set: true, V: v.caretUpper()}}
		case "~":
			i = span{Lo: at(true), Hi: bound{Set: true, V: v.tildeUpper()}}
		case ">=":
			i = span{Lo: at(true)}
		case ">":
			if v.parts == 3 {
				i = span{Lo: at(false)}
			} else {
				i = span{Lo: bound{Set: true, V: v.tildeUpper(), Incl: true}}
			}
		case "<":
			i = span{Hi: at(false)}
		case "<=":
			if v.parts == 3 {
				i = span{Hi: at(true)}
			} else {
				i = span{Hi: next()}
			}
		case "=":
			if v.parts == 3 {
				i = span{Lo: at(true), Hi: at(true)}
			} else {
				i = span{Lo: at(true), Hi: next()}
			}
		}
		out = interval.Intersect(out, i)
	}
	return out, nil
}

// successor is the least version above v: a.b.(c+1)-0 for a release
// a.b.c (no version lies between: a.b.c+build equals a.b.c, and every
// prerelease of a.b.(c+1) is at least -0), v's prerelease with ".0"
// appended for a prerelease.
func (v semver) successor() semver {
	if !v.pre {
		w := version(v.major, v.minor, v.patch+1)
		w.pre = true
		w.text += "-0"
		return w.ordered()
	}
	w := v
	w.text += ".0"
	return w.ordered()
}

// affectedRanges converts [versions] patched and unaffected to the
// affected set, the versions that satisfy none of the requirements (as
// cargo-audit decides), as vulndb ranges: [a, b) is {Introduced: a, Fixed:
// b}, [a, b] is {Introduced: a, LastAffected: b}, no lower bound is an
// empty Introduced. vulndb.Range has no exclusive lower bound, but SemVer
// has successors: (a, ...) is [successor(a), ...) exactly, "> 0.2.0"
// giving Introduced "0.2.1-0". Versions are written in full ("0.3" is
// "0.3.0"). empty is true when the requirements cover every version.
func affectedRanges(patched, unaffected []string) (ranges []vulndb.Range, empty bool, err error) {
	var covered []span
	for _, r := range slices.Concat(patched, unaffected) {
		i, err := parseRequirement(r)
		if err != nil {
			return nil, false, err
		}
		covered = append(covered, i)
	}
	aff := interval.Complement(interval.Union(covered))
	for _, i := range aff {
		var r vulndb.Range
		if i.Lo.Set {
			lo := i.Lo.V
			if !i.Lo.Incl {
				lo = lo.successor()
			}
			r.Introduced = lo.text
		}
		if i.Hi.Set {
			if i.Hi.Incl {
				r.LastAffected = i.Hi.V.text
			} else {
				r.Fixed = i.Hi.V.text
			}
		}
		ranges = append(ranges, r)
	}
	return ranges, len(aff) == 0, nil
}
