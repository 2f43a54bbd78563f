package sqlstore

import (
	"slices"
	"testing"
)

// TestUnknownVersions: a store is newer than this build when it applied
// a migration this build does not have, above its highest or in a gap
// below it (reserved numbers land in any order).
func TestUnknownVersions(t *testing.T) {
	ms := []migration{{1, "0001_init.sql"}, {2, "0002_b.sql"}, {4, "0004_d.sql"}}
	for _, c := range []struct {
		applied []int
		want    []string
	}{
		{nil, []string{}},
		{[]int{1, 2}, []string{}},
		{[]int{1, 2, 4}, []string{}},
		{[]int{1, 2, 3, 4}, []string{"0003"}},
		{[]int{1, 2, 4, 5, 12}, []string{"0005", "0012"}},
	} {
		applied := map[int]bool{}
		for _, v := range c.applied {
			applied[v] = true
		}
		if got := unknownVersions(applied, ms); !slices.Equal(got, c.want) {
			t.Errorf("applied %v: unknown %v, want %v", c.applied, got, c.want)
		}
	}
}
