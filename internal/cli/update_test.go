package cli

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/scan"
	"github.com/customs-scanner/customs/internal/vulndb/update"
)

var (
	updateTestdata = filepath.Join("..", "vulndb", "update", "testdata")
	lastModified   = time.Date(2026, 11, 20, 8, 0, 0, 0, time.UTC)
)

// feedSite serves real samples where the alpine and osv-go feeds expect
// them: every secdb branch gets the 3.11 documents, the Go all.zip is the
// vuln-list sample. It counts the 200 responses.
func feedSite(t *testing.T) (*httptest.Server, *atomic.Int32) {
	t.Helper()
	read := func(name string) []byte {
		b, err := os.ReadFile(filepath.Join(updateTestdata, name))
		if err != nil {
			t.Fatal(err)
		}
		return b
	}
	main, community, zip := read("alpine/311-main.json"), read("alpine/311-community.json"), read("osv/go-all.zip")
	var full atomic.Int32
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var body []byte
		switch {
		case strings.HasSuffix(r.URL.Path, "/main.json"):
			body = main
		case strings.HasSuffix(r.URL.Path, "/community.json"):
			body = community
		case r.URL.Path == "/osv/Go/all.zip":
			body = zip
			w.Header().Set("ETag", `"go-1"`)
		default:
			http.NotFound(w, r)
			return
		}
		if r.Header.Get("If-None-Match") == "" && r.Header.Get("If-Modified-Since") == "" {
			full.Add(1)
		}
		http.ServeContent(w, r, "", lastModified, bytes.NewReader(body))
	}))
	t.Cleanup(srv.Close)
	return srv, &full
}

