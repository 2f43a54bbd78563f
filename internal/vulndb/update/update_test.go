package update

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/atomicfile"
	"github.com/customs-scanner/customs/internal/vulndb/build"
	"github.com/customs-scanner/customs/internal/vulndb/sqlite"
)

// served is one file on the fake upstream.
type served struct {
	body         []byte
	etag         string
	lastModified time.Time
	gzipEncoded  bool // body is gzip, sent with Content-Encoding: gzip
}

// upstream is an httptest server standing in for the feed sites. Each path
// serves a real sample file, honouring If-None-Match and If-Modified-Since
// like the real sites do (through http.ServeContent). Failures can be
// queued per path.
type upstream struct {
	t   *testing.T
	srv *httptest.Server

	mu       sync.Mutex
	files    map[string]served
	fail     map[string][]func(w http.ResponseWriter) // run once each, in order, before serving
	requests map[string][]http.Header
}

func newUpstream(t *testing.T) *upstream {
	t.Helper()
	u := &upstream{t: t, files: map[string]served{}, fail: map[string][]func(http.ResponseWriter){}, requests: map[string][]http.Header{}}
	u.srv = httptest.NewServer(http.HandlerFunc(u.serve))
	t.Cleanup(u.srv.Close)
	return u
}

func (u *upstream) serve(w http.ResponseWriter, r *http.Request) {
	u.mu.Lock()
	u.requests[r.URL.Path] = append(u.requests[r.URL.Path], r.Header.Clone())
	if q := u.fail[r.URL.Path]; len(q) > 0 {
		u.fail[r.URL.Path] = q[1:]
		u.mu.Unlock()
		q[0](w)
		return
	}
	f, ok := u.files[r.URL.Path]
	u.mu.Unlock()
	if !ok {
		http.NotFound(w, r)
		return
	}
	if f.etag != "" {
		w.Header().Set("ETag", f.etag)
	}
	if f.gzipEncoded {
		w.Header().Set("Content-Encoding", "gzip")
	}
	http.ServeContent(w, r, "", f.lastModified, bytes.NewReader(f.body))
}

func (u *upstream) set(path string, f served) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.files[path] = f
}

func (u *upstream) failNext(path string, fs ...func(w http.ResponseWriter)) {
	u.mu.Lock()
	defer u.mu.Unlock()
	u.fail[path] = append(u.fail[path], fs...)
}

// takeRequests returns and forgets the request headers seen for path.
func (u *upstream) takeRequests(path string) []http.Header {
	u.mu.Lock()
	defer u.mu.Unlock()
	r := u.requests[path]
	delete(u.requests, path)
	return r
}

func status(code int, header ...string) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		for i := 0; i+1 < len(header); i += 2 {
			w.Header().Set(header[i], header[i+1])
		}
		w.WriteHeader(code)
	}
}

// truncated announces more bytes than it sends; the server then closes
// the connection, as a dropped transfer does.
func truncated(body []byte) func(w http.ResponseWriter) {
	return func(w http.ResponseWriter) {
		w.Header().Set("Content-Length", fmt.Sprint(len(body)+1000))
		w.WriteHeader(http.StatusOK)
		w.Write(body)
	}
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

var (
	t0 = time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
	t1 = t0.Add(24 * time.Hour)
)

// fixture is an upstream serving the real samples and the feeds pointing
// at it: debian (ETag, gzip transfer), alpine (several files, Last-Modified
// only), osv-go (ETag and Last-Modified) and kev.
func fixture(t *testing.T) (*upstream, []Feed) {
	t.Helper()
	up := newUpstream(t)
	up.set("/tracker/data/json", served{body: readTestdata(t, "debian/bookworm-changelog-derived.json.gz"), etag: `"deb-1"`, gzipEncoded: true})
	up.set("/secdb/v3.11/main.json", served{body: readTestdata(t, "alpine/311-main.json"), lastModified: t0})
	up.set("/secdb/v3.11/community.json", served{body: readTestdata(t, "alpine/311-community.json"), lastModified: t0})
	up.set("/secdb/v3.12/main.json", served{body: readTestdata(t, "alpine/312-main.json"), lastModified: t0})
	up.set("/secdb/edge/main.json", served{body: readTestdata(t, "alpine/edge-main.json"), lastModified: t0})
	up.set("/osv/Go/all.zip", served{body: readTestdata(t, "osv/go-all.zip"), etag: `"go-1"`, lastModified: t0})
	up.set("/kev/known_exploited_vulnerabilities.json", served{body: readTestdata(t, "kev/known_exploited_vulnerabilities.json"), etag: `"kev-1"`})
	up.set("/epss/epss_scores-current.csv.gz", served{body: gz(t, readTestdata(t, "epss/example-1.csv")), etag: `"epss-1"`})
	base := up.srv.URL
	feeds := []Feed{
		{Name: "debian", Kind: "debian-tracker", Base: base + "/tracker/data/json", Files: []File{{Name: "tracker.json"}}},
		{Name: "alpine", Kind: "alpine-secdb", Base: base + "/secdb/", Files: []File{
			{Rel: "v3.11/main.json", Name: "v3.11-main.json"},
			{Rel: "v3.11/community.json", Name: "v3.11-community.json"},
			{Rel: "v3.12/main.json", Name: "v3.12-main.json"},
			{Rel: "edge/main.json", Name: "edge-main.json"},
		}},
		{Name: "osv-go", Kind: "osv", Base: base + "/osv/Go/all.zip", Files: []File{{Name: "all.zip"}}},
		{Name: "kev", Kind: "kev", Base: base + "/kev/known_exploited_vulnerabilities.json", Files: []File{{Name: "known_exploited_vulnerabilities.json"}}},
		{Name: "epss", Kind: "epss", Base: base + "/epss/epss_scores-current.csv.gz", Files: []File{{Name: "epss_scores-current.csv"}}, Unpack: Gunzip},
	}
	return up, feeds
}

// fakeClock is the injected clock and sleep: sleeping advances time and
// records the wait instead of waiting.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	sleeps []time.Duration
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) Sleep(ctx context.Context, d time.Duration) error {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.sleeps = append(c.sleeps, d)
	c.now = c.now.Add(d)
	return ctx.Err()
}

