package image

import (
	"os"
	"syscall"
)

// statIDs returns the change time (ns), inode and device of a file.
func statIDs(fi os.FileInfo) (ctime int64, ino, dev uint64, ok bool) {
	st, ok := fi.Sys().(*syscall.Stat_t)
	if !ok {
		return 0, 0, 0, false
	}
	return st.Ctim.Nano(), st.Ino, st.Dev, true
}
