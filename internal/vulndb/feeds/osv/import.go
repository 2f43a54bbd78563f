package osv

import (
	"archive/zip"
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/customs-scanner/customs/internal/vulndb/feeds/errlist"
	"github.com/customs-scanner/customs/internal/vulndb/feeds/feedio"

	"github.com/customs-scanner/customs/internal/vulndb"
)

const (
	// maxRecordSize bounds one .json file or zip entry. The largest records
	// on osv.dev (Linux kernel advisories of distributions) are a few MB.
	maxRecordSize = 32 << 20
	// maxArraySize bounds a .json file holding an array of records.
	maxArraySize = 1 << 30
)

// Import reads OSV records from path and adds them to sink. path is one of:
//
//   - a .zip file, such as osv.dev's per-ecosystem all.zip: every *.json
//     entry is one record (entries are streamed, each limited to 32 MiB);
//   - a directory: walked for *.json files, one record each, and *.yaml
//     or *.yml files, one record each in YAML (the PyPA advisory database);
//     names starting with a dot (.git) are skipped;
//   - a .json file holding one record, or an array of records; a .yaml file
//     holding one record.
//
// Records with nothing to match on (see Parse) are skipped silently.
// It returns the number of advisories passed to sink.Add. A record that
// cannot be read (bad JSON, no id, too large) is skipped and reported as a
// *RecordError in the returned error (errors.Join'ed, at most 100 listed)
// beside the count of the good ones; so is a record imported without a CVSS
// vector that does not parse (its RecordError wraps a *VectorError). An unreadable path or zip, a sink error
// or a cancelled ctx stop the import.
func Import(ctx context.Context, path string, sink vulndb.Sink) (int, error) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, fmt.Errorf("import osv: %w", err)
	}
	im := &importer{errs: errlist.List{Noun: "record errors"}, sink: sink, limit: maxRecordSize}
	switch {
	case st.IsDir():
		err = im.dir(ctx, path)
	case strings.EqualFold(filepath.Ext(path), ".zip"):
		err = im.zip(ctx, path)
	default:
		err = im.file(ctx, path)
	}
	if err != nil {
		return im.added, fmt.Errorf("import osv %s: %w", path, err)
	}
	return im.added, im.err()
}

type importer struct {
	sink  vulndb.Sink
	limit int64 // bytes per record
	added int
	errs  errlist.List
}

func (im *importer) fail(path string, err error) {
	im.errs.Add(&RecordError{Path: path, Err: err})
}

func (im *importer) err() error {
	return im.errs.Err()
}

func isYAML(name string) bool {
	ext := strings.ToLower(filepath.Ext(name))
	return ext == ".yaml" || ext == ".yml"
}

func isRecordName(name string) bool {
	return isYAML(name) || strings.EqualFold(filepath.Ext(name), ".json")
}

// add converts and stores one record (JSON, or YAML by the name's
// extension); only a sink error is returned.
func (im *importer) add(ctx context.Context, path string, b []byte) error {
	parse := Parse
	if isYAML(path) {
		parse = ParseYAML
	}
	a, err := parse(b)
	if err != nil {
		// Beside an advisory the error only lists vectors left out.
		im.fail(path, err)
	}
	if a == nil {
		return nil
	}
	if err := im.sink.Add(ctx, a); err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	im.added++
	return nil
}

func (im *importer) dir(ctx context.Context, dir string) error {
	return feedio.Walk(ctx, dir, isRecordName, func(p string) error { return im.file(ctx, p) })
}

// file reads one .json file: a record or an array of records.
func (im *importer) file(ctx context.Context, path string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	br := bufio.NewReader(io.LimitReader(f, maxArraySize))
	first, err := feedio.FirstByte(br)
	if err != nil {
		im.fail(path, err)
		return nil
	}
	if first != '[' {
		b, err := io.ReadAll(io.LimitReader(br, im.limit+1))
		if err != nil {
			return err
		}
		if int64(len(b)) > im.limit {
			im.fail(path, fmt.Errorf("record larger than %d bytes", im.limit))
			return nil
		}
		return im.add(ctx, path, b)
	}
	if isYAML(path) {
		im.fail(path, errors.New("yaml file holds an array, want one record"))
		return nil
	}
	dec := json.NewDecoder(br)
	if _, err := dec.Token(); err != nil {
		im.fail(path, err)
		return nil
	}
	for i := 0; dec.More(); i++ {
		if err := ctx.Err(); err != nil {
			return err
		}
		var raw json.RawMessage
		if err := dec.Decode(&raw); err != nil {
			im.fail(fmt.Sprintf("%s[%d]", path, i), err)
			return nil
		}
		if err := im.add(ctx, fmt.Sprintf("%s[%d]", path, i), raw); err != nil {
			return err
		}
	}
	return nil
}

func (im *importer) zip(ctx context.Context, path string) error {
	zr, err := zip.OpenReader(path)
	if err != nil {
		return err
	}
	defer zr.Close()
	for _, zf := range zr.File {
		if err := ctx.Err(); err != nil {
			return err
		}
		if zf.FileInfo().IsDir() || !isRecordName(zf.Name) {
			continue
		}
		name := path + ":" + zf.Name
		if zf.UncompressedSize64 > uint64(im.limit) {
			im.fail(name, fmt.Errorf("record larger than %d bytes", im.limit))
			continue
		}
		b, err := readEntry(zf, im.limit)
		if err != nil {
			im.fail(name, err)
			continue
		}
		if err := im.add(ctx, name, b); err != nil {
			return err
		}
	}
	return nil
}

// readEntry reads one zip entry, trusting neither its declared size nor its
// compression ratio.
func readEntry(zf *zip.File, limit int64) ([]byte, error) {
	rc, err := zf.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	return feedio.Read(rc, limit)
}