func (c *fakeClock) takeSleeps() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	s := c.sleeps
	c.sleeps = nil
	return s
}

type env struct {
	cache, db string
	clock     *fakeClock
}

func newEnv(t *testing.T) *env {
	t.Helper()
	cache := t.TempDir()
	return &env{cache: cache, db: filepath.Join(cache, "db", "customs.db"), clock: &fakeClock{now: t0}}
}

func (e *env) options(feeds []Feed) Options {
	return Options{
		CacheDir: e.cache, DBPath: e.db, Feeds: feeds,
		Attempts: 3, Backoff: time.Second, MaxWait: 30 * time.Second, Timeout: 5 * time.Second,
		Now: e.clock.Now, Sleep: e.clock.Sleep, Jitter: func() float64 { return 1 },
	}
}

func (e *env) update(t *testing.T, feeds []Feed) *Result {
	t.Helper()
	res, err := Update(t.Context(), e.options(feeds))
	if err != nil {
		t.Fatalf("Update: %v", err)
	}
	return res
}

// outcome is a FeedResult in comparable form.
type outcome struct {
	Name    string
	Outcome string
	Err     bool
	Usable  bool
	Skipped bool
}

func outcomes(r *Result) []outcome {
	var out []outcome
	for _, f := range r.Feeds {
		out = append(out, outcome{f.Name, f.Outcome.String(), f.Err != nil, f.Usable, f.Skipped != ""})
	}
	return out
}

// kindBuilt says whether this build of customs imports a kind (kev and
// epss were added while update was written); the expectations follow.
func kindBuilt(kind string) bool {
	_, err := build.ParseSource(kind + "=x")
	return err == nil
}

func want(o ...outcome) []outcome {
	var out []outcome
	for _, x := range o {
		if (x.Name == "kev" || x.Name == "epss") && !kindBuilt(x.Name) {
			x = outcome{Name: x.Name, Outcome: "unchanged", Skipped: true}
		}
		out = append(out, x)
	}
	return out
}

