package update

import (
	"bytes"
	"compress/gzip"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

func gz(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// TestFetchGunzip covers Unpack: Gunzip (the EPSS feed's .csv.gz) on the
// real KEV sample: stored unpacked, validators kept, a broken stream and a
// gzip bomb refused.
func TestFetchGunzip(t *testing.T) {
	kev := readTestdata(t, "kev/known_exploited_vulnerabilities.json")
	tests := []struct {
		name     string
		body     []byte
		want     []byte
		wantErr  string
		wantReqs int
	}{
		{name: "gzip file", body: gz(t, kev), want: kev, wantReqs: 1},
		{name: "not gzip", body: kev, wantErr: "gunzip", wantReqs: 1},
		{name: "bomb", body: gz(t, bytes.Repeat([]byte("0"), 1<<20)), wantErr: "exceeds the size limit", wantReqs: 1},
		{name: "cut short", body: gz(t, kev)[:200], wantErr: "unexpected EOF", wantReqs: 3},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			up := newUpstream(t)
			up.set("/epss.csv.gz", served{body: tc.body, etag: `"e1"`})
			e := newEnv(t)
			opt := e.options(nil)
			opt.MaxSize = 64 << 10
			u := &updater{opt: withDefaults(opt)}
			u.log = u.opt.Log
			feed := Feed{Name: "epss", Kind: "epss", Base: up.srv.URL + "/epss.csv.gz", Files: []File{{Name: "epss.csv"}}, Unpack: Gunzip}
			dir := t.TempDir()
			out, got, err := u.fetchFile(t.Context(), feed, feed.Files[0], dir, nil)
			if n := len(up.takeRequests("/epss.csv.gz")); n != tc.wantReqs {
				t.Errorf("%d requests, want %d", n, tc.wantReqs)
			}
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) || out != Failed {
					t.Errorf("fetch = %v, %v; want failed with %q", out, err, tc.wantErr)
				}
				assertNoLeftovers(t, dir)
				return
			}
			if err != nil || out != Downloaded {
				t.Fatalf("fetch = %v, %v", out, err)
			}
			b, err := os.ReadFile(got.tmp)
			if err != nil {
				t.Fatal(err)
			}
			if !bytes.Equal(b, tc.want) {
				t.Errorf("stored %d bytes, want the %d unpacked", len(b), len(tc.want))
			}
			if got.state.ETag != `"e1"` || got.state.Size != int64(len(tc.want)) || filepath.Dir(got.tmp) != dir {
				t.Errorf("state = %+v", got.state)
			}
		})
	}
}

// TestFetchSameBytes: a server without validators sends the same file
// again; it counts as unchanged.
func TestFetchSameBytes(t *testing.T) {
	up := newUpstream(t)
	up.set("/kev.json", served{body: readTestdata(t, "kev/known_exploited_vulnerabilities.json")})
	e := newEnv(t)
	u := &updater{opt: withDefaults(e.options(nil))}
	u.log = u.opt.Log
	feed := Feed{Name: "kev", Kind: "kev", Base: up.srv.URL + "/kev.json", Files: []File{{Name: "kev.json"}}}
	dir := t.TempDir()
	out, got, err := u.fetchFile(t.Context(), feed, feed.Files[0], dir, nil)
	if err != nil || out != Downloaded {
		t.Fatalf("first fetch = %v, %v", out, err)
	}
	os.Remove(got.tmp)
	prev := got.state
	out, _, err = u.fetchFile(t.Context(), feed, feed.Files[0], dir, &prev)
	if err != nil || out != Unchanged {
		t.Errorf("second fetch = %v, %v; want unchanged", out, err)
	}
	assertNoLeftovers(t, dir)
}

