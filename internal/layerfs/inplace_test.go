package layerfs

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/klauspost/compress/gzip"
)

// sectionFile is a layer stored at an offset of a file, as a plain
// docker-archive's layer.tar is: a FileSection. Where layers are mapped,
// reading it instead is an error.
type sectionFile struct {
	t         *testing.T
	f         *os.File
	off, size int64
	r         *io.SectionReader
	// stream is set for a layer to be read, not mapped (compressed).
	stream bool
}

func (s *sectionFile) FileSection() (*os.File, int64, int64, bool) {
	return s.f, s.off, s.size, true
}

func (s *sectionFile) Read(p []byte) (int, error) {
	if runtime.GOOS == "linux" && !s.stream && s.size <= s.fileSize() {
		s.t.Error("the layer was read, not mapped")
	}
	return s.r.Read(p)
}

func (s *sectionFile) fileSize() int64 {
	fi, err := s.f.Stat()
	if err != nil {
		s.t.Fatal(err)
	}
	return fi.Size() - s.off
}

// storeSection writes layer into a file after a prefix that is not a
// whole number of pages, as a blob inside an archive lies.
func storeSection(t *testing.T, layer []byte) *sectionFile {
	t.Helper()
	p := filepath.Join(t.TempDir(), "archive.tar")
	prefix := bytes.Repeat([]byte{0xAA}, 1536)
	if err := os.WriteFile(p, append(prefix, layer...), 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { f.Close() })
	off, size := int64(len(prefix)), int64(len(layer))
	return &sectionFile{t: t, f: f, off: off, size: size, r: io.NewSectionReader(f, off, size)}
}

// TestAnalyzeInPlace checks that a layer mapped from its file comes out
// as the same layer read as a stream: entries, DiffID, files prepared in
// order (some larger than a chunk, some larger than the preparer's
// window, while the parser runs ahead) and errors.
func TestAnalyzeInPlace(t *testing.T) {
	var files []tf
	for i := range 300 {
		size := (i * 7919) % (64 << 10)
		switch {
		case i%60 == 5:
			size = inPlaceChunk + 123 // across chunks
		case i == 100:
			size = inPlaceAhead + 5000 // past the window
		}
		files = append(files, reg(fmt.Sprintf("d/f%03d", i), strings.Repeat(string(rune('a'+i%26)), size)))
		if i%40 == 3 {
			files = append(files, hardlink(fmt.Sprintf("d/l%03d", i), fmt.Sprintf("d/f%03d", i)), dir(fmt.Sprintf("e%d", i)))
		}
	}
	files = append(files, reg("../evil", "x"), reg("d/f001", "replaced"))
	layer := tarBytes(t, files...)
	var prepared atomic.Int64
	opts := Options{Wants: wantAll, Prepare: func(p string, _ fs.FileMode, b []byte) ([]byte, error) {
		prepared.Add(1)
		if strings.HasSuffix(p, "7") {
			return nil, errors.New("seven")
		}
		return fmt.Appendf(nil, "%s %d %x", p, len(b), b[:min(len(b), 8)]), nil
	}}
	want, err := Analyze(t.Context(), bytes.NewReader(layer), opts)
	if err != nil {
		t.Fatal(err)
	}
	streamed := prepared.Swap(0)
	got, err := Analyze(t.Context(), storeSection(t, layer), opts)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("in place (-streamed +in place):\n%s", diff)
	}
	if n := prepared.Load(); n != streamed || n < 300 {
		t.Errorf("prepared %d files in place, %d streamed", n, streamed)
	}

	// A gzip layer in a file is read as a stream, not mapped.
	var gz bytes.Buffer
	zw := gzip.NewWriter(&gz)
	zw.Write(layer)
	zw.Close()
	sec := storeSection(t, gz.Bytes())
	sec.stream = true
	got, err = Analyze(t.Context(), sec, opts)
	if err != nil {
		t.Fatal(err)
	}
	want.Digest = got.Digest // of the gzip bytes
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("gzip layer in a file (-plain +gzip):\n%s", diff)
	}
}

// TestAnalyzeInPlaceTruncated checks that a layer file cut short, before
// the mapping or while it is read, is an error, not a crash.
func TestAnalyzeInPlaceTruncated(t *testing.T) {
	var files []tf
	for i := range 64 {
		files = append(files, reg(fmt.Sprintf("f%02d", i), strings.Repeat("z", 256<<10)))
	}
	layer := tarBytes(t, files...)

	t.Run("before", func(t *testing.T) {
		s := storeSection(t, layer)
		if err := os.Truncate(s.f.Name(), s.off+s.size/2); err != nil {
			t.Fatal(err)
		}
		_, err := Analyze(t.Context(), s, Options{Wants: wantAll})
		if !errors.Is(err, io.ErrUnexpectedEOF) {
			t.Errorf("err = %v, want unexpected EOF", err)
		}
	})
	t.Run("while", func(t *testing.T) {
		s := storeSection(t, layer)
		var cut atomic.Bool
		_, err := Analyze(t.Context(), s, Options{Wants: wantAll, Prepare: func(p string, _ fs.FileMode, b []byte) ([]byte, error) {
			if !cut.Swap(true) {
				if err := os.Truncate(s.f.Name(), s.off+4096); err != nil {
					t.Error(err)
				}
			}
			return []byte{b[len(b)-1]}, nil
		}})
		if err == nil || !strings.Contains(err.Error(), "changed while it was read") {
			t.Errorf("err = %v, want the archive changed while it was read", err)
		}
	})
}

// TestGuardPassesBugsOn checks that only a memory fault becomes the
// layer's error: any other panic (a bug in a parser or a Prepare) goes on.
func TestGuardPassesBugsOn(t *testing.T) {
	p := &inPlace{}
	p.cond.L = &p.mu
	var s []int
	i := len(os.Args) + 1
	defer func() {
		if r := recover(); r == nil {
			t.Error("an index out of range was recovered as a fault")
		}
		if err := p.faulted(); err != nil {
			t.Errorf("faulted() = %v, want nil", err)
		}
	}()
	func() {
		defer func() { p.guard(recover()) }()
		_ = s[i]
	}()
}