func TestUpdateConditional(t *testing.T) {
	up, feeds := fixture(t)
	e := newEnv(t)

	// First run: everything is downloaded and the DB built.
	r1 := e.update(t, feeds)
	if diff := cmp.Diff(want(
		outcome{"debian", "downloaded", false, true, false},
		outcome{"alpine", "downloaded", false, true, false},
		outcome{"osv-go", "downloaded", false, true, false},
		outcome{"kev", "downloaded", false, true, false},
		outcome{"epss", "downloaded", false, true, false},
	), outcomes(r1)); diff != "" {
		t.Errorf("first update (-want +got):\n%s", diff)
	}
	if !r1.Rebuilt {
		t.Fatal("first update did not build the DB")
	}
	var gotKinds []string
	for _, s := range r1.Info.Sources {
		gotKinds = append(gotKinds, s.Kind+" "+filepath.Base(s.Path))
		if s.Advisories == 0 && s.Kind != "kev" && s.Kind != "epss" {
			t.Errorf("source %s: no advisories", s.Kind)
		}
	}
	wantKinds := []string{"debian-tracker tracker.json", "alpine-secdb alpine", "osv all.zip"}
	if kindBuilt("kev") {
		wantKinds = append(wantKinds, "kev known_exploited_vulnerabilities.json")
	}
	if kindBuilt("epss") {
		wantKinds = append(wantKinds, "epss epss_scores-current.csv")
	}
	if diff := cmp.Diff(wantKinds, gotKinds); diff != "" {
		t.Errorf("DB sources (-want +got):\n%s", diff)
	}
	// The gzip transfer is stored decoded.
	if b, err := os.ReadFile(filepath.Join(e.cache, "feeds", "debian", "tracker.json")); err != nil || !bytes.HasPrefix(bytes.TrimSpace(b), []byte("{")) {
		t.Errorf("tracker.json not stored as JSON: %v %.20q", err, b)
	}
	firstBuilt := r1.Info.Built
	if kindBuilt("kev") && kindBuilt("epss") {
		db, err := sqlite.Open(t.Context(), e.db)
		if err != nil {
			t.Fatal(err)
		}
		kev, kerr := db.KEV(t.Context(), "CVE-2014-0160")
		epss, eerr := db.EPSS(t.Context(), "CVE-1999-0001")
		db.Close()
		if kerr != nil || kev == nil || eerr != nil || epss == nil {
			t.Errorf("DB lacks the served KEV or EPSS entry: %v %v %v %v", kev, kerr, epss, eerr)
		}
	}
	for _, p := range []string{"/tracker/data/json", "/secdb/v3.11/main.json", "/osv/Go/all.zip"} {
		up.takeRequests(p)
	}

	// Second run: every server answers 304; the DB is left alone.
	e.clock.now = t1
	r2 := e.update(t, feeds)
	if diff := cmp.Diff(want(
		outcome{"debian", "unchanged", false, true, false},
		outcome{"alpine", "unchanged", false, true, false},
		outcome{"osv-go", "unchanged", false, true, false},
		outcome{"kev", "unchanged", false, true, false},
		outcome{"epss", "unchanged", false, true, false},
	), outcomes(r2)); diff != "" {
		t.Errorf("second update (-want +got):\n%s", diff)
	}
	if r2.Rebuilt || !r2.Info.Built.Equal(firstBuilt) {
		t.Errorf("second update rebuilt the DB (Rebuilt %v, built %v, first %v)", r2.Rebuilt, r2.Info.Built, firstBuilt)
	}
	type cond struct{ IfNoneMatch, IfModifiedSince string }
	gotCond := map[string][]cond{}
	for _, p := range []string{"/tracker/data/json", "/secdb/v3.11/main.json", "/osv/Go/all.zip"} {
		for _, h := range up.takeRequests(p) {
			gotCond[p] = append(gotCond[p], cond{h.Get("If-None-Match"), h.Get("If-Modified-Since")})
		}
	}
	lm := t0.Format(http.TimeFormat)
	if diff := cmp.Diff(map[string][]cond{
		"/tracker/data/json":     {{`"deb-1"`, ""}},
		"/secdb/v3.11/main.json": {{"", lm}},
		"/osv/Go/all.zip":        {{`"go-1"`, lm}},
	}, gotCond); diff != "" {
		t.Errorf("conditional request headers (-want +got):\n%s", diff)
	}

	// Status shows the upstream validators and the check time.
	st, err := Status(e.cache)
	if err != nil {
		t.Fatal(err)
	}
	var osvStatus FeedStatus
	for _, s := range st {
		if s.Name == "osv-go" {
			osvStatus = s
		}
	}
	if diff := cmp.Diff(FeedStatus{
		Name: "osv-go", Kind: "osv", Path: filepath.Join(e.cache, "feeds", "osv-go", "all.zip"),
		Files: []FileStatus{{
			Name: "all.zip", URL: up.srv.URL + "/osv/Go/all.zip", LastModified: lm, ETag: `"go-1"`,
			Fetched: t0, Checked: t1, Size: int64(len(readTestdata(t, "osv/go-all.zip"))),
		}},
	}, osvStatus, cmp.FilterPath(func(p cmp.Path) bool { return p.Last().String() == ".SHA256" }, cmp.Ignore())); diff != "" {
		t.Errorf("Status osv-go (-want +got):\n%s", diff)
	}
	if got := osvStatus.LastModified(); !got.Equal(t0) {
		t.Errorf("LastModified() = %v, want %v", got, t0)
	}
	if rs := firstSource(r2, "osv"); rs != osvStatus.Path {
		t.Errorf("DB source path %q, status path %q: the status command cannot join them", rs, osvStatus.Path)
	}

	// Upstream changes one alpine file: only alpine is downloaded again,
	// and the DB is rebuilt.
	up.set("/secdb/v3.12/main.json", served{body: readTestdata(t, "alpine/311-main.json"), lastModified: t1})
	r3 := e.update(t, feeds)
	if diff := cmp.Diff(want(
		outcome{"debian", "unchanged", false, true, false},
		outcome{"alpine", "downloaded", false, true, false},
		outcome{"osv-go", "unchanged", false, true, false},
		outcome{"kev", "unchanged", false, true, false},
		outcome{"epss", "unchanged", false, true, false},
	), outcomes(r3)); diff != "" {
		t.Errorf("third update (-want +got):\n%s", diff)
	}
	if !r3.Rebuilt {
		t.Error("third update did not rebuild the DB")
	}

	// Enabling fewer feeds keeps the others: an update never narrows
	// what the DB holds unless told to (Replace).
	r4 := e.update(t, feeds[1:3])
	var kept []string
	for _, k := range r4.Kept {
		kept = append(kept, fmt.Sprintf("%s copied=%v", k.Feed, k.Copied))
	}
	if diff := cmp.Diff([]string{"debian copied=false", "kev copied=false", "epss copied=false"}, kept); diff != "" {
		t.Errorf("update with fewer feeds: kept (-want +got):\n%s", diff)
	}
	if !r4.Rebuilt || len(r4.Info.Sources) != 5 {
		t.Errorf("update with fewer feeds: rebuilt %v, %d sources; want a rebuild with all 5", r4.Rebuilt, len(r4.Info.Sources))
	}
	opt := e.options(feeds[1:3])
	opt.Replace = true
	r4, err = Update(t.Context(), opt)
	if err != nil || !r4.Rebuilt || len(r4.Info.Sources) != 2 || len(r4.Kept) != 0 {
		t.Errorf("update with fewer feeds, Replace: error %v, rebuilt %v, %d sources, %d kept; want a rebuild with 2", err, r4.Rebuilt, len(r4.Info.Sources), len(r4.Kept))
	}
	// And the DB being replaced behind update's back (customs db build)
	// is noticed.
	if _, err := build.Build(t.Context(), e.db, []build.Source{{Kind: "osv", Path: filepath.Join(e.cache, "feeds", "osv-go", "all.zip")}}, nil); err != nil {
		t.Fatal(err)
	}
	if r5 := e.update(t, feeds[1:3]); !r5.Rebuilt {
		t.Error("update after an outside rebuild did not rebuild")
	}
}

