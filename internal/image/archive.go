package image

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"path"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

// Limits on what an archive pass buffers in memory.
const (
	// maxJSON caps one buffered JSON entry (manifest.json, index.json, an
	// image config or manifest).
	maxJSON = 16 << 20
	// maxJSONTotal caps all buffered JSON entries of one archive together.
	maxJSONTotal = 64 << 20
	// sniffLen is how much of an entry is looked at to tell its kind:
	// enough for the ustar magic at offset 257.
	sniffLen = 512
)

// Compression of a layer blob as found by sniffing its first bytes.
const (
	compNone = "tar"
	compGzip = "gzip"
	compZstd = "zstd"
)

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// archivePass is what one sequential pass over an image archive learnt.
type archivePass struct {
	// files holds the small JSON entries by cleaned path.
	files map[string][]byte
	// layers maps the Key of each entry handed to the LayerFunc to its
	// sniffed compression.
	layers map[string]string
	// keys maps the cleaned path of each layer entry to its Key.
	keys map[string]string
	// links maps the cleaned path of a symlink or hard link entry to the
	// cleaned path it points to (docker save links repeated layers).
	links map[string]string
	// others holds the cleaned paths of entries that were neither JSON nor
	// layers, to tell "missing" from "not a layer" in errors.
	others map[string]bool
}

// entryKey is the Key for a layer entry of an archive: "sha256:<hex>" for a
// content-addressed blobs/sha256/<hex> entry (OCI layout, Docker 25+
// save), else the entry's cleaned path (legacy <id>/layer.tar).
func entryKey(p string) string {
	if rest, ok := strings.CutPrefix(p, "blobs/"); ok {
		alg, hex, ok := strings.Cut(rest, "/")
		if ok && alg != "" && hex != "" && !strings.Contains(hex, "/") {
			return alg + ":" + hex
		}
	}
	return p
}

// cleanEntry normalises an archive entry name: no leading "./" or "/".
func cleanEntry(name string) string {
	p := path.Clean("/" + name)
	return strings.TrimPrefix(p, "/")
}

// resolve follows links from p (at most a few hops) to a real entry path.
func (a *archivePass) resolve(p string) string {
	p = cleanEntry(p)
	for range 8 {
		t, ok := a.links[p]
		if !ok {
			break
		}
		p = t
	}
	return p
}

// decompressOuter returns a reader over the tar inside r, which may itself be
// gzip or zstd compressed, and a closer for the decompressor.
func decompressOuter(r io.Reader) (io.Reader, func(), error) {
	br := bufio.NewReaderSize(r, 64<<10)
	head, err := br.Peek(4)
	if err != nil && !errors.Is(err, io.EOF) {
		return nil, nil, err
	}
	switch {
	case len(head) == 0:
		return nil, nil, errors.New("empty file; expected a docker save or OCI archive")
	case bytes.HasPrefix(head, gzipMagic):
		zr, err := gzip.NewReader(br)
		if err != nil {
			return nil, nil, fmt.Errorf("gunzip archive: %w", err)
		}
		return zr, func() { zr.Close() }, nil
	case bytes.HasPrefix(head, zstdMagic):
		zr, err := zstd.NewReader(br, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(256<<20), zstd.WithDecoderMaxWindow(128<<20))
		if err != nil {
			return nil, nil, fmt.Errorf("zstd archive: %w", err)
		}
		return zr, zr.Close, nil
	}
	return br, func() {}, nil
}

// sniff classifies the first bytes of an archive entry.
func sniff(b []byte) (comp string, isJSON bool) {
	switch {
	case bytes.HasPrefix(b, gzipMagic):
		return compGzip, false
	case bytes.HasPrefix(b, zstdMagic):
		return compZstd, false
	case len(b) >= 262 && string(b[257:262]) == "ustar":
		return compNone, false
	case len(b) >= sniffLen && allZero(b[:sniffLen]):
		// An empty tar: nothing but the end-of-archive blocks.
		return compNone, false
	}
	t := bytes.TrimLeft(b, " \t\r\n")
	return "", len(t) > 0 && (t[0] == '{' || t[0] == '[')
}

func allZero(b []byte) bool {
	for _, c := range b {
		if c != 0 {
			return false
		}
	}
	return true
}

// readArchive makes the one sequential pass over an image archive (a docker
// save tar or a tar of an OCI layout, possibly gzip or zstd compressed). It
// calls layer for every entry that looks like a layer blob and buffers the
// small JSON entries for resolving afterwards.
func readArchive(ctx context.Context, r io.Reader, layer LayerFunc) (*archivePass, error) {
	inner, closeInner, err := decompressOuter(r)
	if err != nil {
		return nil, err
	}
	defer closeInner()
	return walkArchive(ctx, tar.NewReader(inner), nil, func(e layerEntry, r io.Reader) error {
		return callLayer(ctx, layer, e.key, r)
	})
}

