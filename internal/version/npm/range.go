package npm

import (
	"fmt"
	"strconv"
	"strings"
)

// Range is a parsed node-semver range: a union ("||") of sets of
// comparators that must all hold.
type Range struct {
	set  [][]comparator
	opts Options
}

// comparator is one "<op><version>" test; any is the empty comparator,
// which every version satisfies.
type comparator struct {
	op  string
	ver Version
	any bool
}

func (c comparator) value() string {
	if c.any {
		return ""
	}
	return c.op + c.ver.String()
}

func (c comparator) isNullSet() bool { return c.value() == "<0.0.0-0" }

func (c comparator) test(v Version) bool {
	if c.any {
		return true
	}
	d := v.Cmp(c.ver)
	switch c.op {
	case "":
		return d == 0
	case ">":
		return d > 0
	case ">=":
		return d >= 0
	case "<":
		return d < 0
	case "<=":
		return d <= 0
	}
	return false
}

// Satisfies reports whether version satisfies the range rng with default
// options, as node-semver's satisfies(version, range) does, except that an
// invalid version or range is an error rather than false.
func Satisfies(version, rng string) (bool, error) {
	return SatisfiesOptions(version, rng, Options{})
}

// SatisfiesOptions is Satisfies with node-semver options.
func SatisfiesOptions(version, rng string, opts Options) (bool, error) {
	r, err := ParseRange(rng, opts)
	if err != nil {
		return false, err
	}
	v, err := Parse(version, opts)
	if err != nil {
		return false, err
	}
	return r.Test(v), nil
}

// maxRangeLength bounds the ranges ParseRange accepts; real ones are a few
// dozen characters.
const maxRangeLength = 4096

// ParseRange parses rng as new Range(rng, opts) does.
func ParseRange(rng string, opts Options) (*Range, error) {
	if len(rng) > maxRangeLength {
		return nil, fmt.Errorf("parse range: longer than %d characters", maxRangeLength)
	}
	raw := strings.Join(strings.Fields(rng), " ")
	r := &Range{opts: opts}
	for _, part := range strings.Split(raw, "||") {
		cs, err := parseRangeSet(strings.TrimSpace(part), opts)
		if err != nil {
			return nil, fmt.Errorf("parse range %q: %w", rng, err)
		}
		if len(cs) > 0 {
			r.set = append(r.set, cs)
		}
	}
	if len(r.set) == 0 {
		return nil, fmt.Errorf("parse range %q: %w", rng, ErrInvalid)
	}
	if len(r.set) > 1 {
		first := r.set[0]
		var keep [][]comparator
		for _, cs := range r.set {
			if !cs[0].isNullSet() {
				keep = append(keep, cs)
			}
		}
		switch {
		case len(keep) == 0:
			keep = [][]comparator{first}
		case len(keep) > 1:
			for _, cs := range keep {
				if len(cs) == 1 && cs[0].any {
					keep = [][]comparator{cs}
					break
				}
			}
		}
		r.set = keep
	}
	return r, nil
}

// Test reports whether v satisfies r (Range.test and testSet).
func (r *Range) Test(v Version) bool {
	for _, cs := range r.set {
		if testSet(cs, v, r.opts) {
			return true
		}
	}
	return false
}

func testSet(cs []comparator, v Version, opts Options) bool {
	for _, c := range cs {
		if !c.test(v) {
			return false
		}
	}
	if len(v.Prerelease) == 0 || opts.IncludePrerelease {
		return true
	}
	// A prerelease only matches if some comparator names a prerelease of
	// the same [major, minor, patch].
	for _, c := range cs {
		if c.any || len(c.ver.Prerelease) == 0 {
			continue
		}
		if c.ver.Major == v.Major && c.ver.Minor == v.Minor && c.ver.Patch == v.Patch {
			return true
		}
	}
	return false
}

