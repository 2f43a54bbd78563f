package layerfs

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"hash"
	"io"
	"sync"
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
// With lendMin set, a Read into a buffer of at least lendMin and
// hashBufSize bytes, when no buffered bytes are left, reads src straight into the caller's buffer
// and hashes it there: the caller then must not write to that buffer
// before wait returns. That saves copying every large file body once.
//
// It does not implement io.Seeker itself (a decompressor could take it for
// a file); tarStream adds the forward seek archive/tar skips bodies with.
type hashReader struct {
	ctx     context.Context
	src     io.Reader
	h       hash.Hash
	work    chan hashJob
	hashed  chan []byte
	lendMin int            // 0: never lend
	lent    sync.WaitGroup // lent buffers not hashed yet
	ahead   *readAhead     // set by newAheadHashReader: src is unused
	ip      *inPlace       // set by newInPlaceHashReader: src is unused
	ipAt    int64          // the offset of ip's next chunk
	curBuf  *aheadBuf      // ahead's buffer that cur is
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
	r := newHashReaderOf(ctx, src, nil)
	go r.hash()
	return r
}

func newHashReaderOf(ctx context.Context, src io.Reader, ip *inPlace) *hashReader {
	return &hashReader{
		ctx:    ctx,
		src:    src,
		ip:     ip,
		h:      sha256.New(),
		work:   make(chan hashJob, hashBufs),
		hashed: make(chan []byte, hashBufs),
		done:   make(chan struct{}),
	}
}

// hash is the hashing goroutine.
func (r *hashReader) hash() {
	defer close(r.done)
	if r.ip != nil {
		defer faultsPanic()()
	}
	for j := range r.work {
		r.hashJob(j)
	}
}

func (r *hashReader) hashJob(j hashJob) {
	if j.inPlace {
		defer func() {
			r.ip.hashed.Store(j.end)
			r.ip.guard(recover())
		}()
	}
	r.h.Write(j.b)
	switch {
	case j.lent:
		r.lent.Done()
	case j.ahead != nil:
		r.ahead.release(j.ahead)
	case j.inPlace:
	default:
		r.hashed <- j.b[:cap(j.b)]
	}
}

// newInPlaceHashReader returns a hashReader of a layer mapped in place:
// it hands out and hashes the mapping's bytes where they are.
func newInPlaceHashReader(ctx context.Context, ip *inPlace) *hashReader {
	r := newHashReaderOf(ctx, nil, ip)
	go r.hash()
	return r
}

// fillInPlace is fill for a reader of a mapped layer: the next chunk of
// the mapping, handed to the hasher too.
func (r *hashReader) fillInPlace() {
	if err := r.ctx.Err(); err != nil {
		r.err = err
		return
	}
	if r.ipAt >= int64(len(r.ip.data)) {
		r.cur, r.off, r.err = nil, 0, io.EOF
		return
	}
	c := r.ip.chunk(r.ipAt, r.n)
	r.ipAt += int64(len(c))
	r.work <- hashJob{b: c, inPlace: true, end: r.ipAt}
	r.cur, r.off = c, 0
}

// inPlaceBody returns the next size bytes of a mapped layer without
// consuming them, for the preparer (see inPlace.body); nil when the layer
// is not mapped or ends before.
func (r *hashReader) inPlaceBody(size int64) []byte {
	if r.ip == nil {
		return nil
	}
	return r.ip.body(r.n, size)
}

// newAheadHashReader returns a hashReader of what ra reads ahead, which
// parses and hashes ra's buffers where they are instead of copying them
// into buffers of its own: ra must have been made for 2 users.
func newAheadHashReader(ctx context.Context, ra *readAhead) *hashReader {
	r := newHashReader(ctx, nil)
	r.ahead = ra
	return r
}

// fillAhead is fill for a reader of ra: it releases the consumed buffer
// and takes ra's next one, handing it to the hasher too.
func (r *hashReader) fillAhead() {
	if err := r.ctx.Err(); err != nil {
		r.err = err
		return
	}
	if r.curBuf != nil {
		r.ahead.release(r.curBuf)
		r.curBuf = nil
	}
	c := r.ahead.next()
	if c.n > 0 {
		r.work <- hashJob{b: c.buf.b[:c.n], ahead: c.buf}
		r.cur, r.off, r.curBuf = c.buf.b[:c.n], 0, c.buf
	} else {
		r.ahead.release(c.buf) // neither the reader nor the hasher uses it
		r.ahead.release(c.buf)
		r.cur, r.off = nil, 0
	}
	if c.err != nil {
		r.err = c.err
	}
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
	if r.ahead != nil {
		r.fillAhead() // ra's buffers are full but for the last
		return
	}
	if r.ip != nil {
		r.fillInPlace() // chunks are full but for the last
		return
	}
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
		r.work <- hashJob{b: buf[:n]}
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
		if r.lendMin > 0 && r.ahead == nil && r.ip == nil && len(p) >= max(r.lendMin, hashBufSize) {
			return r.readLent(p)
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

// hashJob is bytes to hash: one of the reader's buffers, a caller's
// buffer it read into (lent), which is not recycled, or a buffer of a
// readAhead, released to it.
type hashJob struct {
	b     []byte
	lent  bool
	ahead *aheadBuf
	// inPlace: b is a mapped layer's, up to offset end.
	inPlace bool
	end     int64
}

// readLent fills p from src and hands it to the hasher as it is (see
// lend).
func (r *hashReader) readLent(p []byte) (int, error) {
	if err := r.ctx.Err(); err != nil {
		r.err = err
		return 0, err
	}
	n := 0
	var err error
	for n < len(p) && err == nil {
		var m int
		m, err = r.src.Read(p[n:])
		n += m
	}
	if n > 0 {
		r.lent.Add(1)
		r.work <- hashJob{b: p[:n], lent: true}
		r.n += int64(n)
	}
	if err != nil {
		r.err = err
		if n > 0 {
			err = nil // the error comes with the next Read, as fill does
		}
	}
	return n, err
}

// wait returns when every lent buffer has been hashed.
func (r *hashReader) wait() { r.lent.Wait() }

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

// skip consumes up to n bytes without copying them (they are hashed all
// the same) and returns how many there were before the stream ended.
func (r *hashReader) skip(n int64) int64 {
	var done int64
	for done < n {
		if r.off >= len(r.cur) {
			if r.err != nil {
				break
			}
			r.fill()
			continue
		}
		k := min(int64(len(r.cur)-r.off), n-done)
		r.off += int(k)
		r.n += k // as it goes: a mapped layer is released up to r.n
		done += k
	}
	return done
}

// tarStream is a hashReader as archive/tar reads it: the bodies it skips
// are passed over by seeking, which hashes them without copying them out.
type tarStream struct{ *hashReader }

// Seek supports only forward moves from the current position, which is
// the number of bytes consumed. A move past the end of the stream stops
// there without an error: the next Read reports it.
func (t tarStream) Seek(offset int64, whence int) (int64, error) {
	if whence != io.SeekCurrent || offset < 0 {
		return t.n, errors.New("hashReader: only forward seeks from the current position")
	}
	t.skip(offset)
	return t.n, nil
}
