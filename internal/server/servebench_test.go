package server_test

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"math/rand/v2"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/customs-scanner/customs/internal/service/servicetest"
	"github.com/customs-scanner/customs/internal/store"
	"github.com/customs-scanner/customs/internal/store/backend"
)

// TestServeBench measures customs serve (scripts/servebench.sh; set
// CUSTOMS_SERVEBENCH=1): images per minute with one and two workers over
// the test images in a loopback registry, a worker's peak memory, and the
// report endpoint's latency with 10,000 images in the store
// (CUSTOMS_SERVEBENCH_IMAGES changes the count).
func TestServeBench(t *testing.T) {
	if os.Getenv("CUSTOMS_SERVEBENCH") == "" {
		t.Skip("a benchmark: run scripts/servebench.sh (CUSTOMS_SERVEBENCH=1)")
	}
	stored := 10000
	if n, err := strconv.Atoi(os.Getenv("CUSTOMS_SERVEBENCH_IMAGES")); err == nil {
		stored = n
	}
	const images = 60
	ctx := t.Context()
	dir := t.TempDir()
	db, err := servicetest.DB(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	host := servicetest.Registry(t)
	refs, _, err := servicetest.Push(ctx, host, 2*images)
	if err != nil {
		t.Fatal(err)
	}
	bin := customsBinary(t)
	for _, workers := range []int{1, 2} {
		dsn := "sqlite:" + filepath.Join(dir, fmt.Sprintf("store-%d.db", workers))
		f := &fleet{t: t, bin: bin, dir: dir, dsn: dsn, api: freeAddr(t), procs: map[string]*exec.Cmd{}, started: map[string][]string{}}
		f.env = []string{"HOME=" + dir, "CUSTOMS_CONFIG=" + filepath.Join(dir, "none.yaml")}
		os.WriteFile(filepath.Join(dir, "none.yaml"), []byte("serve:\n  dbUpdateEvery: 0s\n"), 0o644)
		name := fmt.Sprintf("serve%d", workers)
		f.started[name] = []string{"serve", "--listen", f.api, "--workers", strconv.Itoa(workers), "--store", dsn, "--db", db}
		f.started[name] = append(f.started[name], allowRegistry(bin, host)...)
		f.started["api"] = f.started[name]
		st, err := backend.Open(ctx, dsn)
		if err != nil {
			t.Fatal(err)
		}
		tok, err := exec.Command(bin, "token", "create", "--scope", "scan", "--store", dsn).Output()
		if err != nil {
			t.Fatal(err)
		}
		f.token = string(tok[:len(tok)-1])
		f.run(name)
		f.waitReady()
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
		t.Logf("%d worker(s): %d images (cold layer cache: the Alpine base once, a layer of its own each) in %s: %.0f images/minute; process peak RSS %.0f MB",
			workers, images, d.Round(time.Millisecond), float64(images)/d.Minutes(), f.peakRSS(name))
		if workers == 2 {
			reportLatency(t, f, st, stored)
		}
		f.kill(name)
		st.Close()
	}
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
	lat := make([]time.Duration, 0, 1000)
	var mu sync.Mutex
	var wg sync.WaitGroup
	sem := make(chan struct{}, 4)
	for range 1000 {
		d := digests[rand.IntN(len(digests))]
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			req, _ := http.NewRequestWithContext(context.Background(), "GET", "http://"+f.api+"/v1/images/"+d+"/report", nil)
			req.Header.Set("Authorization", "Bearer "+f.token)
			s := time.Now()
			resp, err := client.Do(req)
			if err != nil || resp.StatusCode != 200 {
				t.Errorf("report %s: %v %v", d, err, resp)
				return
			}
			resp.Body.Close()
			mu.Lock()
			lat = append(lat, time.Since(s))
			mu.Unlock()
		})
	}
	wg.Wait()
	slices.Sort(lat)
	if len(lat) == 0 {
		return
	}
	q := func(p float64) time.Duration { return lat[int(p*float64(len(lat)-1))].Round(10 * time.Microsecond) }
	t.Logf("GET /v1/images/{digest}/report with %d images stored (SQLite), 1000 requests, 4 at a time: p50 %s, p90 %s, p99 %s, max %s",
		len(digests)+len(subs), q(.5), q(.9), q(.99), lat[len(lat)-1])
}