// layerEntry is an archive entry that looks like a layer blob.
type layerEntry struct {
	key string
	hdr *tar.Header
	// off is where the entry's data starts in the archive; set only when
	// walkArchive was given a way to tell.
	off int64
}

// walkArchive reads the outer tar entry by entry: it records links,
// buffers the JSON entries and calls onLayer for every entry that looks
// like a layer blob, with a reader over the entry. When offset is not nil
// it is called right after each regular entry's header was read, before
// any of its data, and its answer becomes layerEntry.off.
func walkArchive(ctx context.Context, tr *tar.Reader, offset func() (int64, error), onLayer func(e layerEntry, r io.Reader) error) (*archivePass, error) {
	a := &archivePass{
		files:  map[string][]byte{},
		layers: map[string]string{},
		keys:   map[string]string{},
		links:  map[string]string{},
		others: map[string]bool{},
	}
	br := bufio.NewReaderSize(tr, sniffLen)
	var total int64
	for n := 0; ; n++ {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			if n == 0 {
				return nil, errors.New("not a tar archive, or an empty one")
			}
			break
		}
		if err != nil {
			if errors.Is(err, io.ErrUnexpectedEOF) {
				return nil, errors.New("archive is truncated (unexpected end of file)")
			}
			if n == 0 {
				return nil, fmt.Errorf("not a tar archive: %w", err)
			}
			return nil, fmt.Errorf("read archive: %w", err)
		}
		name := cleanEntry(hdr.Name)
		switch hdr.Typeflag {
		case tar.TypeSymlink:
			a.links[name] = cleanEntry(path.Join(path.Dir(name), hdr.Linkname))
			continue
		case tar.TypeLink:
			a.links[name] = cleanEntry(hdr.Linkname)
			continue
		case tar.TypeReg, tar.TypeGNUSparse:
		default:
			continue
		}
		var off int64
		if offset != nil {
			if off, err = offset(); err != nil {
				return nil, entryErr(name, err)
			}
		}
		br.Reset(tr)
		head, err := br.Peek(sniffLen)
		if err != nil && !errors.Is(err, io.EOF) {
			return nil, entryErr(name, err)
		}
		comp, isJSON := sniff(head)
		switch {
		case comp != "":
			key := entryKey(name)
			a.layers[key] = comp
			a.keys[name] = key
			if err := onLayer(layerEntry{key: key, hdr: hdr, off: off}, br); err != nil {
				return nil, err
			}
		case isJSON:
			if hdr.Size > maxJSON {
				return nil, fmt.Errorf("archive entry %s: JSON of %d bytes is over the %d MiB limit", name, hdr.Size, maxJSON>>20)
			}
			total += hdr.Size
			if total > maxJSONTotal {
				return nil, fmt.Errorf("archive holds over %d MiB of JSON; not an image archive", maxJSONTotal>>20)
			}
			b, err := io.ReadAll(io.LimitReader(br, maxJSON+1))
			if err != nil {
				return nil, entryErr(name, err)
			}
			a.files[name] = b
		default:
			a.others[name] = true
		}
	}
	return a, nil
}

func entryErr(name string, err error) error {
	if errors.Is(err, io.ErrUnexpectedEOF) {
		return fmt.Errorf("archive is truncated in entry %s (unexpected end of file)", name)
	}
	return fmt.Errorf("read archive entry %s: %w", name, err)
}

// callLayer hands one streamed entry to the LayerFunc. The reader can be
// opened once, and only during the call.
func callLayer(ctx context.Context, layer LayerFunc, key string, r io.Reader) error {
	if layer == nil {
		return nil
	}
	s := &onceStream{r: r, key: key}
	err := layer(ctx, Blob{Key: key, Open: s.open})
	s.done = true
	if err != nil {
		return fmt.Errorf("layer %s: %w", key, err)
	}
	return nil
}

// onceStream is a Blob.Open over a stream that can be read only once.
type onceStream struct {
	r      io.Reader
	key    string
	opened bool
	done   bool
}

func (s *onceStream) open() (io.ReadCloser, error) {
	if s.done {
		return nil, fmt.Errorf("open layer %s: the archive is read as a stream; open blobs only inside the LayerFunc call", s.key)
	}
	if s.opened {
		return nil, fmt.Errorf("open layer %s: the archive is read as a stream; a blob can be opened once", s.key)
	}
	s.opened = true
	return &streamReader{s: s}, nil
}

// streamReader stops reading once its LayerFunc call has returned.
type streamReader struct{ s *onceStream }

func (r *streamReader) Read(p []byte) (int, error) {
	if r.s.done {
		return 0, fmt.Errorf("read layer %s: read after the LayerFunc call returned", r.s.key)
	}
	n, err := r.s.r.Read(p)
	if errors.Is(err, io.ErrUnexpectedEOF) {
		err = fmt.Errorf("archive is truncated in layer %s: %w", r.s.key, err)
	}
	return n, err
}

func (r *streamReader) Close() error { return nil }
