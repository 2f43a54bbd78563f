//go:build unix

package atomicfile

import (
	"io"
	"os"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// TestWriteToPipe: a path that exists and is not a regular file (a named
// pipe here, /dev/null for users) is written in place, never replaced by a
// regular file renamed over it.
func TestWriteToPipe(t *testing.T) {
	dir := t.TempDir()
	fifo := filepath.Join(dir, "out")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	got := make(chan string, 1)
	go func() {
		b, _ := os.ReadFile(fifo)
		got <- string(b)
	}()
	if err := Write(fifo, 0o644, func(w io.Writer) error {
		_, err := io.WriteString(w, "report")
		return err
	}); err != nil {
		t.Fatal(err)
	}
	select {
	case s := <-got:
		if s != "report" {
			t.Errorf("the reader got %q, want report", s)
		}
	case <-time.After(10 * time.Second):
		t.Error("nothing was written to the pipe: it was replaced, not written")
	}
	fi, err := os.Lstat(fifo)
	if err != nil {
		t.Fatal(err)
	}
	if fi.Mode().Type() != os.ModeNamedPipe {
		t.Errorf("after Write the path is %v, want the named pipe it was", fi.Mode().Type())
	}
	if ents, _ := os.ReadDir(dir); len(ents) != 1 {
		t.Errorf("directory holds %d entries, want the pipe alone", len(ents))
	}
	if err := Write(dir, 0o644, func(io.Writer) error { return nil }); err == nil {
		t.Error("writing to a directory: no error")
	}
}
