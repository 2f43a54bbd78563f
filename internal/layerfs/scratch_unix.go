//go:build unix

package layerfs

import "syscall"

// mapScratch returns n bytes of anonymous memory outside the Go heap, or
// nil when the system refuses. A read buffer kept there costs no zeroing
// when it is reused and is not scanned or counted by the collector's
// target (GOGC), which would grow by several times its size; what is
// mapped is taken off the runtime's soft memory limit instead (reserve),
// so the heap and the buffers together stay within it.
func mapScratch(n int) []byte {
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return nil
	}
	reserve(int64(len(b)))
	return b
}

// unmapScratch releases what mapScratch returned.
func unmapScratch(b []byte) {
	if syscall.Munmap(b) == nil {
		reserve(-int64(len(b)))
	}
}
