//go:build !linux

package image

import "os"

// statIDs is not implemented off Linux: no identity, so no fast path.
func statIDs(os.FileInfo) (ctime int64, ino, dev uint64, ok bool) {
	return 0, 0, 0, false
}
