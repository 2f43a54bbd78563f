package layerfs

import (
	"math"
	"runtime/debug"
	"sync"
)

// mapped is what is held outside the Go heap (mapScratch's buffers, the
// windows of layers read in place), and the soft memory limit that was
// set before any was.
var mapped struct {
	sync.Mutex
	bytes, limit int64
}

// reserve takes n more (or, negative, fewer) bytes of mapped buffers off
// the runtime's soft memory limit, down to half the limit at most: the
// collector then keeps the heap smaller while a large file is held outside
// it, instead of the two adding up to the process's peak (a 47 MB library
// read beside an 80 MB heap). Without a limit it does nothing.
func reserve(n int64) {
	mapped.Lock()
	defer mapped.Unlock()
	if mapped.bytes == 0 {
		mapped.limit = debug.SetMemoryLimit(-1)
	}
	mapped.bytes += n
	if mapped.limit == math.MaxInt64 {
		return
	}
	if mapped.bytes <= 0 {
		mapped.bytes = 0
		debug.SetMemoryLimit(mapped.limit)
		return
	}
	debug.SetMemoryLimit(max(mapped.limit-mapped.bytes, mapped.limit/2))
}