func TestBackoff(t *testing.T) {
	tests := []struct {
		jitter float64
		want   []time.Duration
	}{
		{jitter: 0, want: []time.Duration{500 * time.Millisecond, time.Second, 2 * time.Second, 4 * time.Second, 5 * time.Second, 5 * time.Second}},
		{jitter: 1, want: []time.Duration{time.Second, 2 * time.Second, 4 * time.Second, 8 * time.Second, 10 * time.Second, 10 * time.Second}},
	}
	for _, tc := range tests {
		u := &updater{opt: withDefaults(Options{Backoff: time.Second, MaxWait: 10 * time.Second, Jitter: func() float64 { return tc.jitter }})}
		var got []time.Duration
		for a := range 6 {
			got = append(got, u.backoff(a))
		}
		if diff := cmp.Diff(tc.want, got); diff != "" {
			t.Errorf("jitter %v (-want +got):\n%s", tc.jitter, diff)
		}
	}
	u := &updater{opt: withDefaults(Options{Backoff: time.Second, MaxWait: time.Minute})}
	if d := u.backoff(200); d < 30*time.Second || d > time.Minute {
		t.Errorf("backoff(200) = %v, want within [MaxWait/2, MaxWait]", d)
	}
}

func TestRetryAfter(t *testing.T) {
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	tests := []struct {
		in   string
		want time.Duration
	}{
		{"", 0},
		{"0", 0},
		{"120", 2 * time.Minute},
		{"-5", 0},
		{"soon", 0},
		{now.Add(90 * time.Second).Format(http.TimeFormat), 90 * time.Second},
		{now.Add(-time.Hour).Format(http.TimeFormat), 0},
	}
	for _, tc := range tests {
		if got := retryAfter(tc.in, now); got != tc.want {
			t.Errorf("retryAfter(%q) = %v, want %v", tc.in, got, tc.want)
		}
	}
}

// FuzzRetryAfter: the header comes from the server; it must never give a
// negative wait or panic.
func FuzzRetryAfter(f *testing.F) {
	for _, s := range []string{"", "7", "3600", "-1", "Fri, 27 Nov 2026 10:00:00 GMT", "99999999999999999999"} {
		f.Add(s)
	}
	now := time.Date(2026, 11, 27, 10, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, s string) {
		if d := retryAfter(s, now); d < 0 {
			t.Errorf("retryAfter(%q) = %v", s, d)
		}
	})
}

// FuzzLoadState: a sidecar damaged on disk costs a download, never a panic.
func FuzzLoadState(f *testing.F) {
	f.Add([]byte(`{"feed":"osv-go","kind":"osv","path":"x","files":{"all.zip":{"url":"https://e/all.zip","etag":"\"1\"","size":3}}}`))
	f.Add([]byte(`{"files":{"../x":null,".feed.json":{}}}`))
	f.Add([]byte(`[]`))
	f.Fuzz(func(t *testing.T, b []byte) {
		dir := t.TempDir()
		if err := os.WriteFile(filepath.Join(dir, stateFile), b, 0o644); err != nil {
			t.Fatal(err)
		}
		st, err := loadState(dir)
		if st == nil || st.Files == nil {
			t.Fatalf("loadState = %v, %v", st, err)
		}
		if len(st.Files) != 0 { // no data file exists in dir
			t.Errorf("kept %d entries for files that do not exist", len(st.Files))
		}
	})
}

