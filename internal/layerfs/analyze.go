package layerfs

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strings"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/customs-scanner/customs/internal/inventory"
)

const (
	// DefaultMaxFileSize caps one captured file when Options.MaxFileSize is
	// 0: as large as binary identification reads (binary.MaxSize), since
	// Go programs of 64 MiB and more are common (customs' own is one) and a
	// skipped one hides its modules and standard library.
	DefaultMaxFileSize = 256 << 20
	// DefaultMaxTotalSize caps all captured content of one layer when
	// Options.MaxTotalSize is 0, so a decompression bomb of many wanted
	// files cannot exhaust memory.
	DefaultMaxTotalSize = 512 << 20
	// MaxZstdWindow bounds the zstd decoder's window (and so its memory).
	// Layers written with `zstd --long=27` or larger are rejected.
	MaxZstdWindow = 64 << 20

	whiteoutPrefix = ".wh."
	whiteoutOpaque = ".wh..wh..opq"

	// readChunk is the first allocation when capturing a file, so a header
	// that lies about its size in a truncated stream costs little.
	readChunk = 1 << 20
)

var (
	gzipMagic = []byte{0x1f, 0x8b}
	zstdMagic = []byte{0x28, 0xb5, 0x2f, 0xfd}
)

// Analyze reads one layer stream once: plain tar, gzip or zstd (sniffed
// from the first bytes). It computes Digest over the bytes as stored and
// DiffID over the uncompressed tar stream while parsing, records every
// entry's metadata, the OCI whiteouts and opaque directories
// (https://github.com/opencontainers/image-spec/blob/main/layer.md#whiteouts),
// and keeps the content of regular files that opts.Wants selects.
//
// Unsafe entries (paths escaping the root) and oversize wanted files become
// Layer.Errors; a corrupt or truncated stream is an error. Empty input is an
// empty layer.
func Analyze(ctx context.Context, r io.Reader, opts Options) (*Layer, error) {
	if ip := mapLayer(r); ip != nil {
		return analyzeInPlace(ctx, ip, opts)
	}
	br := bufio.NewReaderSize(r, 64<<10)
	magic, _ := br.Peek(4)
	compressed := bytes.HasPrefix(magic, gzipMagic) || bytes.HasPrefix(magic, zstdMagic)

	l := &Layer{Files: map[string][]byte{}}
	if !compressed {
		// Plain tar: the stored bytes are the tar stream, one hash serves both.
		raw := newHashReader(ctx, br)
		defer raw.close()
		if err := analyzeTar(ctx, raw, opts, l); err != nil {
			return nil, err
		}
		if _, err := io.Copy(io.Discard, raw); err != nil {
			return nil, fmt.Errorf("read layer: drain: %w", err)
		}
		l.DiffID = raw.sum()
		l.Digest = l.DiffID
		return l, nil
	}

	var (
		stored io.Reader = br
		raw    *hashReader
	)
	if !opts.SkipDigest {
		raw = newHashReader(ctx, br)
		defer raw.close()
		stored = raw
	}
	var (
		stream  io.Reader // decompressed tar stream
		closeFn func()
	)
	if bytes.HasPrefix(magic, gzipMagic) {
		zr, err := gzip.NewReader(stored)
		if err != nil {
			return nil, fmt.Errorf("read layer: gzip: %w", err)
		}
		stream, closeFn = zr, func() { zr.Close() }
	} else {
		zr, err := zstd.NewReader(stored,
			zstd.WithDecoderConcurrency(1),
			zstd.WithDecoderLowmem(true),
			zstd.WithDecoderMaxWindow(MaxZstdWindow),
			zstd.WithDecoderMaxMemory(MaxZstdWindow))
		if err != nil {
			return nil, fmt.Errorf("read layer: zstd: %w", err)
		}
		stream, closeFn = zr, zr.Close
	}
	defer closeFn()
	// Decompression runs ahead on its own goroutine (it is most of the
	// work of a gzip layer); the hash of the tar stream on a third, over
	// the same buffers.
	ahead := newReadAhead(stream, 2)
	defer ahead.close()
	dec := newAheadHashReader(ctx, ahead)
	defer dec.close()
	if err := analyzeTar(ctx, dec, opts, l); err != nil {
		return nil, err
	}
	if _, err := io.Copy(io.Discard, dec); err != nil {
		return nil, fmt.Errorf("read layer: drain after tar end: %w", err)
	}
	ahead.close() // the decompressor is done with stored
	if _, err := io.Copy(io.Discard, stored); err != nil {
		return nil, fmt.Errorf("read layer: drain: %w", err)
	}
	l.DiffID = dec.sum()
	if raw != nil {
		l.Digest = raw.sum()
	}
	return l, nil
}

