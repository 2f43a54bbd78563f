// Package atomicfile writes a file so that readers see either its old
// content or all of the new one, never a part: the content goes to a
// temporary file in the same directory, renamed over the target.
package atomicfile

import (
	"bufio"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// TempPrefix starts the name of every temporary file Write makes, so that
// a directory's owner can recognise leftovers of a crash.
const TempPrefix = ".tmp-"

// Write calls write with a buffered writer on a new temporary file beside
// path, gives it mode perm and renames it to path. If write or any step
// fails, the temporary file is removed and path is left as it was.
func Write(path string, perm fs.FileMode, write func(io.Writer) error) error {
	if fi, err := os.Stat(path); err == nil && !fi.Mode().IsRegular() {
		return writeInPlace(path, fi, write)
	}
	tmp, err := os.CreateTemp(filepath.Dir(path), TempPrefix+filepath.Base(path)+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name()) // no-op after the rename
	Hold(tmp)                   // best effort: an unlockable file is never taken for stale
	bw := bufio.NewWriterSize(tmp, 64<<10)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if err == nil {
		err = tmp.Chmod(perm)
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), path)
	}
	return err
}

// writeInPlace writes to an existing path that is not a regular file: a
// device such as /dev/null or /dev/stdout, a named pipe, a terminal. Renaming
// a temporary file over it would replace the device with a regular file
// (run as root, --output /dev/null did exactly that), and there is nothing to
// keep whole. A directory is refused.
func writeInPlace(path string, fi fs.FileInfo, write func(io.Writer) error) error {
	if fi.IsDir() {
		return fmt.Errorf("%s is a directory", path)
	}
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return err
	}
	bw := bufio.NewWriterSize(f, 64<<10)
	err = write(bw)
	if err == nil {
		err = bw.Flush()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	return err
}