func firstSource(r *Result, kind string) string {
	for _, s := range r.Info.Sources {
		if s.Kind == kind {
			return s.Path
		}
	}
	return ""
}

func TestUpdateRetries(t *testing.T) {
	const path = "/osv/Go/all.zip"
	tests := []struct {
		name       string
		fail       []func(http.ResponseWriter)
		wantOut    string
		wantSleeps []time.Duration
		wantErr    string
		wantReqs   int
	}{
		{
			name:       "503 then 200",
			fail:       []func(http.ResponseWriter){status(503)},
			wantOut:    "downloaded",
			wantSleeps: []time.Duration{time.Second}, // Backoff, jitter 1
			wantReqs:   2,
		},
		{
			name:       "two 502 back off exponentially",
			fail:       []func(http.ResponseWriter){status(502), status(502)},
			wantOut:    "downloaded",
			wantSleeps: []time.Duration{time.Second, 2 * time.Second},
			wantReqs:   3,
		},
		{
			name:       "429 with Retry-After seconds",
			fail:       []func(http.ResponseWriter){status(429, "Retry-After", "7")},
			wantOut:    "downloaded",
			wantSleeps: []time.Duration{7 * time.Second},
			wantReqs:   2,
		},
		{
			name:       "429 with Retry-After date",
			fail:       []func(http.ResponseWriter){status(429, "Retry-After", t0.Add(20*time.Second).Format(http.TimeFormat))},
			wantOut:    "downloaded",
			wantSleeps: []time.Duration{20 * time.Second},
			wantReqs:   2,
		},
		{
			name:       "Retry-After capped at MaxWait",
			fail:       []func(http.ResponseWriter){status(503, "Retry-After", "3600")},
			wantOut:    "downloaded",
			wantSleeps: []time.Duration{30 * time.Second},
			wantReqs:   2,
		},
		{
			name:     "404 is not retried",
			fail:     []func(http.ResponseWriter){status(404)},
			wantOut:  "failed",
			wantErr:  "404 Not Found",
			wantReqs: 1,
		},
		{
			name:       "503 until attempts run out",
			fail:       []func(http.ResponseWriter){status(503), status(503), status(503)},
			wantOut:    "failed",
			wantErr:    "503 Service Unavailable",
			wantSleeps: []time.Duration{time.Second, 2 * time.Second},
			wantReqs:   3,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			up, feeds := fixture(t)
			e := newEnv(t)
			up.failNext(path, tc.fail...)
			e.clock.now = t0
			res, err := Update(t.Context(), e.options(feeds[2:3]))
			if tc.wantOut == "failed" {
				// osv-go has no previous copy: nothing to build from.
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Errorf("Update error = %v, want one mentioning %q", err, tc.wantErr)
				}
				if _, statErr := os.Stat(e.db); !errors.Is(statErr, os.ErrNotExist) {
					t.Errorf("a DB was created: %v", statErr)
				}
			} else if err != nil {
				t.Fatalf("Update: %v", err)
			}
			if res != nil {
				if got := res.Feeds[0].Outcome.String(); got != tc.wantOut {
					t.Errorf("outcome %s, want %s (err %v)", got, tc.wantOut, res.Feeds[0].Err)
				}
			}
			if diff := cmp.Diff(tc.wantSleeps, e.clock.takeSleeps()); diff != "" {
				t.Errorf("waits (-want +got):\n%s", diff)
			}
			if got := len(up.takeRequests(path)); got != tc.wantReqs {
				t.Errorf("%d requests, want %d", got, tc.wantReqs)
			}
		})
	}
}

