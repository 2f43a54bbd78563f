package server_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/customs-scanner/customs/internal/service/servicetest"
	"github.com/customs-scanner/customs/internal/shareddata"
	"github.com/customs-scanner/customs/internal/store"
	"github.com/customs-scanner/customs/internal/store/backend"
	"github.com/customs-scanner/customs/internal/store/storetest"
)

// TestServeBench measures customs serve (scripts/servebench.sh; set
// CUSTOMS_SERVEBENCH=1): images per minute with one and two workers over
// the test images in a loopback registry, a worker process's peak memory,
// the admission decision's latency for a known digest at 200 requests per
// second, and the report endpoint's latency with 10,000 images in the store
// (CUSTOMS_SERVEBENCH_IMAGES changes the count; CUSTOMS_SERVEBENCH_FLEET, a
// store DSN, measures it on that store instead of copies of one report;
// CUSTOMS_SERVEBENCH_FLEET_ONLY=1 with it measures only that).
// With CUSTOMS_TEST_POSTGRES the workers are customs worker processes
// beside an API-only customs serve on PostgreSQL; else one customs serve
// process on SQLite runs both.
func TestServeBench(t *testing.T) {
	if os.Getenv("CUSTOMS_SERVEBENCH") == "" {
		t.Skip("a benchmark: run scripts/servebench.sh (CUSTOMS_SERVEBENCH=1)")
	}
	stored := 10000
	if n, err := strconv.Atoi(os.Getenv("CUSTOMS_SERVEBENCH_IMAGES")); err == nil {
		stored = n
	}
	pg := os.Getenv(shareddata.PostgresEnv)
	const images = 60
	ctx := t.Context()
	dir := t.TempDir()
	db, err := servicetest.DB(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	if fleetDSN := os.Getenv("CUSTOMS_SERVEBENCH_FLEET"); fleetDSN != "" && os.Getenv("CUSTOMS_SERVEBENCH_FLEET_ONLY") != "" {
		fleetReportLatency(t, customsBinary(t), db, fleetDSN)
		return
	}
	host := servicetest.Registry(t)
	refs, digests, err := servicetest.Push(ctx, host, 2*images)
	if err != nil {
		t.Fatal(err)
	}
	bin := customsBinary(t)
	os.WriteFile(filepath.Join(dir, "none.yaml"), []byte("serve:\n  dbUpdateEvery: 0s\n"), 0o644)
	for _, workers := range []int{1, 2} {
		dsn := "sqlite:" + filepath.Join(dir, fmt.Sprintf("store-%d.db", workers))
		if pg != "" {
			dsn = storetest.PostgresSchema(t, pg)
		}
		f := &fleet{t: t, bin: bin, dir: dir, dsn: dsn, api: freeAddr(t), procs: map[string]*exec.Cmd{}, started: map[string][]string{}}
		f.env = []string{"HOME=" + dir, "CUSTOMS_CONFIG=" + filepath.Join(dir, "none.yaml")}
		common := append([]string{"--store", dsn, "--db", db}, allowRegistry(bin, host)...)
		scanner := "api"
		if pg != "" {
			f.started["api"] = append([]string{"serve", "--listen", f.api, "--workers", "0"}, common...)
			scanner = "worker"
			f.started[scanner] = append([]string{"worker", "--workers", strconv.Itoa(workers)}, common...)
		} else {
			f.started["api"] = append([]string{"serve", "--listen", f.api, "--workers", strconv.Itoa(workers)}, common...)
		}
		st, err := backend.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := exec.Command(bin, "token", "create", "--scope", "scan", "--store", dsn).Output()
		if err != nil {
			t.Fatal(err)
		}
		f.token = string(tok[:len(tok)-1])
		f.run("api")
		f.waitReady()
		if scanner == "worker" {
			f.run(scanner)
		}
		batch := refs[(workers-1)*images : workers*images]
		start := time.Now()
		for _, ref := range batch {
			if code, b, err := f.call("POST", "/v1/scans", map[string]any{"target": ref}); err != nil || code != 202 {
				t.Fatalf("POST = %d %s %v", code, b, err)
			}
		}
		for {
			subs, err := st.Subjects(ctx)
			if err != nil {
				t.Fatal(err)
			}
			if len(subs) >= images {
				break
			}
			if time.Since(start) > 10*time.Minute {
				t.Fatalf("only %d of %d images scanned in 10 minutes", len(subs), images)
			}
			time.Sleep(100 * time.Millisecond)
		}
		d := time.Since(start)
		backendName := "SQLite, one customs serve process"
		if pg != "" {
			backendName = "PostgreSQL, customs serve --workers 0 + customs worker"
		}
		t.Logf("%d worker(s) (%s): %d images (cold layer cache: the Alpine base once, a layer of its own each) in %s: %.0f images/minute; scanning process peak RSS %.0f MB (API %.0f MB)",
			workers, backendName, images, d.Round(time.Millisecond), float64(images)/d.Minutes(), f.peakRSS(scanner), f.peakRSS("api"))
		if workers == 1 {
			admissionLatency(t, f, host+"/app@"+digests[0])
		}
		if workers == 2 {
			if fleetDSN := os.Getenv("CUSTOMS_SERVEBENCH_FLEET"); fleetDSN != "" {
				fleetReportLatency(t, bin, db, fleetDSN)
			} else {
				reportLatency(t, f, st, stored)
			}
		}
		f.kill(scanner)
		f.kill("api")
		st.Close()
	}
}

// admissionLatency sends AdmissionReviews of a pod of one known image (by
// digest) at 200 per second for 10 s, open loop, and reports the
// latencies.
func admissionLatency(t *testing.T, f *fleet, image string) {
	const rate, seconds = 200, 10
	body, _ := json.Marshal(map[string]any{"apiVersion": "admission.k8s.io/v1", "kind": "AdmissionReview",
		"request": map[string]any{"uid": "bench", "kind": map[string]any{"group": "", "version": "v1", "kind": "Pod"},
			"resource": map[string]any{"group": "", "version": "v1", "resource": "pods"}, "namespace": "shop", "operation": "CREATE",
			"object": map[string]any{"apiVersion": "v1", "kind": "Pod", "metadata": map[string]any{"name": "p", "namespace": "shop"},
				"spec": map[string]any{"containers": []map[string]any{{"name": "app", "image": image}}}}}})
	send := func() (time.Duration, bool) {
		req, _ := http.NewRequest("POST", "http://"+f.api+"/v1/admission", bytes.NewReader(body))
		req.Header.Set("Authorization", "Bearer "+f.token)
		req.Header.Set("Content-Type", "application/json")
		s := time.Now()
		resp, err := client.Do(req)
		if err != nil {
			return 0, false
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return time.Since(s), resp.StatusCode == 200 && bytes.Contains(b, []byte(`"allowed":true`))
	}
	if _, ok := send(); !ok { // warm: the verdict is cached after the first
		t.Errorf("admission of %s: not allowed", image)
	}
	lat := make([]time.Duration, 0, rate*seconds)
	var mu sync.Mutex
	var wg sync.WaitGroup
	failed := 0
	tick := time.NewTicker(time.Second / rate)
	for range rate * seconds {
		<-tick.C
		wg.Go(func() {
			d, ok := send()
			mu.Lock()
			defer mu.Unlock()
			if !ok {
				failed++
				return
			}
			lat = append(lat, d)
		})
	}
	tick.Stop()
	wg.Wait()
	slices.Sort(lat)
	if len(lat) == 0 {
		t.Fatal("no admission answered")
	}
	q := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))].Round(10 * time.Microsecond) }
	t.Logf("POST /v1/admission for a known digest at %d/s for %d s: %d answered, %d failed; p50 %s, p90 %s, p99 %s, max %s; API peak RSS %.0f MB",
		rate, seconds, len(lat), failed, q(.5), q(.9), q(.99), lat[len(lat)-1].Round(10*time.Microsecond), f.peakRSS("api"))
}

