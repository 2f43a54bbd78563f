package layerfs

import (
	"io"
	"sync"
)

// readAhead calls src's Read (a decompressor's work) on a goroutine of its
// own, up to readAheadBufs buffers ahead of its reader, so that
// decompressing a layer and parsing it use two cores instead of one.
// Errors from src, io.EOF included, reach the reader unchanged after the
// bytes read before them. close stops the goroutine and must be called
// before src is used by anyone else.
type readAhead struct {
	full chan chunk
	free chan []byte
	stop chan struct{}
	done chan struct{}
	once sync.Once

	cur []byte
	off int
	err error
}

type chunk struct {
	b   []byte
	err error
}

// readAheadBufs and readAheadBufSize bound its memory to 1 MiB per layer.
const (
	readAheadBufs    = 4
	readAheadBufSize = 256 << 10
)

func newReadAhead(src io.Reader) *readAhead {
	r := &readAhead{
		full: make(chan chunk, readAheadBufs),
		free: make(chan []byte, readAheadBufs),
		stop: make(chan struct{}),
		done: make(chan struct{}),
	}
	for range readAheadBufs {
		r.free <- make([]byte, readAheadBufSize)
	}
	go r.run(src)
	return r
}

func (r *readAhead) run(src io.Reader) {
	defer close(r.done)
	for {
		var buf []byte
		select {
		case buf = <-r.free:
		case <-r.stop:
			return
		}
		n := 0
		var err error
		for n < len(buf) && err == nil {
			var m int
			m, err = src.Read(buf[n:])
			n += m
		}
		select {
		case r.full <- chunk{buf[:n], err}:
		case <-r.stop:
			return
		}
		if err != nil {
			return
		}
	}
}

func (r *readAhead) Read(p []byte) (int, error) {
	for r.off == len(r.cur) {
		if r.cur != nil {
			r.free <- r.cur[:cap(r.cur)] // never blocks: free holds every buffer
			r.cur = nil
		}
		if r.err != nil {
			return 0, r.err
		}
		c := <-r.full
		r.cur, r.off, r.err = c.b, 0, c.err
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
