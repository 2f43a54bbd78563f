package server

import (
	"bytes"
	"strconv"
	"testing"
)

// TestReportCacheEviction fills the cache past its budget: it holds at
// most the budget, the least recently used entries go first, and an
// answer larger than the budget is not kept.
func TestReportCacheEviction(t *testing.T) {
	entry := func(i, n int) *cached {
		return &cached{key: "k" + strconv.Itoa(i), etag: `"e"`, body: bytes.Repeat([]byte{'x'}, n)}
	}
	size := entry(0, 1000).size()
	c := newReportCache(3 * size)
	for i := range 3 {
		c.put(entry(i, 1000))
	}
	if _, ok := c.get("k0"); !ok {
		t.Fatal("k0 not kept within the budget")
	}
	c.put(entry(3, 1000)) // evicts k1, the least recently used
	for k, want := range map[string]bool{"k0": true, "k1": false, "k2": true, "k3": true} {
		if _, ok := c.get(k); ok != want {
			t.Errorf("%s kept = %t; want %t", k, ok, want)
		}
	}
	if used, n := c.stats(); used > 3*size || n != 3 {
		t.Errorf("cache holds %d bytes in %d entries; want at most %d in 3", used, n, 3*size)
	}
	c.put(entry(4, int(3*size))) // larger than the budget
	if _, ok := c.get("k4"); ok {
		t.Error("an answer larger than the budget was kept")
	}
	c.put(entry(5, int(2*size))) // evicts all but the most recent
	if used, _ := c.stats(); used > 3*size {
		t.Errorf("cache holds %d bytes; budget %d", used, 3*size)
	}
	if _, ok := c.get("k5"); !ok {
		t.Error("k5 not kept")
	}
	off := newReportCache(-1)
	off.put(entry(6, 1))
	if used, n := off.stats(); used != 0 || n != 0 {
		t.Errorf("a cache of budget -1 holds %d bytes in %d entries", used, n)
	}
}