// TestUpdateKeepsPreviousCopy covers downloads that fail after a good one:
// the previous copy stays, the DB stays, the failure is reported.
func TestUpdateKeepsPreviousCopy(t *testing.T) {
	tests := []struct {
		name    string
		breakIt func(up *upstream)
		wantErr string
	}{
		{
			name: "truncated body",
			breakIt: func(up *upstream) {
				b := readTestdata(t, "osv/go-all.zip")
				up.set("/osv/Go/all.zip", served{body: b, etag: `"go-2"`})
				up.failNext("/osv/Go/all.zip", truncated(b[:100]), truncated(b[:100]), truncated(b[:100]))
			},
			wantErr: "unexpected EOF",
		},
		{
			name: "server down",
			breakIt: func(up *upstream) {
				up.srv.Close()
			},
			wantErr: "connection refused",
		},
		{
			name: "too large",
			breakIt: func(up *upstream) {
				up.set("/osv/Go/all.zip", served{body: bytes.Repeat([]byte("x"), 64<<10), etag: `"go-big"`})
			},
			wantErr: "exceeds the size limit",
		},
		{
			name: "too large, no Content-Length",
			breakIt: func(up *upstream) {
				up.failNext("/osv/Go/all.zip", func(w http.ResponseWriter) {
					w.WriteHeader(200)
					for range 8 {
						w.Write(bytes.Repeat([]byte("x"), 8<<10))
						w.(http.Flusher).Flush()
					}
				})
			},
			wantErr: "exceeds the size limit",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			up, feeds := fixture(t)
			feeds = []Feed{feeds[1], feeds[2]} // alpine, osv-go
			e := newEnv(t)
			r1 := e.update(t, feeds)
			zipPath := filepath.Join(e.cache, "feeds", "osv-go", "all.zip")
			before, err := os.ReadFile(zipPath)
			if err != nil {
				t.Fatal(err)
			}

			tc.breakIt(up)
			opt := e.options(feeds)
			opt.MaxSize = 32 << 10
			r2, err := Update(t.Context(), opt)
			if err != nil {
				t.Fatalf("Update: %v", err)
			}
			osvRes := r2.Feeds[1]
			if osvRes.Outcome != Failed || !osvRes.Usable || osvRes.Err == nil || !strings.Contains(osvRes.Err.Error(), tc.wantErr) {
				t.Errorf("osv-go result = %+v, want failed, usable, error mentioning %q", osvRes, tc.wantErr)
			}
			if len(r2.Missing()) != 0 {
				t.Errorf("Missing() = %v, want none", r2.Missing())
			}
			if r2.Rebuilt || !r2.Info.Built.Equal(r1.Info.Built) {
				t.Errorf("DB rebuilt after failed downloads")
			}
			after, err := os.ReadFile(zipPath)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(before, after) {
				t.Error("previous all.zip was replaced")
			}
			assertNoLeftovers(t, filepath.Dir(zipPath))
		})
	}
}

