package layerfs

import (
	"bytes"
	"fmt"
	"os"
	"runtime"
	"runtime/debug"
	"sync"
	"sync/atomic"
)

// A layer stored uncompressed in a regular file (a docker-archive's
// layer.tar, read at its offsets) is read in place: Analyze maps it
// read-only, and the parser, the hasher and the preparer work on the
// file's pages where they lie. Read with pread, every byte of the layer
// was copied into a buffer first, and the buffers of large files faulted
// in fresh pages: on the bench's 1.2 GB archives that copying was most
// of the parser's time and of the scan's system time.
//
// The mapping costs memory only in a window: pages every reader has
// passed are dropped (released) as the parse goes on, and the parser
// runs at most inPlaceAhead bytes ahead of the file the preparer works
// on, as it ran at most a ring and one large buffer ahead before.

// FileSection is implemented by a layer reader whose bytes, from its
// current position, are size bytes of f from offset off; ok is false
// when they are not (Analyze then reads it).
type FileSection interface {
	FileSection() (f *os.File, off, size int64, ok bool)
}

const (
	// inPlaceChunk is how much of the mapping the parser takes at a
	// time and hands to the hasher.
	inPlaceChunk = 1 << 20
	// inPlaceAhead bounds how far past the file the preparer works on
	// the parser may read.
	inPlaceAhead = 16 << 20
	// inPlaceRelease is the least the parser releases at once.
	inPlaceRelease = 4 << 20
)

// inPlace is a layer's bytes mapped from its file.
type inPlace struct {
	data []byte // the layer
	m    fileMap

	// hashed is the offset the hasher is done with.
	hashed atomic.Int64

	mu   sync.Mutex
	cond sync.Cond
	// bodies are the files sent to the preparer and not yet done with,
	// in order.
	bodies []span
	// freed is the offset up to which pages were released.
	freed int64
	// fault is the first memory fault taken reading the mapping.
	fault error
}

type span struct{ start, end int64 }

// mapLayer maps the plain layer that r reads in place, or returns nil: r
// is not a FileSection, the layer is compressed (read as a stream), the
// platform cannot map files, or the file is shorter than the section.
func mapLayer(r any) *inPlace {
	fsec, ok := r.(FileSection)
	if !ok {
		return nil
	}
	f, off, size, ok := fsec.FileSection()
	if !ok || size <= 0 {
		return nil
	}
	fi, err := f.Stat()
	if err != nil || !fi.Mode().IsRegular() || fi.Size() < off+size {
		return nil
	}
	magic := make([]byte, len(zstdMagic))
	n, _ := f.ReadAt(magic, off)
	if magic = magic[:min(n, int(size))]; bytes.HasPrefix(magic, gzipMagic) || bytes.HasPrefix(magic, zstdMagic) {
		return nil
	}
	m, data := mapFile(f, off, size)
	if data == nil {
		return nil
	}
	p := &inPlace{data: data, m: m}
	p.cond.L = &p.mu
	reserve(inPlaceWindow)
	return p
}

// inPlaceWindow is what a mapped layer holds in memory at most, besides
// the files the preparer holds: the parser's lead and the hasher's queue.
// Mapped pages count in the process's RSS but not in the Go heap, so this
// and every large file in flight are taken off the soft memory limit
// (reserve), as the buffers of a layer that is read are.
const inPlaceWindow = inPlaceAhead + (hashBufs+1)*inPlaceChunk + inPlaceRelease

// unmap releases the mapping; nothing may read it after.
func (p *inPlace) unmap() {
	if p.data == nil {
		return
	}
	p.m.unmap()
	p.data = nil
	reserve(-inPlaceWindow)
}

// chunk returns the next bytes for the parser at offset at, waiting while
// that would put it more than inPlaceAhead past the oldest file the
// preparer holds. It releases what every reader has passed, parsed being
// the offset the parser is done with.
func (p *inPlace) chunk(at, parsed int64) []byte {
	end := min(at+inPlaceChunk, int64(len(p.data)))
	p.mu.Lock()
	for len(p.bodies) > 0 && end > p.bodies[0].end+inPlaceAhead {
		p.cond.Wait()
	}
	low := parsed
	if len(p.bodies) > 0 {
		low = min(low, p.bodies[0].start)
	}
	p.mu.Unlock()
	low = min(low, p.hashed.Load())
	if low-p.freed >= inPlaceRelease {
		p.freed = p.m.release(p.freed, low)
	}
	p.m.populate(at, end)
	return p.data[at:end:end]
}

// body returns size bytes from offset at, a file's content to hand to the
// preparer, which calls done once it is finished with them; nil when the
// layer ends before.
func (p *inPlace) body(at, size int64) []byte {
	if size > int64(len(p.data))-at {
		return nil
	}
	if size > inPlaceChunk {
		reserve(size)
	}
	p.mu.Lock()
	p.bodies = append(p.bodies, span{at, at + size})
	p.mu.Unlock()
	return p.data[at : at+size : at+size]
}

// done says the preparer is finished with the oldest body.
func (p *inPlace) done() {
	p.mu.Lock()
	b := p.bodies[0]
	p.bodies = p.bodies[1:]
	p.mu.Unlock()
	p.cond.Signal()
	if size := b.end - b.start; size > inPlaceChunk {
		reserve(-size)
	}
}

// guard turns a memory fault reading the mapping (the file was truncated
// while it was read) into an error kept in p, on the goroutine that calls
// it deferred after guarding. Any other panic goes on: it is a bug, not
// the archive.
func (p *inPlace) guard(recovered any) {
	if recovered == nil {
		return
	}
	// A fault's panic value is a runtime.Error with an Addr method
	// (debug.SetPanicOnFault).
	if err, ok := recovered.(interface {
		runtime.Error
		Addr() uintptr
	}); ok && p != nil {
		p.mu.Lock()
		if p.fault == nil {
			p.fault = fmt.Errorf("read layer in place: %w (was the archive changed while it was read?)", err)
		}
		p.mu.Unlock()
		return
	}
	panic(recovered)
}

// faulted returns the fault taken reading the mapping, if any.
func (p *inPlace) faulted() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fault
}

// faultsPanic makes memory faults on the calling goroutine panics that
// guard recovers, until the returned func restores the setting.
func faultsPanic() func() {
	old := debug.SetPanicOnFault(true)
	return func() { debug.SetPanicOnFault(old) }
}
