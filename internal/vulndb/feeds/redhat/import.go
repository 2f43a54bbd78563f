package redhat

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/customs-scanner/customs/internal/vulndb/feeds/errlist"
	"github.com/customs-scanner/customs/internal/vulndb/feeds/feedio"
	"github.com/klauspost/compress/zstd"
)

// maxDocSize bounds one CSAF document; the largest real ones (kernel
// advisories listing every binary rpm of every architecture) are tens of MB.
const maxDocSize = 128 << 20

// Import reads Red Hat CSAF documents from path and adds their advisories
// (see Parse) to sink. path is one document (.json), a directory (walked
// for *.json, in lexical order, past names starting with a dot), or an
// archive of documents as Red Hat publishes them
// (csaf_vex_2025-12-06.tar.zst; .tar.gz, .tgz and .tar are read too), whose
// *.json entries are read in archive order.
//
// It returns the number of advisories passed to sink.Add. A document that
// cannot be read or parsed is skipped and reported as a *errlist.FileError in the
// returned error (errors.Join'ed, the first 100 kept) beside the count. An
// unreadable path, a broken archive, a sink error or a cancelled ctx stop
// the import.
func Import(ctx context.Context, path string, sink vulndb.Sink) (int, error) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, fmt.Errorf("import red hat csaf: %w", err)
	}
	imp := &importer{sink: sink, errs: errlist.List{Noun: "documents with problems"}}
	switch {
	case st.IsDir():
		err = imp.dir(ctx, path)
	case isArchive(path):
		err = imp.archive(ctx, path)
	default:
		var data []byte
		data, err = feedio.ReadFile(path, maxDocSize)
		if err != nil {
			return 0, fmt.Errorf("import red hat csaf: %w", err)
		}
		err = imp.doc(ctx, path, data)
	}
	if err != nil {
		return imp.added, fmt.Errorf("import red hat csaf %s: %w", path, err)
	}
	return imp.added, imp.err()
}

type importer struct {
	sink  vulndb.Sink
	added int
	errs  errlist.List
}

func (imp *importer) warn(path string, err error) {
	imp.errs.Add(&errlist.FileError{Path: path, Err: err})
}

func (imp *importer) err() error { return imp.errs.Err() }

func isArchive(p string) bool {
	p = strings.ToLower(p)
	for _, ext := range []string{".tar.zst", ".tar.gz", ".tgz", ".tar"} {
		if strings.HasSuffix(p, ext) {
			return true
		}
	}
	return false
}

func isDocName(p string) bool { return strings.EqualFold(filepath.Ext(p), ".json") }

func (imp *importer) dir(ctx context.Context, root string) error {
	return feedio.Walk(ctx, root, isDocName, func(p string) error {
		data, err := feedio.ReadFile(p, maxDocSize)
		if err != nil {
			imp.warn(p, err)
			return nil
		}
		return imp.doc(ctx, p, data)
	})
}

func (imp *importer) archive(ctx context.Context, p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	var r io.Reader = f
	switch lp := strings.ToLower(p); {
	case strings.HasSuffix(lp, ".zst"):
		zr, err := zstd.NewReader(f, zstd.WithDecoderConcurrency(1), zstd.WithDecoderMaxMemory(1<<30))
		if err != nil {
			return err
		}
		defer zr.Close()
		r = zr
	case strings.HasSuffix(lp, ".gz"), strings.HasSuffix(lp, ".tgz"):
		zr, err := gzip.NewReader(f)
		if err != nil {
			return err
		}
		defer zr.Close()
		r = zr
	}
	return feedio.Tar(ctx, r, maxDocSize, isDocName, func(name string, data []byte, err error) error {
		if err != nil {
			imp.warn(p+"!"+name, err)
			return nil
		}
		return imp.doc(ctx, p+"!"+name, data)
	})
}

// doc parses one document and hands its advisories to the sink; only a
// sink error is returned.
func (imp *importer) doc(ctx context.Context, name string, data []byte) error {
	advs, err := Parse(data)
	if err != nil {
		imp.warn(name, err)
		return nil
	}
	for _, a := range advs {
		if err := imp.sink.Add(ctx, a); err != nil {
			return fmt.Errorf("add %s from %s: %w", a.ID, name, err)
		}
		imp.added++
	}
	return nil
}
