package server_test

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"regexp"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/customs-scanner/customs/internal/scan"
	"github.com/customs-scanner/customs/internal/server"
	"github.com/customs-scanner/customs/internal/service"
	"github.com/customs-scanner/customs/internal/service/servicetest"
	"github.com/customs-scanner/customs/internal/store"
)

// reportServer runs a service with one worker on env's store behind a
// server with a report cache of budget bytes.
func reportServer(t *testing.T, e servicetest.Env, budget int64, gate *scan.Gate, gateHash string) (*service.Service, *contract) {
	t.Helper()
	srv := server.New(nil, server.Options{ReportCacheBytes: budget})
	opts := e.Scan
	opts.Gate = gate
	svc := servicetest.Start(t, service.Config{DSN: e.DSN, Store: e.Store, Workers: 1, Version: "test", Metrics: srv.Registry(),
		Scan: opts, GateHash: gateHash})
	srv.SetService(svc)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return svc, newContract(t, hs.URL)
}

// scanned scans one image of a loopback registry through the API and
// returns its digest.
func scanned(t *testing.T, c *contract) string {
	t.Helper()
	refs, digests, err := servicetest.Push(t.Context(), servicetest.Registry(t), 1)
	if err != nil {
		t.Fatal(err)
	}
	_, b, _ := c.do("POST", "/v1/scans", map[string]any{"target": refs[0], "scanners": []string{"vuln"}})
	sc := decode[scanDoc](t, b)
	for deadline := time.Now().Add(60 * time.Second); sc.Status != "done" && sc.Status != "failed" && time.Now().Before(deadline); {
		time.Sleep(200 * time.Millisecond)
		_, b, _ = c.do("GET", "/v1/scans/"+sc.ID, nil)
		sc = decode[scanDoc](t, b)
	}
	if sc.Status != "done" {
		t.Fatalf("scan = %s; want done", b)
	}
	return digests[0]
}

// cacheCounts reads the report cache's counters and bytes from /metrics.
func cacheCounts(t *testing.T, c *contract) map[string]int {
	t.Helper()
	resp, err := http.Get(c.base + "/metrics")
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	out := map[string]int{}
	for _, m := range regexp.MustCompile(`(?m)^customs_report_cache_requests_total\{outcome="(\w+)"\} (\d+)$`).FindAllSubmatch(b, -1) {
		out[string(m[1])], _ = strconv.Atoi(string(m[2]))
	}
	if m := regexp.MustCompile(`(?m)^customs_report_cache_bytes (\S+)$`).FindSubmatch(b); m != nil {
		f, _ := strconv.ParseFloat(string(m[1]), 64)
		out["bytes"] = int(f)
	}
	return out
}

