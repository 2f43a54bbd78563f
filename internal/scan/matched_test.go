package scan

import (
	"bytes"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/vulndb/build"
)

// trackerDB builds, at path, a DB from a Debian tracker document with
// one advisory per id for the source package tar (installed in
// debianImage as 1.34+dfsg-1.2+deb12u1), fixed in fixed.
func trackerDB(t *testing.T, path, fixed string, ids ...string) {
	t.Helper()
	var recs []string
	for _, id := range ids {
		recs = append(recs, `"`+id+`": {"description": "", "scope": "", "releases": {"bookworm": {"status": "resolved", "fixed_version": "`+fixed+`", "urgency": "low", "repositories": {"bookworm": "`+fixed+`"}}}}`)
	}
	js := filepath.Join(t.TempDir(), "tracker.json")
	if err := os.WriteFile(js, []byte(`{"tar": {`+strings.Join(recs, ", ")+`}}`), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := build.Build(t.Context(), path, []build.Source{{Kind: "debian-tracker", Path: js}}, nil); err != nil {
		t.Fatal(err)
	}
}

// TestMatchCacheFollowsDB: a second scan of an unchanged image against the
// same DB takes its match result from the cache and reports what the first
// did; once the DB is rebuilt at the same path with a changed advisory and
// a new one, a scan through the same cache reports what an uncached scan
// against the new DB does.
func TestMatchCacheFollowsDB(t *testing.T) {
	img, _ := debianImage(t)
	ref := "docker-archive:" + writeArchive(t, img)
	dbPath := filepath.Join(t.TempDir(), "customs.db")
	cache := t.TempDir()
	clock := time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC)
	var log bytes.Buffer
	scan := func(cacheDir string) *report.Report {
		t.Helper()
		clock = clock.Add(time.Minute)
		log.Reset()
		r, err := Scan(t.Context(), ref, Options{
			DBPath: dbPath, CacheDir: cacheDir, Secrets: true, Config: true,
			Now:    func() time.Time { return clock },
			Logger: slog.New(slog.NewTextHandler(&log, &slog.HandlerOptions{Level: slog.LevelDebug})),
		})
		if err != nil {
			t.Fatal(err)
		}
		return r
	}
	hit := func() bool { return strings.Contains(log.String(), "match cache hit") }
	ignoreTime := cmpopts.IgnoreFields(report.Report{}, "CreatedAt")
	ids := func(r *report.Report) []string {
		var out []string
		for _, f := range r.Findings {
			out = append(out, f.VulnerabilityID+" "+f.PackageName+" "+f.FixedVersion)
		}
		return out
	}

	trackerDB(t, dbPath, "1.34+dfsg-1.2+deb12u2", "CVE-2099-0001")
	first := scan(cache)
	if hit() {
		t.Fatal("the first scan hit the match cache")
	}
	if len(first.Findings) == 0 {
		t.Fatal("the first scan found nothing: the test DB does not affect the image")
	}
	second := scan(cache)
	if !hit() {
		t.Errorf("the second scan did not take its match result from the cache; log:\n%s", log.String())
	}
	if diff := cmp.Diff(first, second, ignoreTime); diff != "" {
		t.Errorf("cached match result differs (-first +second):\n%s", diff)
	}

	trackerDB(t, dbPath, "1.34+dfsg-1.2+deb12u3", "CVE-2099-0001", "CVE-2099-0002")
	want := scan("")
	got := scan(cache)
	if hit() {
		t.Error("the scan after the DB was rebuilt took the old match result from the cache")
	}
	if diff := cmp.Diff(want, got, ignoreTime); diff != "" {
		t.Errorf("scan through the cache after the DB was rebuilt (-uncached +cached):\n%s", diff)
	}
	if cmp.Equal(ids(first), ids(got)) {
		t.Errorf("findings %v did not change with the DB", ids(got))
	}
	again := scan(cache)
	if !hit() {
		t.Error("the scan after that did not take the new match result from the cache")
	}
	if diff := cmp.Diff(want, again, ignoreTime); diff != "" {
		t.Errorf("cached match result of the new DB (-uncached +cached):\n%s", diff)
	}
}