func assertNoLeftovers(t *testing.T, dir string) {
	t.Helper()
	ents, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		if leftover(e.Name()) {
			t.Errorf("leftover %s in %s", e.Name(), dir)
		}
	}
}

// TestUpdateBadContentRollsBack: upstream serves something that is not a
// feed (a captive portal page, a broken export). The build fails, the
// previous copy and sidecar come back, the previous DB stays.
func TestUpdateBadContentRollsBack(t *testing.T) {
	up, feeds := fixture(t)
	feeds = feeds[2:3] // osv-go
	e := newEnv(t)
	r1 := e.update(t, feeds)
	up.set("/osv/Go/all.zip", served{body: []byte("<html>please log in</html>"), etag: `"portal"`})

	// The new copy cannot be imported: the feed's records come from the
	// previous DB, and the update says so.
	r2, err := Update(t.Context(), e.options(feeds))
	if err != nil {
		t.Fatalf("Update on a broken all.zip: %v", err)
	}
	if f := r2.Feeds[0]; f.Outcome != Failed || !f.Kept || f.Err == nil {
		t.Errorf("feed result %+v, want failed and kept with the import error", f)
	}
	if len(r2.Kept) != 1 || !r2.Kept[0].Copied || r2.Kept[0].Feed != "osv-go" {
		t.Errorf("Kept = %+v, want osv-go copied from the previous DB", r2.Kept)
	}
	if r2.Info.Advisories != r1.Info.Advisories || r2.Info.Affected != r1.Info.Affected {
		t.Errorf("DB after the broken download: %d advisories, %d affected; want the previous %d, %d",
			r2.Info.Advisories, r2.Info.Affected, r1.Info.Advisories, r1.Info.Affected)
	}
	got, err := os.ReadFile(filepath.Join(e.cache, "feeds", "osv-go", "all.zip"))
	if err != nil || !bytes.Equal(got, readTestdata(t, "osv/go-all.zip")) {
		t.Errorf("previous all.zip not restored (err %v)", err)
	}
	assertNoLeftovers(t, filepath.Join(e.cache, "feeds", "osv-go"))

	// The sidecar was restored too: the next request is conditional on
	// the copy actually held, so the broken file is fetched (and refused)
	// again rather than taken as current.
	up.takeRequests("/osv/Go/all.zip")
	if r3, err := Update(t.Context(), e.options(feeds)); err != nil || len(r3.Kept) != 1 || r3.Info.Advisories != r1.Info.Advisories {
		t.Errorf("second Update on a broken all.zip: error %v, kept %+v; want osv-go kept again", err, r3.Kept)
	}
	if h := up.takeRequests("/osv/Go/all.zip"); len(h) != 1 || h[0].Get("If-None-Match") != `"go-1"` {
		t.Errorf("requests after rollback = %v, want one with If-None-Match \"go-1\"", h)
	}
}

// TestUpdateWhileScanning: a scan holding the DB open keeps reading the old
// one while update replaces it.
func TestUpdateWhileScanning(t *testing.T) {
	up, feeds := fixture(t)
	feeds = feeds[1:2] // alpine
	e := newEnv(t)
	e.update(t, feeds)

	old, err := sqlite.Open(t.Context(), e.db)
	if err != nil {
		t.Fatal(err)
	}
	defer old.Close()
	before, err := old.ByPackage(t.Context(), "alpine:3.11", "apache2")
	if err != nil || len(before) == 0 {
		t.Fatalf("old DB: %d matches, %v", len(before), err)
	}

	// Upstream drops apache2 from 3.11 (serves an empty repository).
	up.set("/secdb/v3.11/main.json", served{body: readTestdata(t, "alpine/311-community.json"), lastModified: t1})
	var wg sync.WaitGroup
	stop := make(chan struct{})
	scanErr := make(chan error, 1)
	wg.Add(1)
	go func() {
		defer wg.Done()
		for {
			select {
			case <-stop:
				scanErr <- nil
				return
			default:
			}
			m, err := old.ByPackage(context.Background(), "alpine:3.11", "apache2")
			if err != nil || len(m) != len(before) {
				scanErr <- fmt.Errorf("old handle during update: %d matches, %v", len(m), err)
				return
			}
		}
	}()
	r := e.update(t, feeds)
	close(stop)
	wg.Wait()
	if err := <-scanErr; err != nil {
		t.Error(err)
	}
	if !r.Rebuilt {
		t.Fatal("no rebuild")
	}
	if m, err := old.ByPackage(t.Context(), "alpine:3.11", "apache2"); err != nil || len(m) != len(before) {
		t.Errorf("old handle after update: %d matches, %v", len(m), err)
	}
	fresh, err := sqlite.Open(t.Context(), e.db)
	if err != nil {
		t.Fatal(err)
	}
	defer fresh.Close()
	if m, err := fresh.ByPackage(t.Context(), "alpine:3.11", "apache2"); err != nil || len(m) != 0 {
		t.Errorf("new DB: %d matches for apache2, %v; want 0", len(m), err)
	}
}

