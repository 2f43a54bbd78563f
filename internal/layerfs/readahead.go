package layerfs

import (
	"io"
	"sync"
	"sync/atomic"
)

// readAhead calls src's Read (a decompressor's work) on a goroutine of its
// own, up to readAheadBufs buffers ahead of its reader, so that
// decompressing a layer and parsing it use two cores instead of one.
// Errors from src, io.EOF included, reach the reader unchanged after the
// bytes read before them. close stops the goroutine and must be called
// before src is used by anyone else.
//
// A hashReader made by newAheadHashReader takes the buffers themselves
// (next) instead of copies, and hashes them where they are: each buffer
// then has two users, the reader and the hasher, and goes back to be
// filled again when both have released it.
type readAhead struct {
	full  chan chunk
	free  chan *aheadBuf
	stop  chan struct{}
	done  chan struct{}
	once  sync.Once
	users int32

	cur    []byte
	curBuf *aheadBuf
	off    int
	err    error
}

// aheadBuf is one buffer and the count of its users that have not
// released it yet.
type aheadBuf struct {
	b    []byte
	refs atomic.Int32
}

type chunk struct {
	buf *aheadBuf
	n   int
	err error
}

// readAheadBufs and readAheadBufSize bound its memory to 4 MiB per layer.
// With 1 MiB (16 ms of gzip output) the decompressor of the largest layer
// waited whenever the parser or the hasher was not scheduled for that
// long: 0.6-0.8 s of a cold scan of the large bench image at load 3,
// 0.13-0.19 s with 4 MiB.
const (
	readAheadBufs    = 16
	readAheadBufSize = 256 << 10
)

// newReadAhead starts reading src ahead for users users of each buffer:
// 1 for Read, 2 for a hashReader (newAheadHashReader).
func newReadAhead(src io.Reader, users int32) *readAhead {
	r := &readAhead{
		full:  make(chan chunk, readAheadBufs),
		free:  make(chan *aheadBuf, readAheadBufs),
		stop:  make(chan struct{}),
		done:  make(chan struct{}),
		users: users,
	}
	for range readAheadBufs {
		r.free <- &aheadBuf{b: make([]byte, readAheadBufSize)}
	}
	go r.run(src)
	return r
}

func (r *readAhead) run(src io.Reader) {
	defer close(r.done)
	for {
		var buf *aheadBuf
		select {
		case buf = <-r.free:
		case <-r.stop:
			return
		}
		buf.refs.Store(r.users)
		n := 0
		var err error
		for n < len(buf.b) && err == nil {
			var m int
			m, err = src.Read(buf.b[n:])
			n += m
		}
		select {
		case r.full <- chunk{buf, n, err}:
		case <-r.stop:
			return
		}
		if err != nil {
			return
		}
	}
}

// release gives up one user's hold on b; the last one returns it to be
// filled again. It never blocks: free has room for every buffer.
func (r *readAhead) release(b *aheadBuf) {
	if b.refs.Add(-1) == 0 {
		r.free <- b
	}
}

// next returns the next chunk, to a reader that releases its buffer once
// per user. It must not be called after a chunk with an error.
func (r *readAhead) next() chunk { return <-r.full }

func (r *readAhead) Read(p []byte) (int, error) {
	for r.off == len(r.cur) {
		if r.curBuf != nil {
			r.release(r.curBuf)
			r.cur, r.curBuf = nil, nil
		}
		if r.err != nil {
			return 0, r.err
		}
		c := r.next()
		r.cur, r.curBuf, r.off, r.err = c.buf.b[:c.n], c.buf, 0, c.err
	}
	n := copy(p, r.cur[r.off:])
	r.off += n
	return n, nil
}

// close stops the goroutine and waits for it; it is safe to call twice.
func (r *readAhead) close() {
	r.once.Do(func() { close(r.stop) })
	<-r.done
}