// analyzeInPlace is Analyze of a plain layer mapped from its file.
func analyzeInPlace(ctx context.Context, ip *inPlace, opts Options) (*Layer, error) {
	defer ip.unmap()
	defer faultsPanic()()
	raw := newInPlaceHashReader(ctx, ip)
	l, err := parseInPlace(ctx, raw, ip, opts)
	raw.close() // the hasher is done with the mapping
	if fault := ip.faulted(); fault != nil {
		return nil, fault
	}
	if err != nil {
		return nil, err
	}
	l.DiffID = raw.sum()
	l.Digest = l.DiffID
	return l, nil
}

// parseInPlace parses and drains a mapped layer; a memory fault ends it
// and is kept in ip.
func parseInPlace(ctx context.Context, raw *hashReader, ip *inPlace, opts Options) (l *Layer, err error) {
	defer func() { ip.guard(recover()) }()
	l = &Layer{Files: map[string][]byte{}}
	if err := analyzeTar(ctx, raw, opts, l); err != nil {
		return nil, err
	}
	if _, err := io.Copy(io.Discard, raw); err != nil {
		return nil, fmt.Errorf("read layer: drain: %w", err)
	}
	return l, nil
}

// cleanPath turns a tar name into a root-relative clean path. ok is false
// when the path escapes the root; "." is the root itself.
func cleanPath(name string) (p string, ok bool) {
	for {
		switch {
		case strings.HasPrefix(name, "/"):
			name = name[1:]
		case strings.HasPrefix(name, "./"):
			name = name[2:]
		default:
			p = path.Clean(name)
			if p == ".." || strings.HasPrefix(p, "../") {
				return p, false
			}
			return p, true
		}
	}
}

type captureBudget struct {
	maxFile, left int64
	// scratch is reused for the files Prepare turns into something else,
	// so reading a layer's binaries allocates (and zeroes) one buffer, not
	// one per file.
	scratch []byte
	// mapped is set when scratch is mapScratch's, released by release.
	mapped bool
	// lent, when set, returns once the reader is done with the buffers
	// it read file bodies into (hashReader.lendMin): before scratch is
	// written again.
	lent func()
	// prep, when set, prepares and keeps files on its own goroutine
	// (see preparer); it then owns Layer.Files, Layer.Errors and left.
	prep *preparer
	// inPlace, when set, returns the next size bytes of a layer read in
	// place (hashReader.inPlaceBody), or nil.
	inPlace func(size int64) []byte
}

func analyzeTar(ctx context.Context, r *hashReader, opts Options, l *Layer) error {
	// Files of up to ringFile bytes are copied out of the reader's buffers
	// into the ring; larger ones are read straight into scratch.
	r.lendMin = ringFile + 1
	budget := captureBudget{maxFile: opts.MaxFileSize, left: opts.MaxTotalSize, lent: r.wait}
	defer budget.release()
	if opts.Prepare != nil {
		if r.ip != nil {
			budget.inPlace = r.inPlaceBody
		}
		budget.prep = newPreparer(ctx, l, &budget, opts, r.ip)
		defer budget.prep.stop() // before release: it may read scratch
	}
	if budget.maxFile <= 0 {
		budget.maxFile = DefaultMaxFileSize
	}
	if budget.left <= 0 {
		budget.left = DefaultMaxTotalSize
	}
	tr := tar.NewReader(tarStream{r})
	skip := newSkipper(opts.Skip)
	prev := ""
	for {
		if err := ctx.Err(); err != nil {
			return err
		}
		hdr, err := tr.Next()
		if errors.Is(err, tar.ErrInsecurePath) && hdr != nil {
			err = nil // we clean and check paths ourselves
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return ctxErr
			}
			if errors.Is(err, io.EOF) {
				err = io.ErrUnexpectedEOF
			}
			if prev == "" {
				return fmt.Errorf("read layer: %w in first tar header", err)
			}
			return fmt.Errorf("read layer: %w in tar entry %q", err, prev)
		}
		prev = hdr.Name
		if err := addEntry(tr, hdr, opts, skip, &budget, l); err != nil {
			if ctxErr := ctx.Err(); ctxErr != nil {
				return ctxErr
			}
			return fmt.Errorf("read layer: %w in tar entry %q", err, hdr.Name)
		}
	}
}

func fileErr(p, format string, args ...any) inventory.FileError {
	return inventory.FileError{Path: p, Err: fmt.Sprintf(format, args...)}
}

