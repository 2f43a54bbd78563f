// Package kev imports CISA's Known Exploited Vulnerabilities catalog
// (https://www.cisa.gov/known-exploited-vulnerabilities-catalog) in its
// JSON or CSV form.
package kev

import (
	"bufio"
	"context"
	"encoding/csv"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"strings"
	"time"

	"github.com/customs-scanner/customs/internal/vulndb/feeds/errlist"
	"github.com/customs-scanner/customs/internal/vulndb/feeds/feedio"

	"github.com/customs-scanner/customs/internal/vulndb"
)

const (
	// maxEntrySize bounds the bytes of one catalog entry (real ones are
	// under 2 KB).
	maxEntrySize = 1 << 20
)

// EntryError is a catalog entry that could not be read; Import skips it.
type EntryError struct {
	Index int // 0-based position in the catalog; -1 for the whole file
	CVE   string
	Err   error
}

func (e *EntryError) Error() string {
	if e.Index < 0 {
		return e.Err.Error()
	}
	if e.CVE != "" {
		return fmt.Sprintf("entry %d (%s): %v", e.Index, e.CVE, e.Err)
	}
	return fmt.Sprintf("entry %d: %v", e.Index, e.Err)
}

func (e *EntryError) Unwrap() error { return e.Err }

// Import reads the KEV catalog at path, known_exploited_vulnerabilities.json
// (schema https://www.cisa.gov/sites/default/files/feeds/known_exploited_vulnerabilities_schema.json)
// or known_exploited_vulnerabilities.csv, told apart by the first byte, and
// adds every entry to sink. It returns the number of entries added.
//
// An entry without a CVE ID ("CVE-YYYY-N...") or with a dateAdded or
// dueDate that is not YYYY-MM-DD (dueDate may be empty) is skipped and
// reported as an *EntryError in the returned error (errors.Join'ed, at most
// 100 listed), as is a JSON catalog whose "count" differs from the entries
// read (a truncated download). A file that cannot be opened or parsed as a
// whole, a sink error or a cancelled ctx stop the import.
func Import(ctx context.Context, path string, sink vulndb.KEVSink) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("import kev: %w", err)
	}
	defer f.Close()
	im := &importer{errs: errlist.List{Noun: "entry errors"}, sink: sink}
	br := bufio.NewReader(f)
	first, err := feedio.FirstByte(br)
	if err == nil {
		if first == '{' {
			err = im.json(ctx, br)
		} else {
			err = im.csv(ctx, br)
		}
	}
	if err != nil {
		return im.added, fmt.Errorf("import kev %s: %w", path, err)
	}
	return im.added, im.err()
}

type importer struct {
	sink  vulndb.KEVSink
	added int
	errs  errlist.List
}

func (im *importer) fail(i int, cve string, err error) {
	im.errs.Add(&EntryError{Index: i, CVE: cve, Err: err})
}

func (im *importer) err() error {
	return im.errs.Err()
}

var cveID = regexp.MustCompile(`^CVE-\d{4}-\d{4,}$`)

func validDate(s string) bool {
	_, err := time.Parse(time.DateOnly, s)
	return err == nil
}

// add checks and stores one entry; only a sink or ctx error is returned.
func (im *importer) add(ctx context.Context, i int, k vulndb.KEV) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	k.CVE = strings.TrimSpace(k.CVE)
	switch {
	case !cveID.MatchString(k.CVE):
		im.fail(i, "", fmt.Errorf("bad cveID %q", k.CVE))
		return nil
	case !validDate(k.DateAdded):
		im.fail(i, k.CVE, fmt.Errorf("bad dateAdded %q", k.DateAdded))
		return nil
	case k.DueDate != "" && !validDate(k.DueDate):
		im.fail(i, k.CVE, fmt.Errorf("bad dueDate %q", k.DueDate))
		return nil
	}
	if err := im.sink.AddKEV(ctx, k); err != nil {
		return fmt.Errorf("%s: %w", k.CVE, err)
	}
	im.added++
	return nil
}

// json streams the catalog object's "vulnerabilities" array.
func (im *importer) json(ctx context.Context, r io.Reader) error {
	w := feedio.NewWindow(r, maxEntrySize, "entry")
	dec := json.NewDecoder(w)
	if _, err := dec.Token(); err != nil { // '{', checked by the caller
		return err
	}
	count, n, seen := -1, 0, false
	for dec.More() {
		w.Reset()
		tok, err := dec.Token()
		if err != nil {
			return err
		}
		switch tok {
		case "vulnerabilities":
			seen = true
			if tok, err := dec.Token(); err != nil || tok != json.Delim('[') {
				return fmt.Errorf("vulnerabilities: want an array (%v)", err)
			}
			for ; dec.More(); n++ {
				w.Reset()
				var k vulndb.KEV
				if err := dec.Decode(&k); err != nil {
					var te *json.UnmarshalTypeError
					if !errors.As(err, &te) {
						return fmt.Errorf("entry %d: %w", n, err)
					}
					im.fail(n, "", err)
					continue
				}
				if err := im.add(ctx, n, k); err != nil {
					return err
				}
			}
			if _, err := dec.Token(); err != nil {
				return err
			}
		case "count":
			if err := dec.Decode(&count); err != nil {
				return fmt.Errorf("count: %w", err)
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return err
			}
		}
	}
	if _, err := dec.Token(); err != nil {
		return err
	}
	if !seen {
		return errors.New("no vulnerabilities array: not a KEV catalog")
	}
	if count >= 0 && count != n {
		im.fail(-1, "", fmt.Errorf("catalog count is %d but it holds %d entries", count, n))
	}
	return nil
}

// csv reads the CSV form; columns are found by their header names.
func (im *importer) csv(ctx context.Context, r io.Reader) error {
	cr := csv.NewReader(r)
	cr.FieldsPerRecord = -1
	header, err := cr.Read()
	if err != nil {
		return fmt.Errorf("csv header: %w", err)
	}
	col := map[string]int{}
	for i, h := range header {
		col[strings.TrimSpace(h)] = i
	}
	for _, need := range []string{"cveID", "dateAdded"} {
		if _, ok := col[need]; !ok {
			return fmt.Errorf("csv header has no %s column: not a KEV catalog", need)
		}
	}
	for i := 0; ; i++ {
		rec, err := cr.Read()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		get := func(name string) string {
			if j, ok := col[name]; ok && j < len(rec) {
				return rec[j]
			}
			return ""
		}
		k := vulndb.KEV{
			CVE:                        get("cveID"),
			VendorProject:              get("vendorProject"),
			Product:                    get("product"),
			Name:                       get("vulnerabilityName"),
			DateAdded:                  get("dateAdded"),
			DueDate:                    get("dueDate"),
			RequiredAction:             get("requiredAction"),
			KnownRansomwareCampaignUse: get("knownRansomwareCampaignUse"),
		}
		if err := im.add(ctx, i, k); err != nil {
			return err
		}
	}
}