// TestReportCache reads a scanned image's report again and again: the
// second read comes from memory with the same bytes, a conditional read
// answers 304 without reading the report, concurrent first reads encode
// once, and a new snapshot or DB build changes the answer and its ETag.
func TestReportCache(t *testing.T) {
	e := servicetest.SQLite(t)
	svc, c := reportServer(t, e, 0, nil, "")
	digest := scanned(t, c)
	path := "/v1/images/" + digest + "/report"

	code, first, h := c.do("GET", path, nil)
	etag := h.Get("ETag")
	if code != http.StatusOK || etag == "" {
		t.Fatalf("GET report = %d ETag %q", code, etag)
	}
	code, again, h := c.do("GET", path, nil)
	if code != http.StatusOK || !bytes.Equal(first, again) || h.Get("ETag") != etag {
		t.Errorf("second GET = %d ETag %q, %d bytes; want 200 %s, the first's %d bytes", code, h.Get("ETag"), len(again), etag, len(first))
	}
	if n := cacheCounts(t, c); n["miss"] != 1 || n["hit"] != 1 || n["bytes"] < len(first) {
		t.Errorf("after two reads: %v; want 1 miss, 1 hit, at least %d bytes", n, len(first))
	}
	for _, inm := range []string{etag, "W/" + etag, `"other", ` + etag, "*"} {
		if code, b, h := c.do("GET", path, nil, "If-None-Match", inm); code != http.StatusNotModified || len(b) != 0 || h.Get("ETag") != etag {
			t.Errorf("If-None-Match %s = %d %q ETag %q; want 304 with %s", inm, code, b, h.Get("ETag"), etag)
		}
	}
	if code, _, _ := c.do("GET", path, nil, "If-None-Match", `"other"`); code != http.StatusOK {
		t.Errorf("If-None-Match of another tag = %d; want 200", code)
	}
	if n := cacheCounts(t, c); n["not_modified"] != 4 || n["miss"] != 1 {
		t.Errorf("after conditional reads: %v; want 4 not_modified and still 1 miss", n)
	}

	// Concurrent first reads of another format: one encoding.
	before := cacheCounts(t, c)
	var wg sync.WaitGroup
	bodies := make([][]byte, 8)
	for i := range bodies {
		wg.Go(func() {
			resp, err := http.Get(c.base + path + "?format=spdx-json")
			if err != nil {
				t.Error(err)
				return
			}
			defer resp.Body.Close()
			bodies[i], _ = io.ReadAll(resp.Body)
		})
	}
	wg.Wait()
	for i, b := range bodies {
		if !bytes.Equal(b, bodies[0]) || len(b) == 0 {
			t.Errorf("concurrent read %d: %d bytes differ from the first's %d", i, len(b), len(bodies[0]))
		}
	}
	if n := cacheCounts(t, c); n["miss"] != 2 || n["hit"]+n["shared"]-before["hit"]-before["shared"] != 7 {
		t.Errorf("after 8 concurrent reads: %v; want 2 misses in all, the other 7 hits or shared", n)
	}

	// The same findings matched against a newer DB build (re-evaluation
	// that found nothing new): same snapshot, new answer.
	ctx := t.Context()
	sr, err := svc.Store().Report(ctx, digest)
	if err != nil {
		t.Fatal(err)
	}
	r := sr.Report
	if r.DB == nil {
		t.Fatal("the scanned report has no DB block")
	}
	r.DB.Built = r.DB.Built.Add(time.Hour)
	if _, err := svc.Store().Record(ctx, store.Input{Report: r, Replaces: sr.Snapshot, Unchanged: true}); err != nil {
		t.Fatal(err)
	}
	code, rebuilt, h := c.do("GET", path, nil)
	if code != http.StatusOK || h.Get("ETag") == etag || bytes.Equal(rebuilt, first) {
		t.Errorf("after a DB build: %d ETag %q (was %s), body changed %t; want a new answer", code, h.Get("ETag"), etag, !bytes.Equal(rebuilt, first))
	}
	if code, _, _ := c.do("GET", path, nil, "If-None-Match", etag); code != http.StatusOK {
		t.Errorf("the old ETag after a DB build = %d; want 200", code)
	}
	etag = h.Get("ETag")

	// A new snapshot: a package less.
	sr, err = svc.Store().Report(ctx, digest)
	if err != nil {
		t.Fatal(err)
	}
	if len(sr.Report.Packages) < 2 {
		t.Fatal("the scanned report has fewer than 2 packages")
	}
	sr.Report.Packages = sr.Report.Packages[1:]
	if rec, err := svc.Store().Record(ctx, store.Input{Report: sr.Report}); err != nil || rec.Snapshot == sr.Snapshot {
		t.Fatalf("record a new snapshot: %+v %v", rec, err)
	}
	code, renewed, h := c.do("GET", path, nil)
	if code != http.StatusOK || h.Get("ETag") == etag || bytes.Equal(renewed, rebuilt) {
		t.Errorf("after a new snapshot: %d ETag %q (was %s), body changed %t; want a new answer", code, h.Get("ETag"), etag, !bytes.Equal(renewed, rebuilt))
	}

	// Another gate over the same store: other ETags.
	_, gated := reportServer(t, e, 0, &scan.Gate{FailOn: "CRITICAL"}, "fail-on=CRITICAL")
	if code, _, h := gated.do("GET", path, nil, "If-None-Match", h.Get("ETag")); code != http.StatusOK || h.Get("ETag") == "" {
		t.Errorf("another gate with the first gate's ETag = %d; want 200 with its own ETag", code)
	}
}

// TestReportCacheBudget holds the cache to a budget smaller than two
// answers: it never holds more, and every answer is still right.
func TestReportCacheBudget(t *testing.T) {
	e := servicetest.SQLite(t)
	_, probe := reportServer(t, e, -1, nil, "")
	digest := scanned(t, probe)
	path := "/v1/images/" + digest + "/report"
	formats := []string{"json", "cyclonedx-json", "spdx-json", "sarif", "markdown"}
	want := map[string][]byte{}
	largest := 0
	for _, f := range formats {
		_, b, _ := probe.do("GET", path+"?format="+f, nil)
		want[f] = b
		largest = max(largest, len(b))
	}
	if n := cacheCounts(t, probe); n["hit"] != 0 || n["bytes"] != 0 {
		t.Errorf("a server without a cache: %v; want no hits, no bytes", n)
	}
	budget := int64(largest + largest/2 + 1024)
	_, c := reportServer(t, e, budget, nil, "")
	for range 3 {
		for _, f := range formats {
			code, b, _ := c.do("GET", path+"?format="+f, nil)
			if code != http.StatusOK || !bytes.Equal(b, want[f]) {
				t.Errorf("%s = %d, %d bytes; want 200, the uncached %d bytes", f, code, len(b), len(want[f]))
			}
			if n := cacheCounts(t, c); n["bytes"] > int(budget) {
				t.Fatalf("cache holds %d bytes; budget %d", n["bytes"], budget)
			}
		}
	}
	if n := cacheCounts(t, c); n["miss"] < len(formats) || n["bytes"] == 0 {
		t.Errorf("after 3 rounds of %d formats with a budget of %d bytes: %v; want misses, some bytes held", len(formats), budget, n)
	}
}