// addEntry records one tar entry; only errors reading the stream are returned.
func addEntry(tr *tar.Reader, hdr *tar.Header, opts Options, skip *skipper, b *captureBudget, l *Layer) error {
	switch hdr.Typeflag {
	case tar.TypeXGlobalHeader, tar.TypeGNULongName, tar.TypeGNULongLink:
		return nil // metadata records, already folded in by archive/tar
	}
	p, ok := cleanPath(hdr.Name)
	if !ok {
		b.fail(l, fileErr(hdr.Name, "skipped: path escapes the root"))
		return nil
	}
	if p == "." {
		return nil // the root directory itself
	}
	dir, base := path.Split(p)
	dir = strings.TrimSuffix(dir, "/")
	if dir == "" {
		dir = "."
	}
	if base == whiteoutOpaque {
		l.Opaque = append(l.Opaque, dir)
		return nil
	}
	if strings.HasPrefix(base, whiteoutPrefix) {
		name := base[len(whiteoutPrefix):]
		if name == "" || name == "." || name == ".." {
			b.fail(l, fileErr(p, "skipped: invalid whiteout name"))
			return nil
		}
		l.Whiteouts = append(l.Whiteouts, path.Join(dir, name))
		return nil
	}

	if skip != nil && skip.entry(l, p, hdr.Typeflag == tar.TypeDir) {
		return nil // archive/tar discards the body on Next
	}
	b.drop(l, p) // a later entry for the same path replaces the earlier one
	e := Entry{
		Path: p,
		Mode: hdr.FileInfo().Mode(),
		Size: hdr.Size,
		UID:  hdr.Uid,
		GID:  hdr.Gid,
	}
	switch hdr.Typeflag {
	case tar.TypeSymlink:
		e.Linkname = hdr.Linkname
	case tar.TypeLink:
		target, ok := cleanPath(hdr.Linkname)
		if !ok || target == "." {
			b.fail(l, fileErr(p, "skipped: hard link target %q escapes the root", hdr.Linkname))
			return nil
		}
		e.Hardlink, e.Linkname, e.Size = true, target, 0
		if opts.Wants != nil && opts.Wants(p, e.Mode) {
			// The target's body was streamed earlier; only its captured
			// content can be shared. Otherwise the merged FS reports
			// ErrNotCaptured for this path.
			b.link(l, p, target)
		}
	}
	l.Entries = append(l.Entries, e)

	if !e.Mode.IsRegular() || e.Hardlink || opts.Wants == nil || !opts.Wants(p, e.Mode) {
		return nil // archive/tar discards the body through our hashing reader on Next
	}
	if !b.admits(l, p, e.Mode, e.Size, opts) {
		return nil
	}
	if b.prep != nil {
		return b.prepare(tr, p, e.Mode, e.Size, plainBody(hdr))
	}
	data, err := readBody(tr, e.Size)
	if err != nil {
		return err
	}
	keep(l, b, p, e.Mode, data, opts)
	return nil
}

// prepare reads a wanted file into the ring or the large buffer and sends
// it to the preparer; the body of a layer read in place is handed over
// where it lies, and archive/tar then skips it.
func (b *captureBudget) prepare(tr io.Reader, p string, mode fs.FileMode, size int64, plain bool) error {
	op := prepOp{kind: prepKeep, path: p, mode: mode}
	if plain && b.inPlace != nil {
		if op.data = b.inPlace(size); op.data != nil {
			op.inPlace = true
			b.prep.sent[p] = true
			b.prep.ops <- op
			return nil
		}
	}
	if size <= ringFile {
		op.data, op.ringEnd = b.prep.ring.alloc(int(size))
	} else {
		<-b.prep.large // the preparer is done with the last large file
		if b.lent != nil {
			b.lent() // and so is the hasher
		}
		if cap(b.scratch) > maxScratch {
			// A buffer larger than that was the rare file's own.
			b.release()
		}
		b.grow(size)
		op.data, op.large = b.scratch[:size], true
	}
	if _, err := io.ReadFull(tr, op.data); err != nil {
		return unexpected(err)
	}
	b.prep.sent[p] = true
	b.prep.ops <- op
	return nil
}

// fail records a per-file error.
func (b *captureBudget) fail(l *Layer, fe inventory.FileError) {
	if b.prep != nil {
		b.prep.ops <- prepOp{kind: prepFail, err: fe}
		return
	}
	l.Errors = append(l.Errors, fe)
}

// drop forgets the captured content of p, which a later entry replaces.
func (b *captureBudget) drop(l *Layer, p string) {
	if b.prep == nil {
		delete(l.Files, p)
		return
	}
	if b.prep.sent[p] {
		delete(b.prep.sent, p)
		b.prep.ops <- prepOp{kind: prepDrop, path: p}
	}
}

