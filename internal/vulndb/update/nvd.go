package update

import (
	"bufio"
	"compress/gzip"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"time"
)

// NVD's CVE API 2.0 (https://nvd.nist.gov/developers/vulnerabilities) is
// paged and rate-limited, and has no validators: update keeps one file per
// CVE (tree/<year>/<id>.json.gz, a bare "cve" object, which the nvd
// importer reads) and asks only for the CVEs modified since the last sync
// (lastModStartDate/lastModEndDate), replacing their files. A record added
// twice to the DB would merge its affected lists, so overlaying delta pages
// on older pages would keep stale ranges; one file per CVE does not.
const (
	// nvdPageSize is the API's maximum resultsPerPage.
	nvdPageSize = 2000
	// nvdMaxRange is the longest lastModStartDate..lastModEndDate range the
	// API accepts (120 days), less a margin; past it update syncs in full.
	nvdMaxRange = 119 * 24 * time.Hour
	// nvdOverlap re-reads a little before the cursor, for records that
	// were being modified while the last sync ran.
	nvdOverlap = 5 * time.Minute
	// maxCVE bounds one CVE object (the largest are a few hundred KB).
	maxCVE = 8 << 20
	// nvdDelay and nvdKeyDelay space requests as NVD asks: 5 requests per
	// rolling 30 s without an API key, 50 with one.
	nvdDelay    = 6 * time.Second
	nvdKeyDelay = 600 * time.Millisecond
)

// nvdState is the NVD sync cursor, kept in the feed's sidecar.
type nvdState struct {
	// Cursor is the lastModEndDate of the last sync that completed: the
	// tree holds every CVE as of then.
	Cursor time.Time `json:"cursor"`
	// Full is when the last full sync started.
	Full time.Time `json:"full"`
	// Records is how many CVE files the tree holds.
	Records int `json:"records"`
	// Checked is when NVD was last asked; Changed when a sync last brought
	// a modified CVE.
	Checked time.Time `json:"checked"`
	Changed time.Time `json:"changed"`
}

// nvdSync is one sync's outcome: CVE files written to a staging tree.
type nvdSync struct {
	full    bool
	staged  string // directory holding <year>/<id>.json.gz; for a full sync, the new tree
	written int
	state   nvdState
}

var cveID = regexp.MustCompile(`^CVE-([0-9]{4})-[0-9]{4,}$`)

// syncNVD fetches the CVEs modified since prev.Cursor (all of them without
// a usable cursor) into a staging directory in dir.
func (u *updater) syncNVD(ctx context.Context, feed Feed, dir string, prev *nvdState, treeOK bool) (*nvdSync, error) {
	now := u.opt.Now().UTC()
	s := &nvdSync{state: nvdState{Cursor: now, Checked: now}}
	var start time.Time
	if prev != nil && treeOK && !prev.Cursor.IsZero() && now.Sub(prev.Cursor) < nvdMaxRange {
		start = prev.Cursor.Add(-nvdOverlap)
		s.state.Full, s.state.Records = prev.Full, prev.Records
	} else {
		s.full = true
		s.state.Full = now
	}
	s.staged = filepath.Join(dir, fmt.Sprintf(".tmp-nvd-%d", time.Now().UnixNano()))
	if err := os.Mkdir(s.staged, 0o755); err != nil {
		return nil, fmt.Errorf("nvd: %w", err)
	}
	delay := nvdDelay
	if u.opt.NVDAPIKey != "" {
		delay = nvdKeyDelay
	}
	for index, total := 0, -1; total < 0 || index < total; {
		if index > 0 {
			if err := u.opt.Sleep(ctx, delay); err != nil {
				os.RemoveAll(s.staged)
				return nil, err
			}
		}
		q := url.Values{}
		q.Set("resultsPerPage", strconv.Itoa(nvdPageSize))
		q.Set("startIndex", strconv.Itoa(index))
		if !start.IsZero() {
			q.Set("lastModStartDate", nvdTime(start))
			q.Set("lastModEndDate", nvdTime(now))
		}
		page := Feed{Name: feed.Name, Base: feed.Base + "?" + q.Encode(), Files: []File{{Name: "page.json"}}, apiKey: u.opt.NVDAPIKey}
		// The key is a secret: keep it out of error messages and logs.
		_, got, err := u.fetchFile(ctx, page, page.Files[0], dir, nil)
		if err != nil {
			os.RemoveAll(s.staged)
			return nil, fmt.Errorf("nvd: %w", err)
		}
		n, pageTotal, err := splitPage(got.tmp, s.staged)
		os.Remove(got.tmp)
		if err != nil {
			os.RemoveAll(s.staged)
			return nil, fmt.Errorf("nvd: page at %d: %w", index, err)
		}
		if total >= 0 && pageTotal != total {
			u.log.Debug("nvd: total changed while paging", "was", total, "now", pageTotal)
		}
		total = pageTotal
		s.written += n
		if n == 0 {
			break // a short or empty page: nothing more to ask for
		}
		index += n
	}
	if s.full {
		s.state.Records = s.written
	}
	return s, nil
}