// TestUpdateNoCopyAnywhere: the first update with the server down builds
// nothing and says why.
func TestUpdateNoCopyAnywhere(t *testing.T) {
	up, feeds := fixture(t)
	up.srv.Close()
	e := newEnv(t)
	res, err := Update(t.Context(), e.options(feeds[:3]))
	var nothing *NothingError
	if !errors.As(err, &nothing) || !strings.Contains(err.Error(), "no feed could be downloaded (3 tried)") {
		t.Fatalf("Update error = %v", err)
	}
	if diff := cmp.Diff([]string{"debian", "alpine", "osv-go"}, res.Missing()); diff != "" {
		t.Errorf("Missing (-want +got):\n%s", diff)
	}
	if _, err := os.Stat(e.db); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("DB exists: %v", err)
	}
}

// TestUpdatePartial: one feed has no copy, the others build.
func TestUpdatePartial(t *testing.T) {
	up, feeds := fixture(t)
	up.set("/osv/Go/all.zip", served{}) // placeholder, replaced below
	up.mu.Lock()
	delete(up.files, "/osv/Go/all.zip")
	up.mu.Unlock()
	e := newEnv(t)
	res := e.update(t, feeds[1:3])
	if diff := cmp.Diff([]string{"osv-go"}, res.Missing()); diff != "" {
		t.Errorf("Missing (-want +got):\n%s", diff)
	}
	if !res.Rebuilt || len(res.Info.Sources) != 1 {
		t.Errorf("rebuilt %v with %d sources, want alpine alone", res.Rebuilt, len(res.Info.Sources))
	}
}

func TestUpdateIdleTimeout(t *testing.T) {
	release := make(chan struct{})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}))
	defer srv.Close()
	defer close(release)
	e := newEnv(t)
	opt := e.options([]Feed{{Name: "osv-go", Kind: "osv", Base: srv.URL + "/all.zip", Files: []File{{Name: "all.zip"}}}})
	opt.Timeout = 50 * time.Millisecond
	opt.Attempts = 2
	start := time.Now()
	res, err := Update(t.Context(), opt)
	if err == nil || !strings.Contains(res.Feeds[0].Err.Error(), "no response for 50ms") {
		t.Errorf("Update error = %v, feed error = %v; want an idle timeout", err, res.Feeds[0].Err)
	}
	if d := time.Since(start); d > 5*time.Second {
		t.Errorf("took %v", d)
	}
}

func TestUpdateCancelled(t *testing.T) {
	_, feeds := fixture(t)
	e := newEnv(t)
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	if _, err := Update(ctx, e.options(feeds)); !errors.Is(err, context.Canceled) {
		t.Errorf("Update error = %v, want context.Canceled", err)
	}
	if _, err := os.Stat(e.db); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("DB exists: %v", err)
	}
}

// TestLeftovers: an update killed between moving the old copy aside and
// putting the new one in place; the next update restores the old copy and,
// since its sidecar still matches it, asks conditionally.
func TestLeftovers(t *testing.T) {
	up, feeds := fixture(t)
	feeds = feeds[2:3]
	e := newEnv(t)
	e.update(t, feeds)
	dir := filepath.Join(e.cache, "feeds", "osv-go")
	if err := os.Rename(filepath.Join(dir, "all.zip"), backupName(dir, "all.zip")); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(dir, ".tmp-all.zip-123"), []byte("half"), 0o644); err != nil {
		t.Fatal(err)
	}
	// Beside the DB: what a killed build left, and the file of a build
	// still running (held open, as sqlite.Create holds it).
	old := time.Now().Add(-time.Hour)
	dbDir, dbName := filepath.Split(e.db)
	dead, live := filepath.Join(dbDir, "."+dbName+".111.tmp"), filepath.Join(dbDir, "."+dbName+".222.tmp")
	for _, p := range []string{dead, live} {
		if err := os.WriteFile(p, []byte("SQLite format 3\x00"), 0o644); err != nil {
			t.Fatal(err)
		}
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}
	f, err := os.Open(live)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if err := atomicfile.Hold(f); err != nil {
		t.Fatal(err)
	}
	up.takeRequests("/osv/Go/all.zip")
	r := e.update(t, feeds)
	if r.Feeds[0].Outcome != Unchanged || r.Rebuilt {
		t.Errorf("outcome %v rebuilt %v, want unchanged without rebuild", r.Feeds[0].Outcome, r.Rebuilt)
	}
	if h := up.takeRequests("/osv/Go/all.zip"); len(h) != 1 || h[0].Get("If-None-Match") != `"go-1"` {
		t.Errorf("requests = %v, want one conditional", h)
	}
	assertNoLeftovers(t, dir)
	if _, err := os.Stat(dead); !errors.Is(err, os.ErrNotExist) {
		t.Errorf("a killed build's temporary file is still beside the DB (stat: %v)", err)
	}
	if _, err := os.Stat(live); err != nil {
		t.Errorf("a running build's temporary file was removed: %v", err)
	}
}

