package update

import (
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/vulndb/sqlite"
)

// fakeNVD serves the real vuln-list-update pages as NVD's API would: by
// startIndex for a full listing, and delta (or the empty page) for a
// lastModStartDate query. It records each query.
type fakeNVD struct {
	mu      sync.Mutex
	pages   map[string][]byte // startIndex -> page
	delta   []byte
	fail    int // answer this many requests with 503 first
	queries []url.Values
	keys    []string
}

func (a *fakeNVD) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	a.mu.Lock()
	defer a.mu.Unlock()
	q := r.URL.Query()
	a.queries = append(a.queries, q)
	a.keys = append(a.keys, r.Header.Get("apiKey"))
	if a.fail > 0 {
		a.fail--
		w.WriteHeader(http.StatusServiceUnavailable)
		return
	}
	var body []byte
	if q.Get("lastModStartDate") != "" {
		body = a.delta
	} else {
		body = a.pages[q.Get("startIndex")]
	}
	if body == nil {
		http.NotFound(w, r)
		return
	}
	w.Write(body)
}

func (a *fakeNVD) take() ([]url.Values, []string) {
	a.mu.Lock()
	defer a.mu.Unlock()
	q, k := a.queries, a.keys
	a.queries, a.keys = nil, nil
	return q, k
}