// link shares the captured content of target, if any, with p.
func (b *captureBudget) link(l *Layer, p, target string) {
	if b.prep == nil {
		if data, ok := l.Files[target]; ok {
			l.Files[p] = data
		}
		return
	}
	if b.prep.sent[target] {
		b.prep.sent[p] = true
		b.prep.ops <- prepOp{kind: prepLink, path: p, target: target}
	}
}

// grow makes scratch hold at least n bytes: off the Go heap where the
// platform allows (mapScratch), at least doubling, so the few files of a
// layer that are each larger than the last cost one buffer, not one each;
// exactly n bytes above maxScratch, since such a buffer is released before
// the next file (captureBudget.prepare).
func (b *captureBudget) grow(n int64) {
	if int64(cap(b.scratch)) >= n {
		return
	}
	size := max(n, 2*int64(cap(b.scratch)))
	size = min(max(size, minScratch), max(n, b.maxFile))
	if n > maxScratch {
		size = n // released after the file: no room to grow into
	}
	size = (size + scratchRound - 1) &^ (scratchRound - 1)
	b.release()
	if m := mapScratch(int(size)); m != nil {
		b.scratch, b.mapped = m, true
		return
	}
	b.scratch = make([]byte, n)
}

// release waits for the reader to be done with scratch and frees it.
func (b *captureBudget) release() {
	if b.lent != nil {
		b.lent()
	}
	if b.mapped {
		unmapScratch(b.scratch)
	}
	b.scratch, b.mapped = nil, false
}

// minScratch and scratchRound size the mapped read buffer.
const (
	minScratch   = 1 << 20
	scratchRound = 64 << 10
)

// admits reports whether a wanted file of this size is read; a size limit
// that skips it records a FileError in l.
func (b *captureBudget) admits(l *Layer, p string, mode fs.FileMode, size int64, opts Options) bool {
	if size > min(largeFile, b.maxFile) && opts.WantsLarge != nil && !opts.WantsLarge(p, mode, size) {
		return false // only extractors that ignore a file this large want it
	}
	if size > b.maxFile {
		b.fail(l, fileErr(p, "skipped: larger than %d bytes (%d)", b.maxFile, size))
		return false
	}
	if opts.Prepare == nil && size > b.left {
		b.fail(l, fileErr(p, "skipped: captured content of the layer would exceed %d bytes", b.left))
		return false
	}
	return true
}

// largeFile is the size above which a wanted file is offered to
// Options.WantsLarge before it is read.
const largeFile = 1 << 20

// maxScratch is the largest read buffer kept from one prepared file to
// the next; rare larger files get a buffer of their own. A mapped buffer
// is taken off the soft memory limit (reserve), so keeping one of tens of
// MB (a directory of compilers) costs heap room, not peak RSS: releasing
// buffers over 16 MiB after each file cost 0.1-0.25 s of system time on
// the large bench image (faulting them in again) and no less peak RSS
// (118-119 MB against 113-116 MB, load 4).
const maxScratch = 64 << 20

// keep stores a wanted file's content, prepared if the options say so,
// within the layer's budget.
func keep(l *Layer, b *captureBudget, p string, mode fs.FileMode, data []byte, opts Options) {
	if opts.Prepare != nil {
		prepared, err := opts.Prepare(p, mode, data)
		if err != nil {
			l.Errors = append(l.Errors, fileErr(p, "%v", err))
			return
		}
		if prepared == nil {
			return
		}
		data = prepared
	}
	if int64(len(data)) > b.left {
		l.Errors = append(l.Errors, fileErr(p, "skipped: captured content of the layer would exceed %d bytes", b.left))
		return
	}
	b.left -= int64(len(data))
	l.Files[p] = data
}

// readBody reads exactly size bytes. It allocates the full size only after
// the first chunk arrived, so a lying header in a short stream stays cheap.
func readBody(r io.Reader, size int64) ([]byte, error) {
	first := min(size, readChunk)
	buf := make([]byte, first, first)
	if _, err := io.ReadFull(r, buf); err != nil {
		return nil, unexpected(err)
	}
	if size == first {
		return buf, nil
	}
	full := make([]byte, size)
	copy(full, buf)
	if _, err := io.ReadFull(r, full[first:]); err != nil {
		return nil, unexpected(err)
	}
	return full, nil
}

// plainBody reports whether an entry's body is its content as stored:
// a regular file, not sparse.
func plainBody(h *tar.Header) bool {
	if h.Typeflag != tar.TypeReg && h.Typeflag != tar.TypeRegA {
		return false
	}
	for k := range h.PAXRecords {
		if strings.HasPrefix(k, "GNU.sparse.") {
			return false
		}
	}
	return true
}

func unexpected(err error) error {
	if err == io.EOF {
		return io.ErrUnexpectedEOF
	}
	return err
}
