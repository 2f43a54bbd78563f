package interval

import (
	"testing"

	"github.com/google/go-cmp/cmp"
)

type num int

func (a num) Compare(b num) int { return int(a) - int(b) }

func in(lo, hi num, loIncl, hiIncl bool) Interval[num] {
	return Interval[num]{Lo: Bound[num]{Set: true, V: lo, Incl: loIncl}, Hi: Bound[num]{Set: true, V: hi, Incl: hiIncl}}
}

func TestAlgebra(t *testing.T) {
	// [1,3) ∪ [3,5] ∪ (7,9) = [1,5] ∪ (7,9); its complement is (-inf,1) ∪ (5,7] ∪ [9,+inf).
	u := Union([]Interval[num]{in(3, 5, true, true), in(1, 3, true, false), in(7, 9, false, false), in(4, 2, true, true)})
	if diff := cmp.Diff([]Interval[num]{in(1, 5, true, true), in(7, 9, false, false)}, u); diff != "" {
		t.Errorf("Union (-want +got):\n%s", diff)
	}
	c := Complement(u)
	want := []Interval[num]{
		{Hi: Bound[num]{Set: true, V: 1}},
		in(5, 7, false, true),
		{Lo: Bound[num]{Set: true, V: 9, Incl: true}},
	}
	if diff := cmp.Diff(want, c); diff != "" {
		t.Errorf("Complement (-want +got):\n%s", diff)
	}
	if got := Intersect(in(1, 5, true, true), in(3, 9, false, false)); got != in(3, 5, false, true) {
		t.Errorf("Intersect = %+v", got)
	}
	if !in(3, 3, true, false).Empty() || in(3, 3, true, true).Empty() {
		t.Error("Empty is wrong at a single point")
	}
}