// fleetReportLatency starts an API-only customs serve on the fleet store
// (another helper's store of 10,000 images) and times GET
// /v1/images/{digest}/report for random images of it.
func fleetReportLatency(t *testing.T, bin, db, dsn string) {
	ctx := t.Context()
	st, err := backend.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	subs, err := st.Subjects(ctx)
	st.Close()
	if err != nil {
		t.Fatal(err)
	}
	var digests []string
	for _, s := range subs {
		if strings.HasPrefix(s.Subject.Digest, "sha256:") {
			digests = append(digests, s.Subject.Digest)
		}
	}
	dir := t.TempDir()
	f := &fleet{t: t, bin: bin, dir: dir, dsn: dsn, api: freeAddr(t), procs: map[string]*exec.Cmd{}, started: map[string][]string{}}
	os.WriteFile(filepath.Join(dir, "none.yaml"), []byte("serve:\n  dbUpdateEvery: 0s\n"), 0o644)
	f.env = []string{"HOME=" + dir, "CUSTOMS_CONFIG=" + filepath.Join(dir, "none.yaml")}
	tok, err := exec.Command(bin, "token", "create", "--scope", "read", "--name", "servebench", "--store", dsn).Output()
	if err != nil {
		t.Fatal(err)
	}
	f.token = strings.TrimSpace(string(tok))
	f.started["api"] = []string{"serve", "--listen", f.api, "--workers", "0", "--store", dsn, "--db", db}
	f.run("api")
	defer f.kill("api")
	f.waitReady()
	timeReports(t, f, digests, fmt.Sprintf("the fleet store (%d images, %s)", len(digests), strings.SplitN(dsn, ":", 2)[0]))
}

