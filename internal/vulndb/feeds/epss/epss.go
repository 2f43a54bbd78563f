// Package epss imports the daily Exploit Prediction Scoring System scores
// published by FIRST (https://www.first.org/epss/data_stats):
// epss_scores-YYYY-MM-DD.csv.gz.
package epss

import (
	"bufio"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"time"

	"github.com/customs-scanner/customs/internal/vulndb/feeds/errlist"

	"github.com/customs-scanner/customs/internal/vulndb"
)

const (
	// maxLine bounds one line; real rows are under 40 bytes.
	maxLine = 64 << 10
)

// RowError is a row that could not be read; Import skips it.
type RowError struct {
	Line int // 1-based line number in the (decompressed) file
	Err  error
}

func (e *RowError) Error() string { return fmt.Sprintf("line %d: %v", e.Line, e.Err) }
func (e *RowError) Unwrap() error { return e.Err }

// Import reads an EPSS scores CSV, plain or gzip-compressed (told by its
// magic bytes), and adds one score per row to sink. The file is
//
//	#model_version:v2025.03.14,score_date:2025-08-25T00:00:00+0000
//	cve,epss,percentile
//	CVE-1999-0001,0.0038,0.7307
//
// Every EPSS's Date is the comment's score_date (as YYYY-MM-DD); files
// without the comment (before 2022) take the YYYY-MM-DD in the file's name,
// and without either Import fails. Columns are found by header name; cve and
// epss are required, percentile is optional.
//
// It returns the number of scores added. A row with a bad CVE ID or a score
// outside [0, 1] is skipped and reported as a *RowError in the returned
// error (errors.Join'ed, at most 100 listed). A bad header, an unreadable
// file, a sink error or a cancelled ctx stop the import.
func Import(ctx context.Context, path string, sink vulndb.EPSSSink) (int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, fmt.Errorf("import epss: %w", err)
	}
	defer f.Close()
	im := &importer{errs: errlist.List{Noun: "row errors"}, sink: sink}
	if err := im.read(ctx, path, f); err != nil {
		return im.added, fmt.Errorf("import epss %s: %w", path, err)
	}
	return im.added, im.err()
}

type importer struct {
	sink  vulndb.EPSSSink
	added int
	errs  errlist.List
}

func (im *importer) fail(line int, err error) {
	im.errs.Add(&RowError{Line: line, Err: err})
}

func (im *importer) err() error {
	return im.errs.Err()
}

var nameDate = regexp.MustCompile(`\d{4}-\d{2}-\d{2}`)

func (im *importer) read(ctx context.Context, path string, r io.Reader) error {
	br := bufio.NewReaderSize(r, 64<<10)
	if magic, _ := br.Peek(2); bytes.Equal(magic, []byte{0x1f, 0x8b}) {
		zr, err := gzip.NewReader(br)
		if err != nil {
			return err
		}
		defer zr.Close()
		br = bufio.NewReaderSize(zr, 64<<10)
	}
	sc := bufio.NewScanner(br)
	sc.Buffer(make([]byte, 0, 4096), maxLine)
	line := 0
	next := func() (string, bool) {
		if !sc.Scan() {
			return "", false
		}
		line++
		return strings.TrimRight(sc.Text(), "\r"), true
	}

	first, ok := next()
	if !ok {
		if err := sc.Err(); err != nil {
			return err
		}
		return errors.New("empty file")
	}
	first = strings.TrimPrefix(first, "\ufeff")
	date := ""
	header := first
	if strings.HasPrefix(first, "#") {
		var err error
		if date, err = scoreDate(first); err != nil {
			return err
		}
		if header, ok = next(); !ok {
			if err := sc.Err(); err != nil {
				return err
			}
			return errors.New("no header line")
		}
	}
	if date == "" {
		date = nameDate.FindString(filepath.Base(path))
		if _, err := time.Parse(time.DateOnly, date); err != nil {
			return errors.New("no score_date in the first line nor a date in the file name")
		}
	}
	cveCol, scoreCol, pctCol := -1, -1, -1
	cols := strings.Split(header, ",")
	for i, c := range cols {
		switch strings.TrimSpace(c) {
		case "cve":
			cveCol = i
		case "epss":
			scoreCol = i
		case "percentile":
			pctCol = i
		}
	}
	if cveCol < 0 || scoreCol < 0 {
		return fmt.Errorf("header %q: want columns cve and epss", header)
	}

	fields := make([]string, 0, len(cols))
	for {
		s, ok := next()
		if !ok {
			break
		}
		if line%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if s == "" {
			continue
		}
		fields = splitComma(fields[:0], s)
		e, err := row(fields, cveCol, scoreCol, pctCol)
		if err != nil {
			im.fail(line, err)
			continue
		}
		e.Date = date
		if err := im.sink.AddEPSS(ctx, e); err != nil {
			return fmt.Errorf("%s: %w", e.CVE, err)
		}
		im.added++
	}
	if err := sc.Err(); err != nil {
		return fmt.Errorf("line %d: %w", line+1, err)
	}
	return ctx.Err()
}

// scoreDate reads the date of "#model_version:v2025.03.14,score_date:2025-08-25T00:00:00+0000".
func scoreDate(comment string) (string, error) {
	for _, kv := range strings.Split(strings.TrimPrefix(comment, "#"), ",") {
		k, v, ok := strings.Cut(kv, ":")
		if !ok || strings.TrimSpace(k) != "score_date" {
			continue
		}
		v = strings.TrimSpace(v)
		if len(v) >= 10 {
			if _, err := time.Parse(time.DateOnly, v[:10]); err == nil {
				return v[:10], nil
			}
		}
		return "", fmt.Errorf("bad score_date %q", v)
	}
	return "", nil
}

func splitComma(dst []string, s string) []string {
	for {
		i := strings.IndexByte(s, ',')
		if i < 0 {
			return append(dst, s)
		}
		dst = append(dst, s[:i])
		s = s[i+1:]
	}
}

func row(f []string, cveCol, scoreCol, pctCol int) (vulndb.EPSS, error) {
	var e vulndb.EPSS
	if cveCol >= len(f) || scoreCol >= len(f) || (pctCol >= 0 && pctCol >= len(f)) {
		return e, fmt.Errorf("%d fields, want %d", len(f), max(cveCol, scoreCol, pctCol)+1)
	}
	e.CVE = strings.TrimSpace(f[cveCol])
	if !isCVE(e.CVE) {
		return e, fmt.Errorf("bad CVE ID %q", e.CVE)
	}
	var err error
	if e.Score, err = probability(f[scoreCol]); err != nil {
		return e, fmt.Errorf("%s: epss: %w", e.CVE, err)
	}
	if pctCol >= 0 {
		if e.Percentile, err = probability(f[pctCol]); err != nil {
			return e, fmt.Errorf("%s: percentile: %w", e.CVE, err)
		}
	}
	return e, nil
}

func probability(s string) (float64, error) {
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return 0, err
	}
	if !(v >= 0 && v <= 1) { // also NaN
		return 0, fmt.Errorf("%v outside [0, 1]", v)
	}
	return v, nil
}

// isCVE reports whether s is "CVE-YYYY-NNNN" with four or more digits.
func isCVE(s string) bool {
	if len(s) < 13 || !strings.HasPrefix(s, "CVE-") || s[8] != '-' {
		return false
	}
	for i := 4; i < len(s); i++ {
		if i != 8 && (s[i] < '0' || s[i] > '9') {
			return false
		}
	}
	return true
}