func TestDBUpdate(t *testing.T) {
	srv, full := feedSite(t)
	cache := t.TempDir()
	args := []string{"--cache-dir", cache, "db", "update", "--feeds", "alpine,osv-go",
		"--feed", "alpine=" + srv.URL + "/secdb", "--feed", "osv-go=" + srv.URL + "/osv/Go/all.zip"}

	r := run(t, args...)
	if r.code != 0 {
		t.Fatalf("first update: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if diff := cmp.Diff([]string{"alpine  downloaded", "osv-go  downloaded"}, lines[:2]); diff != "" {
		t.Errorf("first update feed lines (-want +got):\n%s", diff)
	}
	if !strings.HasPrefix(lines[2], "built ") {
		t.Errorf("first update did not report a build: %q", lines[2])
	}
	if got, want := int(full.Load()), alpineFiles(t)+1; got != want {
		t.Errorf("%d full downloads, want %d (every alpine file and the zip)", got, want)
	}

	r = run(t, args...)
	if r.code != 0 || !strings.Contains(r.stdout, "DB is up to date") {
		t.Errorf("second update: exit %d, stdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if got, want := int(full.Load()), alpineFiles(t)+1; got != want {
		t.Errorf("second update downloaded again: %d full downloads, want %d", got, want)
	}

	st := run(t, "--cache-dir", cache, "db", "status", "-o", "json")
	var info struct{ Sources []struct{ Kind, Path string } }
	if err := json.Unmarshal([]byte(st.stdout), &info); err != nil {
		t.Fatalf("db status: %v\n%s", err, st.stdout)
	}
	feeds, err := update.Status(cache)
	if err != nil {
		t.Fatal(err)
	}
	var gotPaths, wantPaths []string
	for _, s := range info.Sources {
		gotPaths = append(gotPaths, s.Kind+" "+s.Path)
	}
	for _, f := range feeds {
		wantPaths = append(wantPaths, f.Kind+" "+f.Path)
	}
	if diff := cmp.Diff(wantPaths, gotPaths); diff != "" {
		t.Errorf("DB sources vs update.Status (-want +got):\n%s", diff)
	}
}

func TestDBUpdateErrors(t *testing.T) {
	down := httptest.NewServer(http.NotFoundHandler())
	down.Close()
	tests := []struct {
		name       string
		args       []string
		wantCode   int
		wantStderr string
	}{
		{
			name:       "unknown feed",
			args:       []string{"db", "update", "--feeds", "osv-nope"},
			wantCode:   ExitError,
			wantStderr: `unknown feed "osv-nope"`,
		},
		{
			name:       "bad override",
			args:       []string{"db", "update", "--feed", "osv-go"},
			wantCode:   ExitError,
			wantStderr: "want NAME=URL",
		},
		{
			name:       "override of an unknown feed",
			args:       []string{"db", "update", "--feed", "nope=https://example.invalid/"},
			wantCode:   ExitError,
			wantStderr: `unknown feed "nope"`,
		},
		{
			name:       "server down, no copy",
			args:       []string{"db", "update", "--attempts", "1", "--feeds", "osv-go", "--feed", "osv-go=" + down.URL + "/all.zip"},
			wantCode:   ExitError,
			wantStderr: "no feed could be downloaded",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			r := run(t, append([]string{"--cache-dir", t.TempDir()}, tc.args...)...)
			if r.code != tc.wantCode || !strings.Contains(r.stderr, tc.wantStderr) {
				t.Errorf("exit %d, stderr %q; want exit %d and %q", r.code, r.stderr, tc.wantCode, tc.wantStderr)
			}
		})
	}
}

// TestDBUpdateMissingFeed: one feed has no copy; the others build and the
// exit code says the DB is incomplete.
func TestDBUpdateMissingFeed(t *testing.T) {
	srv, _ := feedSite(t)
	r := run(t, "--cache-dir", t.TempDir(), "db", "update", "--attempts", "1", "--feeds", "alpine,osv-pypi",
		"--feed", "alpine="+srv.URL+"/secdb/", "--feed", "osv-pypi="+srv.URL+"/osv/PyPI/all.zip")
	if r.code != ExitError || !strings.Contains(r.stderr, "no local copy of osv-pypi") || !strings.Contains(r.stdout, "built ") {
		t.Errorf("exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if !regexp.MustCompile(`(?m)^osv-pypi +failed, not in the DB: .*404`).MatchString(r.stdout) {
		t.Errorf("no feed line with the cause: %s", r.stdout)
	}
}

func TestDBUpdateList(t *testing.T) {
	r := run(t, "db", "update", "--list", "--feed", "osv-go=https://mirror.example.com/Go/all.zip")
	if r.code != 0 {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	if !regexp.MustCompile(`(?m)^osv-go +osv +https://mirror\.example\.com/Go/all\.zip$`).MatchString(r.stdout) {
		t.Errorf("--list output lacks osv-go with its override:\n%s", r.stdout)
	}
	for _, want := range []string{
		"osv-npm ",
		"https://secdb.alpinelinux.org/v3.20/main.json",
		"https://security-tracker.debian.org/tracker/data/json",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("--list output lacks %q:\n%s", want, r.stdout)
		}
	}
	if strings.Contains(r.stdout, "osv-debian") || strings.Contains(r.stdout, "redhat") {
		t.Errorf("--list shows a feed that is not enabled by default:\n%s", r.stdout)
	}
}

func alpineFiles(t *testing.T) int {
	t.Helper()
	for _, f := range update.Feeds(scan.Ecosystems().Feeds()) {
		if f.Name == "alpine" {
			return len(f.Files)
		}
	}
	t.Fatal("no alpine feed")
	return 0
}

func TestUpdateOverrides(t *testing.T) {
	got, err := updateOverrides(
		map[string]string{"osv-go": "https://config.example/Go/all.zip", "kev": "https://config.example/kev.json"},
		[]string{"osv-go=https://flag.example/Go/all.zip"})
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]string{"osv-go": "https://flag.example/Go/all.zip", "kev": "https://config.example/kev.json"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
	if _, err := updateOverrides(nil, []string{"osv-go"}); err == nil {
		t.Error("no error for a flag without =URL")
	}
}

func TestFeedBar(t *testing.T) {
	var buf bytes.Buffer
	b := newFeedBar(&buf)
	b.width = 40
	b.Download("osv-go", "all.zip", 1<<20, 4<<20)
	b.Download("alpine", "v3.20-main.json", 512<<10, -1)
	b.Fetched("osv-go", "all.zip", update.Downloaded, nil)
	b.Fetched("alpine", "v3.20-main.json", update.Failed, nil)
	b.Building(2)
	b.done()
	frames := strings.Split(buf.String(), "\r\x1b[K")
	want := []string{
		"",
		"feeds: 0 files done · osv-go/all.zip 1…", // cut to the terminal width
		// Download throttles redraws to one per 100ms: the alpine progress
		// is drawn with the next event.
		"feeds: 1 files done · alpine/v3.20-mai…",
		"feeds: 2 files done (1 failed)",
		"building the DB from 2 feeds…",
		"",
	}
	if diff := cmp.Diff(want, frames); diff != "" {
		t.Errorf("frames (-want +got):\n%s", diff)
	}
	for _, f := range frames {
		if n := len([]rune(f)); n >= b.width {
			t.Errorf("frame %q is %d runes, wider than %d", f, n, b.width)
		}
	}
}

func TestUpstreamColumn(t *testing.T) {
	srv, _ := feedSite(t)
	cache := t.TempDir()
	r := run(t, "--cache-dir", cache, "db", "update", "--feeds", "osv-go", "--feed", "osv-go="+srv.URL+"/osv/Go/all.zip")
	if r.code != 0 {
		t.Fatalf("update: exit %d: %s", r.code, r.stderr)
	}
	feeds := feedStatusByPath(cache)
	zip := filepath.Join(cache, "feeds", "osv-go", "all.zip")
	got := upstreamColumn(feeds, zip)
	if want := "modified 2026-11-20T08:00:00Z, checked "; !strings.HasPrefix(got, want) {
		t.Errorf("upstreamColumn = %q, want prefix %q", got, want)
	}
	if got := upstreamColumn(feeds, "/elsewhere/all.zip"); got != "-" {
		t.Errorf("upstreamColumn of an unknown source = %q, want -", got)
	}
}

// TestDBUpdateKeepsBuiltSources: db update after db build refreshes the
// feeds it fetches and keeps every source db build put in: imported again
// from its path while the path is there, copied from the previous DB once
// it is gone. Nothing is dropped, and each kept source is named.
func TestDBUpdateKeepsBuiltSources(t *testing.T) {
	srv, _ := feedSite(t)
	dir := t.TempDir()
	db := filepath.Join(dir, "customs.db")
	pypi := filepath.Join(dir, "osv-pypi")
	copyDir(t, filepath.Join("..", "..", "testdata", "feeds", "osv-pypi"), pypi)
	secdb := filepath.Join("..", "..", "testdata", "feeds", "alpine-secdb", "v3.10")
	b := run(t, "--db", db, "db", "build", "--source", "alpine-secdb="+secdb, "--source", "osv="+pypi)
	if b.code != 0 {
		t.Fatalf("db build: exit %d: %s", b.code, b.stderr)
	}
	before := dbSources(t, db)

	args := []string{"--db", db, "--cache-dir", filepath.Join(dir, "cache"), "db", "update", "--feeds", "osv-go",
		"--feed", "osv-go=" + srv.URL + "/osv/Go/all.zip"}
	r := run(t, args...)
	if r.code != 0 {
		t.Fatalf("update: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	after := dbSources(t, db)
	for kind, n := range before {
		if after[kind] < n {
			t.Errorf("source %s: %d advisories after the update, %d before", kind, after[kind], n)
		}
	}
	if after["osv "+filepath.Join(dir, "cache", "feeds", "osv-go", "all.zip")] == 0 {
		t.Errorf("the osv-go feed is not in the DB: %v", after)
	}
	for _, want := range []string{"alpine-secdb=" + secdb, "osv=" + pypi} {
		if !regexp.MustCompile(`(?m)^` + regexp.QuoteMeta(want) + ` +kept: imported again from its path$`).MatchString(r.stdout) {
			t.Errorf("stdout does not say %s was kept:\n%s", want, r.stdout)
		}
	}

	// The local copy is gone: its records come from the previous DB.
	if err := os.RemoveAll(pypi); err != nil {
		t.Fatal(err)
	}
	r = run(t, append(args, "--force")...)
	if r.code != 0 || !regexp.MustCompile(`(?m)^`+regexp.QuoteMeta("osv="+pypi)+` +kept: copied from the previous DB \(`).MatchString(r.stdout) {
		t.Fatalf("update after removing a source: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
	if got := dbSources(t, db); !cmp.Equal(after, got) {
		t.Errorf("sources after copying (-want +got):\n%s", cmp.Diff(after, got))
	}
}

// dbSources returns "KIND PATH" -> advisories of the DB's sources.
func dbSources(t *testing.T, db string) map[string]int {
	t.Helper()
	st := run(t, "--db", db, "db", "status", "-o", "json")
	var info struct {
		Sources []struct {
			Kind, Path string
			Advisories int
		}
	}
	if err := json.Unmarshal([]byte(st.stdout), &info); err != nil {
		t.Fatalf("db status: %v\n%s%s", err, st.stdout, st.stderr)
	}
	out := map[string]int{}
	for _, s := range info.Sources {
		out[s.Kind+" "+s.Path] = s.Advisories
	}
	return out
}

func copyDir(t *testing.T, from, to string) {
	t.Helper()
	if err := os.CopyFS(to, os.DirFS(from)); err != nil {
		t.Fatal(err)
	}
}

// TestDBUpdateOffline: with no feed reachable (names under the reserved
// .invalid TLD, a loopback port nobody listens on), db update gives up at
// once, with one line per feed and a one-line summary, and leaves the DB
// it had alone.
func TestDBUpdateOffline(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close()
	dir := t.TempDir()
	var cfg strings.Builder
	cfg.WriteString("feeds:\n")
	n := 0
	for _, f := range update.Feeds(scan.Ecosystems().Feeds()) {
		if !f.Default {
			continue
		}
		u := "https://" + f.Name + ".customs-test.invalid/feed"
		if n%2 == 1 {
			u = closed.URL + "/" + f.Name
		}
		fmt.Fprintf(&cfg, "  %s: %s\n", f.Name, u)
		n++
	}
	config := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(config, []byte(cfg.String()), 0o600); err != nil {
		t.Fatal(err)
	}
	db := filepath.Join(dir, "customs.db")
	secdb := filepath.Join("..", "..", "testdata", "feeds", "alpine-secdb", "v3.10")
	if b := run(t, "--db", db, "db", "build", "--source", "alpine-secdb="+secdb); b.code != 0 {
		t.Fatalf("db build: %s", b.stderr)
	}
	before, err := os.ReadFile(db)
	if err != nil {
		t.Fatal(err)
	}

	start := time.Now()
	r := run(t, "--config", config, "--db", db, "--cache-dir", filepath.Join(dir, "cache"), "db", "update")
	took := time.Since(start)
	if took > 10*time.Second {
		t.Errorf("offline update took %s, want a few seconds at most", took)
	}
	lines := strings.Split(strings.TrimSpace(r.stdout), "\n")
	if len(lines) != n {
		t.Errorf("%d stdout lines, want one per feed (%d):\n%s", len(lines), n, r.stdout)
	}
	for _, l := range lines {
		if !regexp.MustCompile(`^[a-z0-9-]+ +failed, not in the DB: (GET [^ ]+: )?cannot reach [^ ]+: (no such host|connection refused)$`).MatchString(l) {
			t.Errorf("feed line %q does not say it failed, what was kept and why", l)
		}
	}
	errLines := strings.Split(strings.TrimSpace(r.stderr), "\n")
	if r.code != ExitError || len(errLines) != 1 || len(errLines[0]) > 400 ||
		!strings.Contains(r.stderr, "no network?") || !strings.Contains(r.stderr, "the DB "+db+" is unchanged") {
		t.Errorf("exit %d, stderr (%d lines):\n%s\nwant exit 2 and one short line saying the DB is unchanged", r.code, len(errLines), r.stderr)
	}
	if after, _ := os.ReadFile(db); !bytes.Equal(before, after) {
		t.Error("the DB changed")
	}

	// With no DB at all, the line says how to get one.
	r = run(t, "--config", config, "--db", filepath.Join(dir, "none.db"), "--cache-dir", filepath.Join(dir, "cache2"), "db", "update")
	if r.code != ExitError || !strings.Contains(r.stderr, "customs db pull") || !strings.Contains(r.stdout, "failed, not in the DB") {
		t.Errorf("no DB: exit %d\nstdout:\n%s\nstderr:\n%s", r.code, r.stdout, r.stderr)
	}
}

// TestScanNoDBSaysHowToGetOne: the first scan on a new machine names the
// two commands that make a DB without local feeds.
func TestScanNoDBSaysHowToGetOne(t *testing.T) {
	r := run(t, "--cache-dir", t.TempDir(), "scan", filepath.Join("..", "..", "testdata", "images", "alpine-310.tar.gz"))
	if r.code != ExitError || !strings.Contains(r.stderr, "`customs db update`") || !strings.Contains(r.stderr, "`customs db pull REF`") ||
		strings.Count(strings.TrimSpace(r.stderr), "\n") != 0 {
		t.Errorf("exit %d, stderr %q; want exit 2 and one line naming customs db update and customs db pull", r.code, r.stderr)
	}
}