// deltaPage is respPage1's CVE-2020-8167 as NVD would serve it after an
// edit: one result, new lastModified and description.
func deltaPage(t *testing.T) []byte {
	t.Helper()
	var page map[string]any
	if err := json.Unmarshal(readTestdata(t, "nvd/respPage1.json"), &page); err != nil {
		t.Fatal(err)
	}
	vulns := page["vulnerabilities"].([]any)[:1]
	cve := vulns[0].(map[string]any)["cve"].(map[string]any)
	if cve["id"] != "CVE-2020-8167" {
		t.Fatalf("first CVE of respPage1 is %v", cve["id"])
	}
	cve["lastModified"] = "2026-11-20T09:00:00.000"
	cve["descriptions"] = []any{map[string]any{"lang": "en", "value": "Edited upstream. A CSRF vulnerability exists in rails-ujs."}}
	page["vulnerabilities"] = vulns
	page["totalResults"], page["resultsPerPage"] = 1, 1
	b, err := json.Marshal(page)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestUpdateNVD(t *testing.T) {
	api := &fakeNVD{pages: map[string][]byte{
		"0": readTestdata(t, "nvd/respPage1.json"),
		"2": readTestdata(t, "nvd/respPage2.json"),
	}, delta: readTestdata(t, "nvd/emptyResp.json")}
	srv := httptest.NewServer(api)
	defer srv.Close()
	feeds := []Feed{{Name: "nvd", Kind: "nvd", Base: srv.URL + "/rest/json/cves/2.0", NVDAPI: true}}
	e := newEnv(t)
	opts := func() Options {
		o := e.options(feeds)
		o.NVDAPIKey = "k3y"
		return o
	}
	update := func() *Result {
		t.Helper()
		r, err := Update(t.Context(), opts())
		if err != nil {
			t.Fatalf("Update: %v", err)
		}
		return r
	}
	tree := filepath.Join(e.cache, "feeds", "nvd", "tree")
	type query struct{ StartIndex, LastModStart, LastModEnd, Key string }
	queries := func() []query {
		qs, keys := api.take()
		var out []query
		for i, q := range qs {
			if q.Get("resultsPerPage") != "2000" {
				t.Errorf("resultsPerPage = %q", q.Get("resultsPerPage"))
			}
			out = append(out, query{q.Get("startIndex"), q.Get("lastModStartDate"), q.Get("lastModEndDate"), keys[i]})
		}
		return out
	}

	// First update: the full listing, two pages, spaced by the key's delay.
	syncedAt := e.clock.Now() // the cursor is the start of a sync
	r := update()
	if !r.Rebuilt || r.Feeds[0].Outcome != Downloaded || r.Info.Sources[0].Advisories != 3 || r.Info.Sources[0].Path != tree {
		t.Fatalf("full sync: rebuilt %v, %+v, sources %+v", r.Rebuilt, r.Feeds[0], r.Info.Sources)
	}
	if diff := cmp.Diff([]query{{"0", "", "", "k3y"}, {"2", "", "", "k3y"}}, queries()); diff != "" {
		t.Errorf("full sync queries (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]time.Duration{nvdKeyDelay}, e.clock.takeSleeps()); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
	if got := listTree(t, tree); !cmp.Equal(got, []string{"2020/CVE-2020-8167.json.gz", "2021/CVE-2021-22903.json.gz", "2024/CVE-2024-5732.json.gz"}) {
		t.Errorf("tree = %v", got)
	}

	// An hour later nothing changed: one delta query from the cursor (less
	// the overlap) to now, no rebuild.
	e.clock.now = e.clock.now.Add(time.Hour)
	r = update()
	if r.Rebuilt || r.Feeds[0].Outcome != Unchanged {
		t.Errorf("empty delta: rebuilt %v, %+v", r.Rebuilt, r.Feeds[0])
	}
	if diff := cmp.Diff([]query{{"0", nvdTime(syncedAt.Add(-nvdOverlap)), nvdTime(e.clock.Now()), "k3y"}}, queries()); diff != "" {
		t.Errorf("delta queries (-want +got):\n%s", diff)
	}
	if !strings.HasSuffix(nvdTime(syncedAt), "+00:00") {
		t.Errorf("nvdTime = %s, want an explicit offset", nvdTime(syncedAt))
	}

	// NVD edits a CVE: its file is replaced, the DB rebuilt, and the DB
	// holds the new record once, not beside the old one.
	api.mu.Lock()
	api.delta = deltaPage(t)
	api.mu.Unlock()
	e.clock.now = e.clock.now.Add(time.Hour)
	r = update()
	if !r.Rebuilt || r.Feeds[0].Outcome != Downloaded || r.Info.Sources[0].Advisories != 3 {
		t.Fatalf("delta: rebuilt %v, %+v, sources %+v", r.Rebuilt, r.Feeds[0], r.Info.Sources)
	}
	db, err := sqlite.Open(t.Context(), e.db)
	if err != nil {
		t.Fatal(err)
	}
	advs, err := db.ByID(t.Context(), "CVE-2020-8167")
	db.Close()
	if err != nil || len(advs) != 1 || !strings.HasPrefix(advs[0].Details, "Edited upstream.") {
		t.Errorf("CVE-2020-8167 after the delta: %d records, %v", len(advs), err)
	}
	queries()

	// NVD is down: the tree stays, nothing is rebuilt, the error is reported.
	api.mu.Lock()
	api.fail = 3
	api.mu.Unlock()
	e.clock.now = e.clock.now.Add(time.Hour)
	r = update()
	if r.Rebuilt || r.Feeds[0].Outcome != Failed || !r.Feeds[0].Usable || !strings.Contains(r.Feeds[0].Err.Error(), "503") {
		t.Errorf("NVD down: rebuilt %v, %+v", r.Rebuilt, r.Feeds[0])
	}
	queries()
	e.clock.takeSleeps()

	// The cursor is older than the API's 120-day range: a full sync again.
	e.clock.now = e.clock.now.Add(200 * 24 * time.Hour)
	fullAt := e.clock.Now()
	r = update()
	if got := queries(); len(got) != 2 || got[0].LastModStart != "" {
		t.Errorf("stale cursor: queries %+v, want a full listing", got)
	}
	if !r.Rebuilt {
		t.Error("stale cursor: no rebuild")
	}
	st, err := Status(e.cache)
	if err != nil || len(st) != 1 || st[0].Files[0].Size != 3 || !st[0].Checked().Equal(fullAt) {
		t.Errorf("Status = %+v, %v", st, err)
	}
	assertNoLeftovers(t, filepath.Dir(tree))
}

func TestSplitPage(t *testing.T) {
	tests := []struct {
		name      string
		page      []byte
		wantN     int
		wantTotal int
		wantErr   string
	}{
		{name: "page 1", page: readTestdata(t, "nvd/respPage1.json"), wantN: 2, wantTotal: 3},
		{name: "empty", page: readTestdata(t, "nvd/emptyResp.json"), wantN: 0, wantTotal: 0},
		{name: "not a page", page: []byte(`{"cve":{"id":"CVE-2020-8167"}}`), wantErr: "no totalResults"},
		{name: "html", page: []byte(`<html>`), wantErr: "invalid character"},
		{name: "bad id", page: []byte(`{"totalResults":1,"vulnerabilities":[{"cve":{"id":"../../x"}}]}`), wantErr: "cve id"},
		{name: "truncated", page: readTestdata(t, "nvd/respPage1.json")[:3000], wantErr: "unexpected EOF"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			dir := t.TempDir()
			src := filepath.Join(dir, "page.json")
			if err := os.WriteFile(src, tc.page, 0o644); err != nil {
				t.Fatal(err)
			}
			dst := filepath.Join(dir, "out")
			os.Mkdir(dst, 0o755)
			n, total, err := splitPage(src, dst)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("error = %v, want %q", err, tc.wantErr)
				}
				return
			}
			if err != nil || n != tc.wantN || total != tc.wantTotal {
				t.Errorf("splitPage = %d, %d, %v; want %d, %d", n, total, err, tc.wantN, tc.wantTotal)
			}
		})
	}
}

// FuzzReadPage: pages come from the network; every CVE passed on has a
// checked ID.
func FuzzReadPage(f *testing.F) {
	for _, name := range []string{"nvd/respPage1.json", "nvd/respPage2.json", "nvd/emptyResp.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		seen := 0
		n, _, err := readPage(bytes.NewReader(b), func(id, year string, raw json.RawMessage) error {
			seen++
			if !cveID.MatchString(id) || !strings.HasPrefix(id, "CVE-"+year+"-") || !json.Valid(raw) {
				t.Errorf("passed id %q year %q", id, year)
			}
			return nil
		})
		if n != seen {
			t.Errorf("returned %d, passed %d (err %v)", n, seen, err)
		}
	})
}