// parseRangeSet is Range.parseRange: rewrite hyphen ranges, carets,
// tildes, x-ranges and stars into primitive comparators and parse them.
func parseRangeSet(rng string, opts Options) ([]comparator, error) {
	hr := rx().reHyphenRange
	if opts.Loose {
		hr = rx().reHyphenRangeLoose
	}
	rng = replaceFirst(hr, rng, func(m []string) string { return hyphenReplace(m, opts.IncludePrerelease) })
	rng = rx().reComparatorTrim.ReplaceAllString(rng, "${1}${2}${3}")
	rng = rx().reTildeTrim.ReplaceAllString(rng, "${1}~")
	rng = rx().reCaretTrim.ReplaceAllString(rng, "${1}^")

	parts := strings.Split(rng, " ")
	for i, p := range parts {
		parts[i] = parseComparator(p, opts)
	}
	list := strings.Fields(strings.Join(parts, " "))
	if len(list) == 0 {
		list = []string{""} // "".split(/\s+/) is [""]
	}
	gte0 := rx().reGTE0
	if opts.IncludePrerelease {
		gte0 = rx().reGTE0Pr
	}
	var cs []comparator
	seen := map[string]int{}
	for _, s := range list {
		s = strings.TrimSpace(s)
		if gte0.MatchString(s) {
			s = ""
		}
		if opts.Loose && !rx().reComparatorLoose.MatchString(s) {
			continue
		}
		c, err := parseComparatorString(s, opts)
		if err != nil {
			return nil, err
		}
		if c.isNullSet() {
			return []comparator{c}, nil
		}
		// A Map keyed by value: a later duplicate replaces the earlier
		// one in place.
		if i, ok := seen[c.value()]; ok {
			cs[i] = c
			continue
		}
		seen[c.value()] = len(cs)
		cs = append(cs, c)
	}
	if len(cs) > 1 {
		if i, ok := seen[""]; ok {
			cs = append(cs[:i:i], cs[i+1:]...)
		}
	}
	return cs, nil
}

// parseComparatorString is new Comparator(s).
func parseComparatorString(s string, opts Options) (comparator, error) {
	s = strings.Join(strings.Fields(s), " ")
	re := rx().reComparator
	if opts.Loose {
		re = rx().reComparatorLoose
	}
	m := re.FindStringSubmatch(s)
	if m == nil {
		return comparator{}, fmt.Errorf("invalid comparator %q", s)
	}
	op := m[1]
	if op == "=" {
		op = ""
	}
	if m[2] == "" {
		return comparator{any: true}, nil
	}
	v, err := Parse(m[2], Options{Loose: opts.Loose})
	if err != nil {
		return comparator{}, err
	}
	return comparator{op: op, ver: v}, nil
}

func parseComparator(comp string, opts Options) string {
	comp = eachField(comp, func(c string) string { return replaceCaret(c, opts) })
	comp = eachField(comp, func(c string) string { return replaceTilde(c, opts) })
	comp = eachField(comp, func(c string) string { return replaceXRange(c, opts) })
	return replaceStars(comp)
}

// eachField is comp.trim().split(/\s+/).map(fn).join(' ').
func eachField(comp string, fn func(string) string) string {
	fs := strings.Fields(comp)
	if len(fs) == 0 {
		return fn("")
	}
	for i, f := range fs {
		fs[i] = fn(f)
	}
	return strings.Join(fs, " ")
}

// replaceFirst is JavaScript's String.prototype.replace with a non-global
// regular expression and a replacement function.
func replaceFirst(re interface {
	FindStringSubmatchIndex(string) []int
}, s string, fn func(m []string) string) string {
	idx := re.FindStringSubmatchIndex(s)
	if idx == nil {
		return s
	}
	m := make([]string, len(idx)/2)
	for i := range m {
		if idx[2*i] >= 0 {
			m[i] = s[idx[2*i]:idx[2*i+1]]
		}
	}
	return s[:idx[0]] + fn(m) + s[idx[1]:]
}

func isX(id string) bool { return id == "" || id == "x" || id == "X" || id == "*" }

// incr is `${+s + 1}` for the digit strings the expressions capture.
func incr(s string) string {
	n, err := strconv.ParseUint(s, 10, 64)
	if err != nil || n >= maxSafeInteger {
		return strconv.FormatUint(maxSafeInteger+1, 10) // fails to parse later, as in node
	}
	return strconv.FormatUint(n+1, 10)
}

func replaceTilde(comp string, opts Options) string {
	re := rx().reTilde
	if opts.Loose {
		re = rx().reTildeLoose
	}
	return replaceFirst(re, comp, func(m []string) string {
		M, mi, p, pr := m[1], m[2], m[3], m[4]
		switch {
		case isX(M):
			return ""
		case isX(mi):
			return ">=" + M + ".0.0 <" + incr(M) + ".0.0-0"
		case isX(p):
			return ">=" + M + "." + mi + ".0 <" + M + "." + incr(mi) + ".0-0"
		case pr != "":
			return ">=" + M + "." + mi + "." + p + "-" + pr + " <" + M + "." + incr(mi) + ".0-0"
		}
		return ">=" + M + "." + mi + "." + p + " <" + M + "." + incr(mi) + ".0-0"
	})
}

