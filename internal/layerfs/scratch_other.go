//go:build !unix

package layerfs

// mapScratch returns nil: the read buffer is then on the Go heap.
func mapScratch(int) []byte { return nil }

func unmapScratch([]byte) {}