// TestChangedLocalCopy: a local copy edited outside update is not trusted;
// it is downloaded again unconditionally and the DB rebuilt.
func TestChangedLocalCopy(t *testing.T) {
	up, feeds := fixture(t)
	feeds = feeds[2:3]
	e := newEnv(t)
	e.update(t, feeds)
	if err := os.WriteFile(filepath.Join(e.cache, "feeds", "osv-go", "all.zip"), []byte("junk"), 0o644); err != nil {
		t.Fatal(err)
	}
	up.takeRequests("/osv/Go/all.zip")
	r := e.update(t, feeds)
	if r.Feeds[0].Outcome != Downloaded || !r.Rebuilt {
		t.Errorf("outcome %v rebuilt %v, want downloaded and rebuilt", r.Feeds[0].Outcome, r.Rebuilt)
	}
	if h := up.takeRequests("/osv/Go/all.zip"); len(h) != 1 || h[0].Get("If-None-Match") != "" {
		t.Errorf("requests = %v, want one unconditional", h)
	}
}

func TestUpdateBusy(t *testing.T) {
	_, feeds := fixture(t)
	e := newEnv(t)
	if err := os.MkdirAll(FeedsDir(e.cache), 0o755); err != nil {
		t.Fatal(err)
	}
	unlock, err := lock(filepath.Join(FeedsDir(e.cache), ".lock"))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := Update(t.Context(), e.options(feeds[2:3])); !errors.Is(err, ErrBusy) {
		t.Errorf("Update while locked: %v, want ErrBusy", err)
	}
	unlock()
	if _, err := Update(t.Context(), e.options(feeds[2:3])); err != nil {
		t.Errorf("Update after unlock: %v", err)
	}
}

func TestUpdateOnlySkipped(t *testing.T) {
	e := newEnv(t)
	feeds := []Feed{{Name: "future", Kind: "no-such-kind", Base: "https://example.invalid/x.json", Files: []File{{Name: "x.json"}}}}
	res, err := Update(t.Context(), e.options(feeds))
	if err == nil || !strings.Contains(err.Error(), "cannot import any of the selected feeds (future: kind no-such-kind)") {
		t.Errorf("Update error = %v", err)
	}
	if res == nil || len(res.Feeds) != 1 || res.Feeds[0].Skipped == "" || len(res.Missing()) != 0 {
		t.Errorf("result = %+v, want one skipped feed", res)
	}
}

func TestUpdateBadFeeds(t *testing.T) {
	ok := Feed{Name: "osv-go", Kind: "osv", Base: "https://example.invalid/all.zip", Files: []File{{Name: "all.zip"}}}
	tests := []struct {
		name  string
		feeds []Feed
		want  string
	}{
		{"none", nil, "no feeds"},
		{"twice", []Feed{ok, ok}, "given twice"},
		{"dot name", []Feed{{Name: ".x", Kind: "osv", Files: ok.Files}}, "bad name"},
		{"no files", []Feed{{Name: "x", Kind: "osv"}}, "no files"},
		{"file in a subdirectory", []Feed{{Name: "x", Kind: "osv", Files: []File{{Name: "a/b.zip"}}}}, "bad local file name"},
		{"archive with two files", []Feed{{Name: "x", Kind: "rubysec", Unpack: Untar, Files: []File{{Name: "a.tar.gz"}, {Name: "b.tar.gz"}}}}, "one file"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t)
			if _, err := Update(t.Context(), e.options(tc.feeds)); err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("Update error = %v, want %q", err, tc.want)
			}
		})
	}
}
