package layerfs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"hash"
	"io"
)

// hashBufSize and hashBufs bound the memory of one hashReader: at most
// hashBufs buffers of hashBufSize bytes are alive at once.
const (
	hashBufSize = 256 << 10
	hashBufs    = 4
)

// hashReader reads src in large chunks and hashes every byte it returns on a
// separate goroutine, so hashing overlaps with whatever parses the stream.
// Buffers are handed to the hasher as soon as they are filled and recycled
// in FIFO order once hashed; the reader only recycles a buffer after it has
// consumed it, which is always true for the oldest hashed buffer.
//
// It deliberately does not implement io.Seeker: archive/tar would then skip
// entry bodies by seeking, and the skipped bytes would not be hashed.
type hashReader struct {
	ctx     context.Context
	src     io.Reader
	h       hash.Hash
	work    chan []byte
	hashed  chan []byte
	done    chan struct{}
	alloc   int
	cur     []byte
	off     int
	err     error
	n       int64 // bytes returned so far
	closed  bool
	summary string
}

func newHashReader(ctx context.Context, src io.Reader) *hashReader {
	r := &hashReader{
		ctx:    ctx,
		src:    src,
		h:      sha256.New(),
		work:   make(chan []byte, hashBufs),
		hashed: make(chan []byte, hashBufs),
		done:   make(chan struct{}),
	}
	go func() {
		defer close(r.done)
		for b := range r.work {
			r.h.Write(b)
			r.hashed <- b[:cap(b)]
		}
	}()
	return r
}

// peek returns up to n bytes (n <= hashBufSize) without consuming them.
func (r *hashReader) peek(n int) []byte {
	if len(r.cur)-r.off < n && r.err == nil && r.off == len(r.cur) {
		r.fillMin(n)
	}
	return r.cur[r.off:min(len(r.cur), r.off+n)]
}

func (r *hashReader) fill() { r.fillMin(1) }

// fillMin replaces the (consumed) current buffer with at least minBytes new
// bytes, fewer only at the end of the stream.
func (r *hashReader) fillMin(minBytes int) {
	if err := r.ctx.Err(); err != nil {
		r.err = err
		return
	}
	var buf []byte
	if r.alloc < hashBufs {
		buf = make([]byte, hashBufSize)
		r.alloc++
	} else {
		buf = <-r.hashed
	}
	// Like io.ReadAtLeast, but a short stream keeps the source's own error
	// (io.EOF stays io.EOF: the parser reports what is missing).
	n := 0
	var err error
	for n < minBytes && err == nil {
		var m int
		m, err = r.src.Read(buf[n:])
		n += m
	}
	if n > 0 {
		r.work <- buf[:n]
		r.cur, r.off = buf[:n], 0
	} else {
		r.hashed <- buf // keep the pool intact; hashed has room for every buffer
		r.cur, r.off = nil, 0
	}
	if err != nil {
		r.err = err
	}
}

// Read implements io.Reader.
func (r *hashReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	if r.off >= len(r.cur) {
		if r.err != nil {
			return 0, r.err
		}
		r.fill()
		if len(r.cur) == 0 {
			return 0, r.err
		}
	}
	n := copy(p, r.cur[r.off:])
	r.off += n
	r.n += int64(n)
	return n, nil
}

// ReadByte implements io.ByteReader so decompressors need no extra buffer.
func (r *hashReader) ReadByte() (byte, error) {
	if r.off >= len(r.cur) {
		if r.err != nil {
			return 0, r.err
		}
		r.fill()
		if len(r.cur) == 0 {
			return 0, r.err
		}
	}
	b := r.cur[r.off]
	r.off++
	r.n++
	return b, nil
}

// WriteTo implements io.WriterTo so draining copies straight from buffers.
func (r *hashReader) WriteTo(w io.Writer) (int64, error) {
	var total int64
	for {
		if r.off < len(r.cur) {
			n, err := w.Write(r.cur[r.off:])
			r.off += n
			r.n += int64(n)
			total += int64(n)
			if err != nil {
				return total, err
			}
			continue
		}
		if r.err != nil {
			if r.err == io.EOF {
				return total, nil
			}
			return total, r.err
		}
		r.fill()
	}
}

// sum stops the hasher and returns "sha256:<hex>" of every byte read from
// src. Bytes fetched from src but not yet returned by Read are included, so
// callers drain the reader first. Safe to call more than once.
func (r *hashReader) sum() string {
	r.close()
	if r.summary == "" {
		r.summary = "sha256:" + hex.EncodeToString(r.h.Sum(nil))
	}
	return r.summary
}

// close stops the hashing goroutine and waits for it.
func (r *hashReader) close() {
	if r.closed {
		return
	}
	r.closed = true
	close(r.work)
	<-r.done
}
