package rubysec

import (
	"cmp"
	"fmt"
	"slices"
	"strings"

	"github.com/customs-scanner/customs/internal/version/rubygems"
	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/customs-scanner/customs/internal/vulndb/feeds/interval"
)

// gemVersion is a Gem::Version: text as written, its segments (runs of
// digits, kept without leading zeros, and runs of letters), "1.0.0-rc1" ->
// [1 0 0 pre rc 1], for bump, and order, text in the rubygems version
// scheme, which matching uses too.
type gemVersion struct {
	text  string
	segs  []segment
	order rubygems.Version
}

type segment struct {
	s   string
	num bool
}

// parseGemVersion accepts Gem::Version's syntax: digits and letters
// separated by dots, a "-" standing for ".pre.".
func parseGemVersion(s string) (gemVersion, error) {
	s = strings.TrimSpace(s)
	if s == "" || s[0] < '0' || s[0] > '9' || len(s) > 128 {
		return gemVersion{}, fmt.Errorf("bad gem version %q", s)
	}
	v := gemVersion{text: s}
	norm := strings.ReplaceAll(s, "-", ".pre.")
	for _, part := range strings.Split(norm, ".") {
		if part == "" {
			return gemVersion{}, fmt.Errorf("bad gem version %q", s)
		}
		for part != "" {
			digit := part[0] >= '0' && part[0] <= '9'
			i := 0
			for i < len(part) && isDigit(part[i]) == digit {
				c := part[i]
				if !digit && !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
					return gemVersion{}, fmt.Errorf("bad gem version %q", s)
				}
				i++
			}
			seg := segment{s: part[:i], num: digit}
			if digit {
				seg.s = strings.TrimLeft(seg.s, "0")
			}
			v.segs = append(v.segs, seg)
			part = part[i:]
		}
	}
	var err error
	if v.order, err = rubygems.Parse(s); err != nil {
		return gemVersion{}, err
	}
	return v, nil
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// bump is Gem::Version#bump, the upper bound of "~>": prerelease segments
// dropped, then the last segment dropped (unless it is the only one), then
// the new last one incremented: 1.2.3 -> 1.3, 1.2 -> 2, 1 -> 2.
func (v gemVersion) bump() gemVersion {
	segs := slices.Clone(v.segs)
	if i := slices.IndexFunc(segs, func(s segment) bool { return !s.num }); i >= 0 {
		segs = segs[:i]
	}
	if len(segs) > 1 {
		segs = segs[:len(segs)-1]
	}
	last := segs[len(segs)-1].s
	segs[len(segs)-1] = segment{s: increment(last), num: true}
	parts := make([]string, len(segs))
	for i, s := range segs {
		parts[i] = cmp.Or(s.s, "0")
	}
	text := strings.Join(parts, ".")
	order, err := rubygems.Parse(text)
	if err != nil { // text is numbers joined by dots
		panic(fmt.Sprintf("rubysec: bump of %q: %v", v.text, err))
	}
	return gemVersion{text: text, segs: segs, order: order}
}

// increment adds one to a decimal digit string ("" is 0).
func increment(d string) string {
	b := []byte(d)
	for i := len(b) - 1; i >= 0; i-- {
		if b[i] < '9' {
			b[i]++
			return string(b)
		}
		b[i] = '0'
	}
	return "1" + string(b)
}

// bound and span are the interval algebra over this ecosystem's versions.
type (
	bound = interval.Bound[gemVersion]
	span  = interval.Interval[gemVersion]
)

// Compare orders versions as Gem::Version#<=> does (canonical segments
// compared one by one, numbers numerically, a letter segment, which marks
// a prerelease, below any number, missing segments as 0, so "1.0" == "1"
// and "1.0.a" == "1.a"); it makes gemVersion an interval.Version.
func (v gemVersion) Compare(w gemVersion) int { return v.order.CompareVersion(w.order) }

// parseRequirement reads one RubyGems requirement, constraints joined by
// commas (">= 2.0, < 2.1.4"), as the span they all allow.
func parseRequirement(req string) (span, error) {
	out := span{}
	for _, c := range strings.Split(req, ",") {
		c = strings.TrimSpace(c)
		op := "="
		for _, o := range []string{"~>", ">=", "<=", "!=", ">", "<", "="} {
			if strings.HasPrefix(c, o) {
				op, c = o, strings.TrimSpace(c[len(o):])
				break
			}
		}
		v, err := parseGemVersion(c)
		if err != nil {
			return span{}, fmt.Errorf("requirement %q: %w", req, err)
		}
		at := func(incl bool) bound { return bound{Set: true, V: v, Incl: incl} }
		var i span
		switch op {
		case "~>":
			i = span{Lo: at(true), Hi: bound{Set: true, V: v.bump()}}
		case ">=":
			i = span{Lo: at(true)}
		case ">":
			i = span{Lo: at(false)}
		case "<=":
			i = span{Hi: at(true)}
		case "<":
			i = span{Hi: at(false)}
		case "=":
			i = span{Lo: at(true), Hi: at(true)}
		case "!=":
			return span{}, fmt.Errorf("requirement %q: != is not supported", req)
		}
		out = interval.Intersect(out, i)
	}
	return out, nil
}

// affectedRanges converts patched_versions and unaffected_versions to the
// affected set, the versions that satisfy none of the requirements, as
// vulndb ranges: a span [a, b) is {Introduced: a, Fixed: b}, [a, b]
// is {Introduced: a, LastAffected: b}, no lower bound is an empty
// Introduced. vulndb.Range has no exclusive lower bound: (a, ...) becomes
// Introduced a, over-reporting a itself (which is patched or unaffected),
// and excl lists such a for the record's StatusDetail. empty is true when
// the requirements cover every version.
func affectedRanges(patched, unaffected []string) (ranges []vulndb.Range, excl []string, empty bool, err error) {
	var covered []span
	for _, r := range slices.Concat(patched, unaffected) {
		i, err := parseRequirement(r)
		if err != nil {
			return nil, nil, false, err
		}
		covered = append(covered, i)
	}
	aff := interval.Complement(interval.Union(covered))
	for _, i := range aff {
		var r vulndb.Range
		if i.Lo.Set {
			r.Introduced = i.Lo.V.text
			if !i.Lo.Incl {
				excl = append(excl, i.Lo.V.text)
			}
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
	return ranges, excl, len(aff) == 0, nil
}
