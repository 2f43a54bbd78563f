package layerfs

import (
	"archive/tar"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"os"
	"runtime"
	"strings"
	"syscall"
	"testing"

	"github.com/klauspost/compress/gzip"
)

// writeLargeLayer streams a tar of about total bytes (files of 8 KiB to
// 4 MiB, some text-like, some random) to w without holding it in memory.
func writeLargeLayer(w io.Writer, total int64) error {
	rng := rand.New(rand.NewPCG(3, 4))
	tw := tar.NewWriter(w)
	text := []byte(strings.Repeat("package version license copyright lib usr bin share ", 1<<14))
	blob := make([]byte, 4<<20)
	for i := range blob {
		blob[i] = byte(rng.Uint32())
	}
	var written int64
	for i := 0; written < total; i++ {
		size := int64(8<<10 + rng.IntN(4<<20))
		src := blob
		if i%2 == 0 {
			src = text
		}
		size = min(size, int64(len(src)))
		if err := tw.WriteHeader(&tar.Header{Name: fmt.Sprintf("d%03d/f%06d", i/100, i), Mode: 0o644, Size: size, Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		if _, err := tw.Write(src[:size]); err != nil {
			return err
		}
		written += size + 512
	}
	return tw.Close()
}

// TestLargeLayerMemory streams a 1 GiB layer (gzip-compressed on the fly)
// through Analyze and reports the process's peak RSS. Heavy: it runs only
// with LAYERFS_LARGE=1.
// The second pass prepares every file (Options.Prepare, on the preparer).
func TestLargeLayerMemory(t *testing.T) {
	if testing.Short() || os.Getenv("LAYERFS_LARGE") == "" {
		t.Skip("set LAYERFS_LARGE=1 to stream a 1 GiB layer")
	}
	largeLayerMemory(t, false)
	largeLayerMemory(t, true)
}

func largeLayerMemory(t *testing.T, prepare bool) {
	pr, pw := io.Pipe()
	go func() {
		zw, _ := gzip.NewWriterLevel(pw, gzip.BestSpeed)
		err := writeLargeLayer(zw, 1<<30)
		if err == nil {
			err = zw.Close()
		}
		pw.CloseWithError(err)
	}()
	wants := func(p string, _ fs.FileMode) bool { return strings.HasSuffix(p, "0") }
	opts := Options{Wants: wants, MaxTotalSize: 64 << 20}
	if prepare {
		// Every file is read and prepared (on the preparer, through the
		// ring or the large buffer), a digest of it kept.
		opts.Wants = wantAll
		opts.Prepare = func(p string, _ fs.FileMode, b []byte) ([]byte, error) {
			s := sha256.Sum256(b)
			return s[:], nil
		}
	}
	l, err := Analyze(t.Context(), pr, opts)
	if err != nil {
		t.Fatal(err)
	}
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	t.Logf("entries %d, captured %d files, %d errors; peak RSS %d MB, heap sys %d MB",
		len(l.Entries), len(l.Files), len(l.Errors), ru.Maxrss>>10, ms.HeapSys>>20)
	if ru.Maxrss>>10 > 150 {
		t.Errorf("peak RSS %d MB > 150 MB", ru.Maxrss>>10)
	}
}
