package layerfs

import (
	"context"
	"io/fs"
	"sync"

	"github.com/customs-scanner/customs/internal/inventory"
)

// A layer's wanted files are prepared (Options.Prepare: the secret scan,
// identifying binaries) on a goroutine of their own, the preparer, while
// the parser reads on. Inline, every large executable held the parser,
// and with it the decompressor of a gzip layer (its read-ahead fills in a
// few milliseconds) or the reading of a plain one, so one core idled
// while the other examined the file.
//
// The preparer owns Layer.Files, Layer.Errors and the captured budget
// while it runs: the parser sends it every change to them in tar order
// (a file to keep, an entry that replaces an earlier one, a hard link to a
// kept file, an error), so the layer comes out as if prepared inline.
//
// Memory stays bounded: a file of up to ringFile bytes is read into a ring
// of ringSize bytes, released as the preparer is done with each file; a
// larger one into the one large buffer (captureBudget.scratch), which the
// parser takes again only once the preparer (and, for a lent read, the
// hasher) is done with the file before. So the parser runs ahead by at
// most ringSize bytes of small files and one large file.

const (
	// ringFile is the largest file read into the ring.
	ringFile = 256 << 10
	// ringSize is the ring's size: small files in flight.
	ringSize = 2 << 20
	// prepQueue bounds the changes in flight (small files, errors, ...).
	prepQueue = 1024
)

type prepKind uint8

const (
	prepKeep prepKind = iota // prepare data and keep the result
	prepDrop                 // a later entry replaces path
	prepLink                 // path is a hard link to target
	prepFail                 // record err
)

// prepOp is one change to the layer, applied by the preparer in order.
type prepOp struct {
	kind         prepKind
	path, target string
	mode         fs.FileMode
	data         []byte
	ringEnd      int64 // data is the ring's up to this offset; 0: not the ring
	large        bool  // data is the large buffer: give it back after
	inPlace      bool  // data is a mapped layer's: say when done with it
	err          inventory.FileError
}

// preparer applies prepOps on its own goroutine.
type preparer struct {
	ctx  context.Context
	ops  chan prepOp
	done chan struct{}
	ring ring
	// large holds a token while the large buffer is free to be written.
	large chan struct{}
	// sent are the paths a kept file may be recorded under (prepKeep and
	// prepLink sent): only these need a prepDrop when replaced.
	sent map[string]bool
	// ip is the layer read in place, if it is.
	ip *inPlace
}

func newPreparer(ctx context.Context, l *Layer, b *captureBudget, opts Options, ip *inPlace) *preparer {
	p := &preparer{
		ctx:   ctx,
		ops:   make(chan prepOp, prepQueue),
		done:  make(chan struct{}),
		large: make(chan struct{}, 1),
		sent:  map[string]bool{},
		ip:    ip,
	}
	p.ring.cond.L = &p.ring.mu
	p.large <- struct{}{}
	go func() {
		defer close(p.done)
		if ip != nil {
			defer faultsPanic()()
		}
		for op := range p.ops {
			p.apply(l, b, op, opts)
		}
	}()
	return p
}

func (p *preparer) apply(l *Layer, b *captureBudget, op prepOp, opts Options) {
	if op.inPlace {
		defer p.ip.done()
		defer func() { p.ip.guard(recover()) }()
	}
	switch op.kind {
	case prepKeep:
		if p.ctx.Err() == nil { // cancelled: the layer is thrown away
			keep(l, b, op.path, op.mode, op.data, opts)
		}
		switch {
		case op.large:
			p.large <- struct{}{}
		case op.ringEnd != 0:
			p.ring.free(op.ringEnd)
		}
	case prepDrop:
		delete(l.Files, op.path)
	case prepLink:
		if data, ok := l.Files[op.target]; ok {
			l.Files[op.path] = data
		}
	case prepFail:
		l.Errors = append(l.Errors, op.err)
	}
}

// stop waits until every change sent is applied; the preparer's memory
// is released after.
func (p *preparer) stop() {
	if p.ops == nil {
		return
	}
	close(p.ops)
	<-p.done
	p.ops = nil
	if p.ring.mapped {
		unmapScratch(p.ring.buf)
	}
	p.ring.buf, p.ring.mapped = nil, false
}

// ring is a FIFO arena: alloc takes bytes at its head, waiting until the
// preparer has freed enough at its tail.
type ring struct {
	mu         sync.Mutex
	cond       sync.Cond
	buf        []byte
	mapped     bool
	head, tail int64 // bytes taken and freed since the start, with padding
}

// alloc returns n (<= ringSize) bytes and the offset to free them up to.
func (r *ring) alloc(n int) ([]byte, int64) {
	if r.buf == nil {
		// Off the Go heap where the platform allows, as the large
		// buffer: on the heap, the collector's target (GOGC 400) would
		// grow by five times the ring.
		if r.buf = mapScratch(ringSize); r.buf != nil {
			r.mapped = true
		} else {
			r.buf = make([]byte, ringSize)
		}
	}
	size := int64(len(r.buf))
	r.mu.Lock()
	defer r.mu.Unlock()
	pos, need := r.head%size, int64(n)
	if pos+need > size {
		need += size - pos // the rest of the lap stays unused
		pos = 0
	}
	for size-(r.head-r.tail) < need {
		r.cond.Wait()
	}
	r.head += need
	return r.buf[pos : pos+int64(n) : pos+int64(n)], r.head
}

// free gives back everything taken up to end.
func (r *ring) free(end int64) {
	r.mu.Lock()
	r.tail = end
	r.mu.Unlock()
	r.cond.Signal()
}
