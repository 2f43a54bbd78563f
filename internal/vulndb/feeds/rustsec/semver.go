package rustsec

import (
	"cmp"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"github.com/customs-scanner/customs/internal/vulndb"
)

// semver is a SemVer 2.0.0 version (https://semver.org) as Cargo reads
// requirement operands: "1.2" is 1.2.0; build metadata is ignored. text is
// the full form, "1.2.0", used in ranges.
type semver struct {
	major, minor, patch uint64
	// parts is how many of major, minor, patch were written (1 to 3).
	parts int
	pre   []string
	text  string
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
		v.pre = strings.Split(pre, ".")
		v.text += "-" + pre
	}
	return v, nil
}

func validIdents(s string) bool {
	for _, id := range strings.Split(s, ".") {
		if id == "" {
			return false
		}
		for i := 0; i < len(id); i++ {
			if !isBare(id[i]) || id[i] == '_' {
				return false
			}
		}
	}
	return true
}

// compare orders versions by SemVer precedence.
func (v semver) compare(w semver) int {
	if c := cmp.Or(cmp.Compare(v.major, w.major), cmp.Compare(v.minor, w.minor), cmp.Compare(v.patch, w.patch)); c != 0 {
		return c
	}
	switch {
	case len(v.pre) == 0 && len(w.pre) == 0:
		return 0
	case len(v.pre) == 0:
		return 1
	case len(w.pre) == 0:
		return -1
	}
	for i := 0; i < min(len(v.pre), len(w.pre)); i++ {
		a, b := v.pre[i], w.pre[i]
		an, aerr := strconv.ParseUint(a, 10, 64)
		bn, berr := strconv.ParseUint(b, 10, 64)
		var c int
		switch {
		case aerr == nil && berr == nil:
			c = cmp.Compare(an, bn)
		case aerr == nil:
			c = -1
		case berr == nil:
			c = 1
		default:
			c = strings.Compare(a, b)
		}
		if c != 0 {
			return c
		}
	}
	return cmp.Compare(len(v.pre), len(w.pre))
}

func version(major, minor, patch uint64) semver {
	return semver{major: major, minor: minor, patch: patch, parts: 3, text: fmt.Sprintf("%d.%d.%d", major, minor, patch)}
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

type bound struct {
	set  bool
	v    semver
	incl bool
}

type interval struct{ lo, hi bound }

func cmpLo(a, b bound) int {
	switch {
	case !a.set && !b.set:
		return 0
	case !a.set:
		return -1
	case !b.set:
		return 1
	}
	if c := a.v.compare(b.v); c != 0 {
		return c
	}
	switch {
	case a.incl == b.incl:
		return 0
	case a.incl:
		return -1
	}
	return 1
}

func cmpHi(a, b bound) int {
	switch {
	case !a.set && !b.set:
		return 0
	case !a.set:
		return 1
	case !b.set:
		return -1
	}
	if c := a.v.compare(b.v); c != 0 {
		return c
	}
	switch {
	case a.incl == b.incl:
		return 0
	case a.incl:
		return 1
	}
	return -1
}

func (i interval) empty() bool {
	if !i.lo.set || !i.hi.set {
		return false
	}
	c := i.lo.v.compare(i.hi.v)
	return c > 0 || c == 0 && !(i.lo.incl && i.hi.incl)
}

func intersect(a, b interval) interval {
	out := a
	if cmpLo(b.lo, a.lo) > 0 {
		out.lo = b.lo
	}
	if cmpHi(b.hi, a.hi) < 0 {
		out.hi = b.hi
	}
	return out
}

func union(in []interval) []interval {
	var s []interval
	for _, i := range in {
		if !i.empty() {
			s = append(s, i)
		}
	}
	slices.SortFunc(s, func(a, b interval) int { return cmpLo(a.lo, b.lo) })
	var out []interval
	for _, i := range s {
		if n := len(out); n > 0 && touches(out[n-1].hi, i.lo) {
			if cmpHi(i.hi, out[n-1].hi) > 0 {
				out[n-1].hi = i.hi
			}
			continue
		}
		out = append(out, i)
	}
	return out
}

func touches(hi, lo bound) bool {
	if !hi.set || !lo.set {
		return true
	}
	c := lo.v.compare(hi.v)
	return c < 0 || c == 0 && (hi.incl || lo.incl)
}

func complement(s []interval) []interval {
	var out []interval
	lo := bound{}
	for _, i := range s {
		if i.lo.set {
			gap := interval{lo: lo, hi: bound{set: true, v: i.lo.v, incl: !i.lo.incl}}
			if !gap.empty() {
				out = append(out, gap)
			}
		}
		if !i.hi.set {
			return out
		}
		lo = bound{set: true, v: i.hi.v, incl: !i.hi.incl}
	}
	return append(out, interval{lo: lo})
}

// parseRequirement reads a Cargo version requirement, comparators joined
// by commas (">= 1.2.3, < 1.4"), as the interval they all allow. A bare
// version means ^version, as in Cargo; "*" wildcards are not supported.
func parseRequirement(req string) (interval, error) {
	out := interval{}
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
		at := func(incl bool) bound { return bound{set: true, v: v, incl: incl} }
		// A partial version in < and > means the whole release line
		// (Cargo: "> 1.2" is ">= 1.3.0", "<= 1.2" is "< 1.3.0").
		next := func() bound {
			if v.parts == 3 {
				return at(false)
			}
			return bound{set: true, v: v.tildeUpper()}
		}
		var i interval
		switch op {
		case "^":
			i = interval{lo: at(true), hi: bound{set: true, v: v.caretUpper()}}
		case "~":
			i = interval{lo: at(true), hi: bound{set: true, v: v.tildeUpper()}}
		case ">=":
			i = interval{lo: at(true)}
		case ">":
			if v.parts == 3 {
				i = interval{lo: at(false)}
			} else {
				i = interval{lo: bound{set: true, v: v.tildeUpper(), incl: true}}
			}
		case "<":
			i = interval{hi: at(false)}
		case "<=":
			if v.parts == 3 {
				i = interval{hi: at(true)}
			} else {
				i = interval{hi: next()}
			}
		case "=":
			if v.parts == 3 {
				i = interval{lo: at(true), hi: at(true)}
			} else {
				i = interval{lo: at(true), hi: next()}
			}
		}
		out = intersect(out, i)
	}
	return out, nil
}

// successor is the least version above v: a.b.(c+1)-0 for a release
// a.b.c (no version lies between: a.b.c+build equals a.b.c, and every
// prerelease of a.b.(c+1) is at least -0), v's prerelease with ".0"
// appended for a prerelease.
func (v semver) successor() semver {
	if len(v.pre) == 0 {
		w := version(v.major, v.minor, v.patch+1)
		w.pre = []string{"0"}
		w.text += "-0"
		return w
	}
	w := v
	w.pre = append(slices.Clone(v.pre), "0")
	w.text += ".0"
	return w
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
	var covered []interval
	for _, r := range slices.Concat(patched, unaffected) {
		i, err := parseRequirement(r)
		if err != nil {
			return nil, false, err
		}
		covered = append(covered, i)
	}
	aff := complement(union(covered))
	for _, i := range aff {
		var r vulndb.Range
		if i.lo.set {
			lo := i.lo.v
			if !i.lo.incl {
				lo = lo.successor()
			}
			r.Introduced = lo.text
		}
		if i.hi.set {
			if i.hi.incl {
				r.LastAffected = i.hi.v.text
			} else {
				r.Fixed = i.hi.v.text
			}
		}
		ranges = append(ranges, r)
	}
	return ranges, len(aff) == 0, nil
}