// nvdTime formats a time as the API wants it: ISO 8601 with milliseconds
// and an explicit offset.
func nvdTime(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000") + "+00:00" }

// splitPage reads an API 2.0 response page at path and writes each CVE to
// dst/<year>/<id>.json.gz. It returns how many it wrote and totalResults.
func splitPage(path, dst string) (int, int, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, 0, err
	}
	defer f.Close()
	zw := gzip.NewWriter(io.Discard) // reused: a writer's tables are large
	return readPage(bufio.NewReaderSize(f, 1<<16), func(id, year string, raw json.RawMessage) error {
		return writeCVE(zw, dst, id, year, raw)
	})
}

// readPage streams an API 2.0 response page and passes each "cve" object,
// with its checked ID and that ID's year, to add. It returns how many it
// passed and totalResults.
func readPage(r io.Reader, add func(id, year string, raw json.RawMessage) error) (int, int, error) {
	dec := json.NewDecoder(r)
	if err := expectDelim(dec, '{'); err != nil {
		return 0, 0, err
	}
	total, n, sawTotal := 0, 0, false
	for dec.More() {
		tok, err := dec.Token()
		if err != nil {
			return n, 0, err
		}
		key, _ := tok.(string)
		switch key {
		case "totalResults":
			if err := dec.Decode(&total); err != nil {
				return n, 0, fmt.Errorf("totalResults: %w", err)
			}
			sawTotal = true
		case "vulnerabilities":
			if err := expectDelim(dec, '['); err != nil {
				return n, 0, fmt.Errorf("vulnerabilities: %w", err)
			}
			for dec.More() {
				var v struct {
					CVE json.RawMessage `json:"cve"`
				}
				if err := dec.Decode(&v); err != nil {
					return n, 0, fmt.Errorf("vulnerabilities[%d]: %w", n, err)
				}
				id, year, err := checkCVE(v.CVE)
				if err == nil {
					err = add(id, year, v.CVE)
				}
				if err != nil {
					return n, 0, fmt.Errorf("vulnerabilities[%d]: %w", n, err)
				}
				n++
			}
			if _, err := dec.Token(); err != nil {
				return n, 0, err
			}
		default:
			var skip json.RawMessage
			if err := dec.Decode(&skip); err != nil {
				return n, 0, err
			}
		}
	}
	if !sawTotal {
		return n, 0, errors.New("not an NVD API 2.0 page: no totalResults")
	}
	return n, total, nil
}

func expectDelim(dec *json.Decoder, want json.Delim) error {
	tok, err := dec.Token()
	if err != nil {
		return err
	}
	if d, ok := tok.(json.Delim); !ok || d != want {
		return fmt.Errorf("want %q, got %v", want, tok)
	}
	return nil
}

// checkCVE returns a "cve" object's ID, which must be CVE-YYYY-N..., and
// its year.
func checkCVE(raw json.RawMessage) (id, year string, err error) {
	if len(raw) > maxCVE {
		return "", "", fmt.Errorf("cve object of %d bytes", len(raw))
	}
	var head struct {
		ID string `json:"id"`
	}
	if err := json.Unmarshal(raw, &head); err != nil {
		return "", "", err
	}
	m := cveID.FindStringSubmatch(head.ID)
	if m == nil {
		return "", "", fmt.Errorf("cve id %.40q", head.ID)
	}
	return head.ID, m[1], nil
}

// writeCVE writes one "cve" object to dst/<year>/<id>.json.gz.
func writeCVE(zw *gzip.Writer, dst, id, year string, raw json.RawMessage) error {
	dir := filepath.Join(dst, year)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	out, err := os.Create(filepath.Join(dir, id+".json.gz"))
	if err != nil {
		return err
	}
	zw.Reset(out)
	_, err = zw.Write(raw)
	if cerr := zw.Close(); err == nil {
		err = cerr
	}
	if cerr := out.Close(); err == nil {
		err = cerr
	}
	return err
}

// mergeDelta moves an incremental sync's files over the tree's, returning
// how many CVEs the tree gained.
func mergeDelta(staged, tree string) (int, error) {
	added := 0
	years, err := os.ReadDir(staged)
	if err != nil {
		return 0, err
	}
	for _, y := range years {
		files, err := os.ReadDir(filepath.Join(staged, y.Name()))
		if err != nil {
			return added, err
		}
		if err := os.MkdirAll(filepath.Join(tree, y.Name()), 0o755); err != nil {
			return added, err
		}
		for _, f := range files {
			dst := filepath.Join(tree, y.Name(), f.Name())
			if _, err := os.Lstat(dst); errors.Is(err, os.ErrNotExist) {
				added++
			}
			if err := os.Rename(filepath.Join(staged, y.Name(), f.Name()), dst); err != nil {
				return added, err
			}
		}
	}
	return added, os.RemoveAll(staged)
}
