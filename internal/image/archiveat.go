package image

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"sync/atomic"
)

// An uncompressed archive in a regular file need not be read as one
// stream: indexArchive walks its tar headers, seeking past the layer
// bodies, and readBlobsAt then hands the layers out several at once, each
// read at its own offsets (os.File.ReadAt is safe for concurrent use).

// errSparse stops indexArchive at a sparse layer entry, whose stored bytes
// are not the blob; such an archive is read as a stream instead.
var errSparse = errors.New("sparse layer entry")

// blobAt locates a layer blob's bytes inside an uncompressed archive.
type blobAt struct {
	key       string
	off, size int64
}

// plainFile reports whether f is a regular file whose bytes are an
// uncompressed tar (no gzip or zstd magic), so it can be indexed.
func plainFile(f *os.File) bool {
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() {
		return false
	}
	head := make([]byte, len(zstdMagic))
	n, _ := f.ReadAt(head, 0)
	head = head[:n]
	return n > 0 && !bytes.HasPrefix(head, gzipMagic) && !bytes.HasPrefix(head, zstdMagic)
}

// indexArchive walks an uncompressed image archive from its start without
// reading layer bodies: r is an io.Seeker, so archive/tar seeks past the
// part of an entry that was not read (it reads only the entry's last byte,
// to notice a truncated file). It returns what readArchive would have
// learnt and where each layer blob lies, one per key (the last entry of a
// name, as tar extraction would keep).
func indexArchive(ctx context.Context, r io.ReadSeeker) (*archivePass, []blobAt, error) {
	var blobs []blobAt
	at := map[string]int{}
	offset := func() (int64, error) { return r.Seek(0, io.SeekCurrent) }
	a, err := walkArchive(ctx, tar.NewReader(r), offset, func(e layerEntry, _ io.Reader) error {
		if isSparse(e.hdr) {
			return errSparse
		}
		b := blobAt{key: e.key, off: e.off, size: e.hdr.Size}
		if i, ok := at[e.key]; ok {
			blobs[i] = b
			return nil
		}
		at[e.key] = len(blobs)
		blobs = append(blobs, b)
		return nil
	})
	if err != nil {
		return nil, nil, err
	}
	return a, blobs, nil
}

// isSparse reports whether a tar entry is stored sparse (old GNU or PAX
// GNU.sparse format): its data section then holds only the non-hole parts.
func isSparse(h *tar.Header) bool {
	if h.Typeflag == tar.TypeGNUSparse {
		return true
	}
	for k := range h.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return true
		}
	}
	return false
}

// readBlobsAt hands each blob to layer, at most limit at once, largest
// first. Each call gets its own reader over r; the first error cancels the
// calls still running and is returned.
func readBlobsAt(ctx context.Context, r io.ReaderAt, blobs []blobAt, limit int, layer LayerFunc) error {
	order := make([]blobAt, len(blobs))
	copy(order, blobs)
	largestFirst(order, limit, func(b blobAt) int64 { return b.size })
	return fanOut(ctx, limit, len(order), func(ctx context.Context, i int) error {
		s := &sectionBlob{r: r, blobAt: order[i]}
		err := layer(ctx, Blob{Key: s.key, Open: s.open})
		s.done.Store(true)
		if err != nil {
			return fmt.Errorf("layer %s: %w", s.key, err)
		}
		return nil
	})
}

// sectionBlob is a Blob.Open over a blob at known offsets of a file: it
// can be opened any number of times, but only during its LayerFunc call
// (the file is closed when Read returns).
type sectionBlob struct {
	blobAt
	r io.ReaderAt
	// done is set when the LayerFunc call returned; a reader may be used
	// by a goroutine the call started.
	done atomic.Bool
}

func (s *sectionBlob) open() (io.ReadCloser, error) {
	if s.done.Load() {
		return nil, fmt.Errorf("open layer %s: open blobs only inside the LayerFunc call", s.key)
	}
	return &sectionReader{s: s}, nil
}

// sectionReader reads one blob with ReadAt, so readers of different blobs
// share the file without sharing a file offset.
type sectionReader struct {
	s   *sectionBlob
	pos int64
}

func (r *sectionReader) Read(p []byte) (int, error) {
	s := r.s
	if s.done.Load() {
		return 0, fmt.Errorf("read layer %s: read after the LayerFunc call returned", s.key)
	}
	rem := s.size - r.pos
	if rem <= 0 {
		return 0, io.EOF
	}
	if int64(len(p)) > rem {
		p = p[:rem]
	}
	n, err := s.r.ReadAt(p, s.off+r.pos)
	r.pos += int64(n)
	switch {
	case n == len(p):
		// ReadAt may say io.EOF with the last bytes; the next Read does.
		return n, nil
	case errors.Is(err, io.EOF):
		// The file shrank after it was indexed.
		return n, fmt.Errorf("archive is truncated in layer %s: %w", s.key, io.ErrUnexpectedEOF)
	}
	return n, err
}

func (r *sectionReader) Close() error { return nil }

// FileSection returns the file and offsets of the blob's unread bytes, so
// a reader may map them instead of reading (layerfs.FileSection): only
// before the first Read, and only over an *os.File.
func (r *sectionReader) FileSection() (f *os.File, off, size int64, ok bool) {
	f, ok = r.s.r.(*os.File)
	if !ok || r.pos != 0 || r.s.done.Load() {
		return nil, 0, 0, false
	}
	return f, r.s.off, r.s.size, true
}
