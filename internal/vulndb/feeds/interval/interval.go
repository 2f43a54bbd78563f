// Package interval does set algebra on version intervals, for feeds whose
// native format states affected versions as requirements (RubyGems, Cargo)
// that must become OSV-style introduced/fixed ranges.
package interval

import "slices"

// Version is a version type of one ecosystem.
type Version[V any] interface {
	Compare(V) int
}

// Bound is one end of an interval; an unset bound is unbounded.
type Bound[V Version[V]] struct {
	Set  bool
	V    V
	Incl bool
}

// Interval is the set of versions between Lo and Hi.
type Interval[V Version[V]] struct{ Lo, Hi Bound[V] }

// cmpLo orders lower bounds: -inf first; at one version, inclusive first.
func cmpLo[V Version[V]](a, b Bound[V]) int {
	switch {
	case !a.Set && !b.Set:
		return 0
	case !a.Set:
		return -1
	case !b.Set:
		return 1
	}
	if c := a.V.Compare(b.V); c != 0 {
		return c
	}
	switch {
	case a.Incl == b.Incl:
		return 0
	case a.Incl:
		return -1
	}
	return 1
}

// cmpHi orders upper bounds: +inf last; at one version, inclusive last.
func cmpHi[V Version[V]](a, b Bound[V]) int {
	switch {
	case !a.Set && !b.Set:
		return 0
	case !a.Set:
		return 1
	case !b.Set:
		return -1
	}
	if c := a.V.Compare(b.V); c != 0 {
		return c
	}
	switch {
	case a.Incl == b.Incl:
		return 0
	case a.Incl:
		return 1
	}
	return -1
}

// Empty reports whether no version lies in i.
func (i Interval[V]) Empty() bool {
	if !i.Lo.Set || !i.Hi.Set {
		return false
	}
	c := i.Lo.V.Compare(i.Hi.V)
	return c > 0 || c == 0 && !(i.Lo.Incl && i.Hi.Incl)
}

// Intersect returns the versions in both a and b.
func Intersect[V Version[V]](a, b Interval[V]) Interval[V] {
	out := a
	if cmpLo(b.Lo, a.Lo) > 0 {
		out.Lo = b.Lo
	}
	if cmpHi(b.Hi, a.Hi) < 0 {
		out.Hi = b.Hi
	}
	return out
}

// Union sorts and merges intervals into disjoint ones, dropping empty ones.
func Union[V Version[V]](in []Interval[V]) []Interval[V] {
	var s []Interval[V]
	for _, i := range in {
		if !i.Empty() {
			s = append(s, i)
		}
	}
	slices.SortFunc(s, func(a, b Interval[V]) int { return cmpLo(a.Lo, b.Lo) })
	var out []Interval[V]
	for _, i := range s {
		if n := len(out); n > 0 && touches(out[n-1].Hi, i.Lo) {
			if cmpHi(i.Hi, out[n-1].Hi) > 0 {
				out[n-1].Hi = i.Hi
			}
			continue
		}
		out = append(out, i)
	}
	return out
}

// touches reports whether an interval ending at hi and one starting at lo
// (not before the first's start) leave no version between them.
func touches[V Version[V]](hi, lo Bound[V]) bool {
	if !hi.Set || !lo.Set {
		return true
	}
	c := lo.V.Compare(hi.V)
	return c < 0 || c == 0 && (hi.Incl || lo.Incl)
}

// Complement returns the versions outside the disjoint, sorted intervals s.
func Complement[V Version[V]](s []Interval[V]) []Interval[V] {
	var out []Interval[V]
	lo := Bound[V]{}
	for _, i := range s {
		if i.Lo.Set {
			gap := Interval[V]{Lo: lo, Hi: Bound[V]{Set: true, V: i.Lo.V, Incl: !i.Lo.Incl}}
			if !gap.Empty() {
				out = append(out, gap)
			}
		}
		if !i.Hi.Set {
			return out
		}
		lo = Bound[V]{Set: true, V: i.Hi.V, Incl: !i.Hi.Incl}
	}
	return append(out, Interval[V]{Lo: lo})
}
