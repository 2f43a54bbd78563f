//go:build unix

package layerfs

import (
	"runtime/debug"
	"testing"
)

// TestScratchReservesMemoryLimit checks that mapped read buffers are taken
// off the soft memory limit while they are held, at most half of it, and
// that the limit is back when they are released.
func TestScratchReservesMemoryLimit(t *testing.T) {
	old := debug.SetMemoryLimit(80 << 20)
	t.Cleanup(func() { debug.SetMemoryLimit(old) })
	a := mapScratch(8 << 20)
	if a == nil {
		t.Fatal("mapScratch refused 8 MiB")
	}
	if got := debug.SetMemoryLimit(-1); got != 72<<20 {
		t.Errorf("limit with 8 MiB mapped = %d MiB, want 72", got>>20)
	}
	b := mapScratch(64 << 20)
	if got := debug.SetMemoryLimit(-1); got != 40<<20 {
		t.Errorf("limit with 72 MiB mapped = %d MiB, want 40 (half)", got>>20)
	}
	unmapScratch(b)
	unmapScratch(a)
	if got := debug.SetMemoryLimit(-1); got != 80<<20 {
		t.Errorf("limit after release = %d MiB, want 80", got>>20)
	}
}