func replaceCaret(comp string, opts Options) string {
	re := rx().reCaret
	if opts.Loose {
		re = rx().reCaretLoose
	}
	z := ""
	if opts.IncludePrerelease {
		z = "-0"
	}
	return replaceFirst(re, comp, func(m []string) string {
		M, mi, p, pr := m[1], m[2], m[3], m[4]
		switch {
		case isX(M):
			return ""
		case isX(mi):
			return ">=" + M + ".0.0" + z + " <" + incr(M) + ".0.0-0"
		case isX(p):
			if M == "0" {
				return ">=" + M + "." + mi + ".0" + z + " <" + M + "." + incr(mi) + ".0-0"
			}
			return ">=" + M + "." + mi + ".0" + z + " <" + incr(M) + ".0.0-0"
		}
		from := ">=" + M + "." + mi + "." + p
		if pr != "" {
			from += "-" + pr
		}
		switch {
		case M == "0" && mi == "0":
			return from + " <" + M + "." + mi + "." + incr(p) + "-0"
		case M == "0":
			return from + " <" + M + "." + incr(mi) + ".0-0"
		}
		return from + " <" + incr(M) + ".0.0-0"
	})
}

func replaceXRange(comp string, opts Options) string {
	comp = strings.TrimSpace(comp)
	re := rx().reXRange
	if opts.Loose {
		re = rx().reXRangeLoose
	}
	return replaceFirst(re, comp, func(m []string) string {
		ret, gtlt, M, mi, p := m[0], m[1], m[2], m[3], m[4]
		xM := isX(M)
		xm := xM || isX(mi)
		xp := xm || isX(p)
		anyX := xp
		if gtlt == "=" && anyX {
			gtlt = ""
		}
		pr := ""
		if opts.IncludePrerelease {
			pr = "-0"
		}
		switch {
		case xM:
			if gtlt == ">" || gtlt == "<" {
				return "<0.0.0-0"
			}
			return "*"
		case gtlt != "" && anyX:
			if xm {
				mi = "0"
			}
			p = "0"
			switch gtlt {
			case ">":
				gtlt = ">="
				if xm {
					M, mi, p = incr(M), "0", "0"
				} else {
					mi, p = incr(mi), "0"
				}
			case "<=":
				gtlt = "<"
				if xm {
					M = incr(M)
				} else {
					mi = incr(mi)
				}
			}
			if gtlt == "<" {
				pr = "-0"
			}
			return gtlt + M + "." + mi + "." + p + pr
		case xm:
			return ">=" + M + ".0.0" + pr + " <" + incr(M) + ".0.0-0"
		case xp:
			return ">=" + M + "." + mi + ".0" + pr + " <" + M + "." + incr(mi) + ".0-0"
		}
		return ret
	})
}

func replaceStars(comp string) string {
	comp = strings.TrimSpace(comp)
	return replaceFirst(rx().reStar, comp, func([]string) string { return "" })
}

// hyphenReplace turns "1.2 - 3" into ">=1.2.0 <4.0.0-0". m holds the
// submatches of the hyphen expression: from, fM, fm, fp, fpr, fb, to, tM,
// tm, tp, tpr, tb.
func hyphenReplace(m []string, incPr bool) string {
	from, fM, fm, fp, fpr := m[1], m[2], m[3], m[4], m[5]
	to, tM, tm, tp, tpr := m[7], m[8], m[9], m[10], m[11]
	z := ""
	if incPr {
		z = "-0"
	}
	switch {
	case isX(fM):
		from = ""
	case isX(fm):
		from = ">=" + fM + ".0.0" + z
	case isX(fp):
		from = ">=" + fM + "." + fm + ".0" + z
	case fpr != "":
		from = ">=" + from
	default:
		from = ">=" + from + z
	}
	switch {
	case isX(tM):
		to = ""
	case isX(tm):
		to = "<" + incr(tM) + ".0.0-0"
	case isX(tp):
		to = "<" + tM + "." + incr(tm) + ".0-0"
	case tpr != "":
		to = "<=" + tM + "." + tm + "." + tp + "-" + tpr
	case incPr:
		to = "<" + tM + "." + tm + "." + incr(tp) + "-0"
	default:
		to = "<=" + to
	}
	return strings.TrimSpace(from + " " + to)
}