// reportLatency fills the store up to n images (copies of a scanned
// image's report under other digests and references) and times GET
// /v1/images/{digest}/report for random ones.
func reportLatency(t *testing.T, f *fleet, st store.Store, n int) {
	ctx := t.Context()
	subs, err := st.Subjects(ctx)
	if err != nil || len(subs) == 0 {
		t.Fatal("no scanned image", err)
	}
	sr, err := st.Report(ctx, subs[0].Subject.Digest)
	if err != nil {
		t.Fatal(err)
	}
	start := time.Now()
	digests := make([]string, 0, n)
	for i := len(subs); i < n; i++ {
		r := *sr.Report
		sum := sha256.Sum256([]byte("servebench " + strconv.Itoa(i)))
		r.Target.ManifestDigest = "sha256:" + hex.EncodeToString(sum[:])
		r.Target.Ref = fmt.Sprintf("bench.example/app-%d:1", i)
		r.Target.RepoTags, r.Target.RepoDigests = nil, nil
		if _, err := st.Record(ctx, store.Input{Report: &r}); err != nil {
			t.Fatal(err)
		}
		digests = append(digests, r.Target.ManifestDigest)
	}
	t.Logf("recorded %d more images in %s", len(digests), time.Since(start).Round(time.Millisecond))
	timeReports(t, f, digests, fmt.Sprintf("%d images stored (copies of one report)", len(digests)+len(subs)))
}

// timeReports times GET /v1/images/{digest}/report for 1000 random
// digests, 4 at a time: each digest's first read, its repeated read right
// after (the API's cache), and a conditional read with the ETag of the
// first (304).
func timeReports(t *testing.T, f *fleet, digests []string, what string) {
	var first, again, cond []time.Duration
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	get := func(d, etag string, want int) (time.Duration, string, bool) {
		req, _ := http.NewRequestWithContext(context.Background(), "GET", "http://"+f.api+"/v1/images/"+d+"/report", nil)
		req.Header.Set("Authorization", "Bearer "+f.token)
		if etag != "" {
			req.Header.Set("If-None-Match", etag)
		}
		s := time.Now()
		resp, err := client.Do(req)
		if err != nil || resp.StatusCode != want {
			t.Errorf("report %s: %v %v; want %d", d, err, resp, want)
			return 0, "", false
		}
		io.Copy(io.Discard, resp.Body)
		resp.Body.Close()
		return time.Since(s), resp.Header.Get("ETag"), true
	}
	start := time.Now()
	for range 1000 {
		d := digests[rand.IntN(len(digests))]
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			l1, etag, ok := get(d, "", 200)
			if !ok {
				return
			}
			l2, _, ok := get(d, "", 200)
			if !ok {
				return
			}
			l3, _, ok := get(d, etag, 304)
			if !ok {
				return
			}
			mu.Lock()
			first, again, cond = append(first, l1), append(again, l2), append(cond, l3)
			mu.Unlock()
		})
	}
	wg.Wait()
	if len(first) == 0 {
		return
	}
	for _, m := range []struct {
		name string
		lat  []time.Duration
	}{{"first read", first}, {"repeated read", again}, {"If-None-Match (304)", cond}} {
		lat := m.lat
		slices.Sort(lat)
		q := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))].Round(10 * time.Microsecond) }
		t.Logf("GET /v1/images/{digest}/report with %s, 1000 random digests, 4 at a time, %s: p50 %s, p90 %s, p99 %s, max %s",
			what, m.name, q(.5), q(.9), q(.99), lat[len(lat)-1].Round(10*time.Microsecond))
	}
	t.Logf("3000 requests in %s; API peak RSS %.0f MB", time.Since(start).Round(time.Millisecond), f.peakRSS("api"))
}
