//go:build unix

package layerfs

import "syscall"

// mapScratch returns n bytes of anonymous memory outside the Go heap, or
// nil when the system refuses. A read buffer kept there for a whole layer
// costs no zeroing when it is reused and does not count against the
// runtime's soft memory limit, so holding one the size of the largest file
// read does not make the collector run more often.
func mapScratch(n int) []byte {
	b, err := syscall.Mmap(-1, 0, n, syscall.PROT_READ|syscall.PROT_WRITE, syscall.MAP_ANON|syscall.MAP_PRIVATE)
	if err != nil {
		return nil
	}
	return b
}

// unmapScratch releases what mapScratch returned.
func unmapScratch(b []byte) { _ = syscall.Munmap(b) }
