// Package feedio reads feed input with size bounds: feeds are downloaded
// input, and one oversized file, archive entry (Tar) or streamed value
// (Window) must fail on its own instead of exhausting memory. FirstByte
// tells a feed's formats apart before decoding; Walk lists a checkout's
// feed files.
package feedio

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
)

// Read reads all of r, failing when it holds more than limit bytes.
func Read(r io.Reader, limit int64) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("larger than %d bytes", limit)
	}
	return b, nil
}

// ReadFile reads the file at path, failing when it is larger than limit
// bytes.
func ReadFile(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return Read(f, limit)
}

// FirstByte returns the first byte after white space and a UTF-8 BOM,
// without consuming it, so that a feed served as JSON object, JSON array
// or CSV can be told apart before it is decoded. A reader holding nothing
// else fails with "empty file".
func FirstByte(br *bufio.Reader) (byte, error) {
	for {
		p, err := br.Peek(len(bom))
		if len(p) == 0 {
			if err == nil || errors.Is(err, io.EOF) {
				return 0, errors.New("empty file")
			}
			return 0, err
		}
		switch {
		case p[0] == ' ' || p[0] == '\t' || p[0] == '\r' || p[0] == '\n':
			br.Discard(1)
		case bytes.HasPrefix(p, bom):
			br.Discard(len(bom))
		default:
			return p[0], nil
		}
	}
}

var bom = []byte{0xEF, 0xBB, 0xBF}

// Window is a reader that fails once more than its limit of bytes were
// read since the last Reset. A streaming decoder (json.Decoder) buffers a
// whole value before it returns it: reading through a Window reset before
// each value bounds the memory one value of a feed may cost.
type Window struct {
	r     io.Reader
	n     int64
	limit int64
	noun  string
}

// NewWindow returns a Window over r; noun names one value in the error
// ("entry" gives "entry larger than 1048576 bytes").
func NewWindow(r io.Reader, limit int64, noun string) *Window {
	return &Window{r: r, limit: limit, noun: noun}
}

// Read reads from the underlying reader, failing once more than the limit
// was read since the last Reset.
func (w *Window) Read(p []byte) (int, error) {
	if w.n > w.limit {
		return 0, fmt.Errorf("%s larger than %d bytes", w.noun, w.limit)
	}
	n, err := w.r.Read(p)
	w.n += int64(n)
	return n, err
}

// Reset starts a new count.
func (w *Window) Reset() { w.n = 0 }

// Tar reads the tar stream r, in archive order, and calls fn with the name
// and content of each regular file whose name want accepts. A file larger
// than limit bytes is passed with nil content and the error, for fn to
// record and skip. A broken archive (a bad header, a file cut short), an
// error of fn or a cancelled ctx stop the read.
func Tar(ctx context.Context, r io.Reader, limit int64, want func(name string) bool, fn func(name string, data []byte, err error) error) error {
	tr := tar.NewReader(r)
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		h, err := tr.Next()
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return fmt.Errorf("read archive: %w", err)
		}
		if h.Typeflag != tar.TypeReg || !want(h.Name) {
			continue
		}
		data, err := Read(tr, limit)
		if errors.Is(err, io.ErrUnexpectedEOF) {
			return fmt.Errorf("read archive: %s: %w", h.Name, err)
		}
		if err := fn(h.Name, data, err); err != nil {
			return err
		}
	}
}

// Walk calls fn with the path of each regular file under root, in lexical
// order, that want accepts. Names starting with a dot below root are passed
// over, directories with all they hold: a checkout's .git and .github are
// no feed. root may be a file. An unreadable directory, an error of fn or a
// cancelled ctx stop the walk.
func Walk(ctx context.Context, root string, want func(path string) bool, fn func(path string) error) error {
	return filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		if p != root && strings.HasPrefix(d.Name(), ".") {
			if d.IsDir() {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() || !want(p) {
			return nil
		}
		return fn(p)
	})
}