// TestFetchLatest covers a feed whose current file is named by a pointer
// (Red Hat's archive_latest.txt, content as in vuln-list-update's
// redhat/csaf testdata).
func TestFetchLatest(t *testing.T) {
	up := newUpstream(t)
	body := readTestdata(t, "osv/go-all.zip") // stands in for the archive; fetch does not read it
	up.set("/vex/csaf_vex_2025-12-06.tar.zst", served{body: body, etag: `"a1"`})
	up.set("/vex/csaf_vex_2025-12-07.tar.zst", served{body: append(body, 0), etag: `"a2"`})
	e := newEnv(t)
	u := &updater{opt: withDefaults(e.options(nil))}
	u.log = u.opt.Log
	feed := Feed{Name: "redhat", Kind: "redhat-csaf", Base: up.srv.URL + "/vex/", Latest: "archive_latest.txt", Files: []File{{Name: "csaf_vex.tar.zst"}}}
	dir := t.TempDir()
	var prev *fileState
	steps := []struct {
		pointer  string
		want     Outcome
		wantURL  string
		wantCond string
		wantErr  string
	}{
		{pointer: "csaf_vex_2025-12-06.tar.zst\n", want: Downloaded, wantURL: "/vex/csaf_vex_2025-12-06.tar.zst"},
		{pointer: "csaf_vex_2025-12-06.tar.zst\n", want: Unchanged, wantURL: "/vex/csaf_vex_2025-12-06.tar.zst", wantCond: `"a1"`},
		{pointer: "csaf_vex_2025-12-07.tar.zst", want: Downloaded, wantURL: "/vex/csaf_vex_2025-12-07.tar.zst"},
		{pointer: "../../etc/passwd", want: Failed, wantErr: "is not a file name"},
		{pointer: "https://elsewhere.example/x.tar.zst", want: Failed, wantErr: "is not a file name"},
		{pointer: "", want: Failed, wantErr: "is not a file name"},
	}
	for i, s := range steps {
		up.set("/vex/archive_latest.txt", served{body: []byte(s.pointer)})
		out, got, err := u.fetchFile(t.Context(), feed, feed.Files[0], dir, prev)
		if out != s.want || (err != nil) != (s.wantErr != "") || (err != nil && !strings.Contains(err.Error(), s.wantErr)) {
			t.Fatalf("step %d: fetch = %v, %v; want %v, %q", i, out, err, s.want, s.wantErr)
		}
		if s.wantURL != "" {
			reqs := up.takeRequests(s.wantURL)
			if len(reqs) != 1 || reqs[0].Get("If-None-Match") != s.wantCond {
				t.Errorf("step %d: requests to %s: %v, want one with If-None-Match %q", i, s.wantURL, reqs, s.wantCond)
			}
		}
		if out == Downloaded {
			os.Remove(got.tmp)
			st := got.state
			prev = &st
		}
	}
	assertNoLeftovers(t, dir)
}

// TestFetchRedirect: EPSS's current file and GitHub's snapshots answer with
// a redirect to the real file; the validators must survive it.
func TestFetchRedirect(t *testing.T) {
	up := newUpstream(t)
	body := gz(t, readTestdata(t, "kev/known_exploited_vulnerabilities.json"))
	up.set("/epss_scores-2026-11-27.csv.gz", served{body: body, etag: `"d27"`})
	up.failNext("/epss_scores-current.csv.gz", status(http.StatusFound, "Location", "/epss_scores-2026-11-27.csv.gz"), status(http.StatusFound, "Location", "/epss_scores-2026-11-27.csv.gz"))
	e := newEnv(t)
	u := &updater{opt: withDefaults(e.options(nil))}
	u.log = u.opt.Log
	feed := Feed{Name: "epss", Kind: "epss", Base: up.srv.URL + "/epss_scores-current.csv.gz", Files: []File{{Name: "epss.csv"}}, Unpack: Gunzip}
	dir := t.TempDir()
	out, got, err := u.fetchFile(t.Context(), feed, feed.Files[0], dir, nil)
	if err != nil || out != Downloaded || got.state.ETag != `"d27"` {
		t.Fatalf("first fetch = %v, %+v, %v", out, got, err)
	}
	os.Remove(got.tmp)
	prev := got.state
	up.takeRequests("/epss_scores-2026-11-27.csv.gz")
	out, _, err = u.fetchFile(t.Context(), feed, feed.Files[0], dir, &prev)
	if err != nil || out != Unchanged {
		t.Errorf("second fetch = %v, %v; want unchanged", out, err)
	}
	if h := up.takeRequests("/epss_scores-2026-11-27.csv.gz"); len(h) != 1 || h[0].Get("If-None-Match") != `"d27"` {
		t.Errorf("redirected requests = %v, want one with If-None-Match", h)
	}
}
