package nvd

import (
	"archive/zip"
	"compress/gzip"
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
	// maxRecordSize bounds the JSON bytes of one CVE (the largest NVD
	// records, with thousands of CPE matches, are a few MB).
	maxRecordSize = 64 << 20
)

// RecordError is a record (or file) that could not be read; Import skips it
// and goes on.
type RecordError struct {
	Path string // file, zip entry ("x.zip:y.json"), or file[index] in a page
	Err  error
}

func (e *RecordError) Error() string { return e.Path + ": " + e.Err.Error() }
func (e *RecordError) Unwrap() error { return e.Err }

// Import reads NVD CVE API 2.0 JSON from path and adds one advisory per CVE
// to sink. path is one of:
//
//   - a response page ({"format":"NVD_CVE","version":"2.0",
//     "vulnerabilities":[{"cve":{...}}]}), plain or gzip-compressed
//     (.gz), streamed one CVE at a time;
//   - a file holding one "cve" object ({"id":"CVE-...",...}), as mirrors
//     that split the pages per CVE write them;
//   - a directory walked for such *.json and *.json.gz files (names
//     starting with a dot passed over);
//   - a .zip of them.
//
// It returns the number of advisories passed to sink.Add. A CVE that cannot
// be read is skipped and reported as a *RecordError in the returned error
// (errors.Join'ed, at most 100 listed) beside the count of the good ones; a
// file that is not JSON loses the rest of that file. An unreadable path or
// zip, a sink error or a cancelled ctx stop the import.
func Import(ctx context.Context, path string, sink vulndb.Sink) (int, error) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, fmt.Errorf("import nvd: %w", err)
	}
	im := &importer{errs: errlist.List{Noun: "record errors"}, sink: sink}
	switch {
	case st.IsDir():
		err = im.dir(ctx, path)
	case strings.EqualFold(filepath.Ext(path), ".zip"):
		err = im.zip(ctx, path)
	default:
		err = im.file(ctx, path)
	}
	if err != nil {
		return im.added, fmt.Errorf("import nvd %s: %w", path, err)
	}
	return im.added, im.err()
}

type importer struct {
	sink  vulndb.Sink
	added int
	errs  errlist.List
}

func (im *importer) fail(path string, err error) {
	im.errs.Add(&RecordError{Path: path, Err: err})
}

func (im *importer) err() error {
	return im.errs.Err()
}

func isRecordName(name string) bool {
	n := strings.ToLower(name)
	return strings.HasSuffix(n, ".json") || strings.HasSuffix(n, ".json.gz")
}

func (im *importer) dir(ctx context.Context, dir string) error {
	return feedio.Walk(ctx, dir, isRecordName, func(p string) error { return im.file(ctx, p) })
}

func (im *importer) file(ctx context.Context, path string) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	return im.read(ctx, path, f)
}

// read decompresses a .gz name and streams the document.
func (im *importer) read(ctx context.Context, name string, r io.Reader) error {
	if strings.EqualFold(filepath.Ext(name), ".gz") {
		zr, err := gzip.NewReader(r)
		if err != nil {
			im.fail(name, err)
			return nil
		}
		defer zr.Close()
		r = zr
	}
	return im.stream(ctx, name, r)
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
		rc, err := zf.Open()
		if err != nil {
			im.fail(name, err)
			continue
		}
		err = im.read(ctx, name, rc)
		rc.Close()
		if err != nil {
			return err
		}
	}
	return nil
}

// stream reads one JSON document: an API 2.0 page, streamed CVE by CVE,
// or one CVE object. Only a sink error or ctx's is returned.
func (im *importer) stream(ctx context.Context, name string, r io.Reader) error {
	w := feedio.NewWindow(r, maxRecordSize, "record")
	dec := json.NewDecoder(w)
	if tok, err := dec.Token(); err != nil {
		im.fail(name, err)
		return nil
	} else if tok != json.Delim('{') {
		im.fail(name, errors.New("want a JSON object (an NVD API 2.0 page or a CVE)"))
		return nil
	}
	fields := map[string]json.RawMessage{}
	page := false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			im.fail(name, err)
			return nil
		}
		key, _ := tok.(string)
		switch key {
		case "vulnerabilities":
			page = true
			ok, err := im.vulnerabilities(ctx, name, dec, w)
			if err != nil || !ok {
				return err
			}
		case "CVE_Items":
			im.fail(name, errors.New("NVD JSON 1.1 feed (CVE_Items) is not supported: use the CVE API 2.0"))
			return nil
		default:
			var raw json.RawMessage
			if err := dec.Decode(&raw); err != nil {
				im.fail(name, err)
				return nil
			}
			fields[key] = raw
		}
	}
	if _, err := dec.Token(); err != nil { // the closing brace
		im.fail(name, err)
		return nil
	}
	if page {
		return nil
	}
	if _, ok := fields["id"]; !ok {
		if _, ok := fields["resultsPerPage"]; ok {
			return nil // a page without results
		}
		im.fail(name, errors.New("neither an NVD API 2.0 page nor a CVE object"))
		return nil
	}
	b, err := json.Marshal(fields)
	if err != nil {
		im.fail(name, err)
		return nil
	}
	var c cve
	if err := json.Unmarshal(b, &c); err != nil {
		im.fail(name, err)
		return nil
	}
	return im.add(ctx, name, &c)
}

// vulnerabilities streams the page's array. ok is false when the rest of
// the document cannot be read.
func (im *importer) vulnerabilities(ctx context.Context, name string, dec *json.Decoder, w *feedio.Window) (ok bool, err error) {
	if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
		im.fail(name, fmt.Errorf("vulnerabilities: want an array (%v)", err))
		return false, nil
	}
	for i := 0; dec.More(); i++ {
		if err := ctx.Err(); err != nil {
			return false, err
		}
		w.Reset()
		item := fmt.Sprintf("%s[%d]", name, i)
		var v struct {
			CVE *cve `json:"cve"`
		}
		if err := dec.Decode(&v); err != nil {
			var te *json.UnmarshalTypeError
			if errors.As(err, &te) { // the decoder skipped the value: go on
				im.fail(item, err)
				continue
			}
			im.fail(item, err)
			return false, nil
		}
		if v.CVE == nil {
			im.fail(item, errors.New("vulnerability without a cve object"))
			continue
		}
		if err := im.add(ctx, item, v.CVE); err != nil {
			return false, err
		}
	}
	if _, err := dec.Token(); err != nil {
		im.fail(name, err)
		return false, nil
	}
	return true, nil
}

func (im *importer) add(ctx context.Context, name string, c *cve) error {
	a, err := convert(c)
	if err != nil {
		im.fail(name, err)
		return nil
	}
	if err := im.sink.Add(ctx, a); err != nil {
		return fmt.Errorf("%s: %w", name, err)
	}
	im.added++
	return nil
}
