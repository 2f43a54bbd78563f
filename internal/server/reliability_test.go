package server_test

import (
	"bufio"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"

	"github.com/customs-scanner/customs/internal/service/servicetest"
	"github.com/customs-scanner/customs/internal/shareddata"
	"github.com/customs-scanner/customs/internal/store/backend"
	"github.com/customs-scanner/customs/internal/store/storetest"
)

// fleet is customs serve and customs worker processes of one deployment.
type fleet struct {
	t       *testing.T
	bin     string
	dir     string
	env     []string
	dsn     string
	api     string // the API's address
	token   string
	rescue  time.Duration
	mu      sync.Mutex
	procs   map[string]*exec.Cmd
	started map[string][]string
	// left counts the scan jobs not finished.
	left func() int
}

// customsBinary builds cmd/customs once per test binary.
var (
	binOnce sync.Once
	binPath string
	binErr  error
)

func customsBinary(t *testing.T) string {
	t.Helper()
	binOnce.Do(func() {
		dir, err := os.MkdirTemp("", "customs-bin")
		if err != nil {
			binErr = err
			return
		}
		binPath = filepath.Join(dir, "customs")
		cmd := exec.Command("go", "build", "-o", binPath, "./cmd/customs")
		cmd.Dir = servicetest.Root()
		if out, err := cmd.CombinedOutput(); err != nil {
			binErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if binErr != nil {
		t.Fatal(binErr)
	}
	return binPath
}

func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer l.Close()
	return l.Addr().String()
}

// run starts a named process: "api" (customs serve --workers 0) or a
// worker.
func (f *fleet) run(name string) {
	f.t.Helper()
	args := f.started[name]
	cmd := exec.Command(f.bin, args...)
	cmd.Env = append(os.Environ(), f.env...)
	cmd.Env = append(cmd.Env, "CUSTOMS_CACHE_DIR="+filepath.Join(f.dir, "cache-"+name))
	logf, err := os.OpenFile(filepath.Join(f.dir, name+".log"), os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		f.t.Fatal(err)
	}
	cmd.Stdout, cmd.Stderr = logf, logf
	if err := cmd.Start(); err != nil {
		f.t.Fatal(err)
	}
	go func() { cmd.Wait(); logf.Close() }()
	f.mu.Lock()
	f.procs[name] = cmd
	f.mu.Unlock()
}

// kill kills a process with SIGKILL.
func (f *fleet) kill(name string) {
	f.mu.Lock()
	cmd := f.procs[name]
	delete(f.procs, name)
	f.mu.Unlock()
	if cmd != nil {
		cmd.Process.Kill()
	}
}

// allowRegistry is the flag that lets the server scan a registry on
// loopback, once the SSRF guard is part of customs serve.
func allowRegistry(bin, host string) []string {
	if out, err := exec.Command(bin, "serve", "--help").Output(); err == nil && strings.Contains(string(out), "--allow-registry") {
		return []string{"--allow-registry", host}
	}
	return nil
}

// peakRSS is a running process's peak resident memory (VmHWM), in MB.
func (f *fleet) peakRSS(name string) float64 {
	f.mu.Lock()
	cmd := f.procs[name]
	f.mu.Unlock()
	if cmd == nil {
		return 0
	}
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", cmd.Process.Pid))
	if err != nil {
		return 0
	}
	sc := bufio.NewScanner(bytes.NewReader(b))
	for sc.Scan() {
		if v, ok := strings.CutPrefix(sc.Text(), "VmHWM:"); ok {
			kb, _ := strconv.Atoi(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")))
			return float64(kb) / 1024
		}
	}
	return 0
}

// waitReady waits for the API to answer /healthz.
func (f *fleet) waitReady() {
	f.t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		resp, err := http.Get("http://" + f.api + "/healthz")
		if err == nil {
			resp.Body.Close()
			if resp.StatusCode == 200 {
				return
			}
		}
		time.Sleep(50 * time.Millisecond)
	}
	f.t.Fatalf("the API did not come up; its log:\n%s", f.log("api"))
}

func (f *fleet) log(name string) string {
	b, _ := os.ReadFile(filepath.Join(f.dir, name+".log"))
	if len(b) > 4000 {
		b = b[len(b)-4000:]
	}
	return string(b)
}

var client = &http.Client{Timeout: 30 * time.Second, Transport: &http.Transport{MaxIdleConnsPerHost: 200, MaxConnsPerHost: 200}}

// call sends a request to the API, again while the API is down (killed
// and starting again), and returns the status and body.
func (f *fleet) call(method, path string, body any) (int, []byte, error) {
	var raw []byte
	if body != nil {
		raw, _ = json.Marshal(body)
	}
	var last error
	for range 200 {
		req, _ := http.NewRequest(method, "http://"+f.api+path, bytes.NewReader(raw))
		req.Header.Set("Authorization", "Bearer "+f.token)
		if body != nil {
			req.Header.Set("Content-Type", "application/json")
		}
		resp, err := client.Do(req)
		if err != nil {
			last = err
			time.Sleep(100 * time.Millisecond)
			continue
		}
		b, _ := io.ReadAll(resp.Body)
		resp.Body.Close()
		return resp.StatusCode, b, nil
	}
	return 0, nil, last
}

// TestReliabilityPostgres is issue 13's reliability proof with real
// processes: one API process and three customs worker processes on a real
// PostgreSQL, scan jobs over real images in a loopback registry, workers
// and the API killed with SIGKILL at random while they run. Every job
// ends done exactly once, none is lost, no running job goes without a
// heartbeat longer than the rescue time; a restart keeps queued jobs; 500
// concurrent report requests all succeed; a burst of 5,000 requests for
// 50 digests is deduplicated without the API's memory blowing up.
func TestReliabilityPostgres(t *testing.T) {
	base := shareddata.Postgres(t)
	jobs, reports, burst, burstDigests := 200, 500, 5000, 50
	if testing.Short() {
		jobs, reports, burst, burstDigests = 40, 100, 1000, 10
	}
	ctx := t.Context()
	dsn := storetest.PostgresSchema(t, base)
	dir := t.TempDir()
	db, err := servicetest.DB(ctx, dir)
	if err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	host := servicetest.Registry(t)
	refs, digests, err := servicetest.Push(ctx, host, jobs+burstDigests)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("set-up: DB and %d images pushed in %s", jobs+burstDigests, time.Since(t0).Round(time.Millisecond))
	var pg *pgxpool.Pool
	f := &fleet{t: t, bin: customsBinary(t), dir: dir, dsn: dsn, api: freeAddr(t), rescue: 3 * time.Second,
		procs: map[string]*exec.Cmd{}, started: map[string][]string{}}
	t.Cleanup(func() {
		for name := range f.started {
			f.kill(name)
		}
	})
	f.env = []string{"HOME=" + dir, "CUSTOMS_CONFIG=" + filepath.Join(dir, "config.yaml"),
		"CUSTOMS_SERVE_KEY=" + base64.StdEncoding.EncodeToString(servicetest.Key()), "CUSTOMS_RESCUE_AFTER=" + f.rescue.String()}
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte("serve:\n  dbUpdateEvery: 0s\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	common := []string{"--store", dsn, "--db", db}
	common = append(common, allowRegistry(f.bin, host)...)
	f.started["api"] = append([]string{"serve", "--listen", f.api, "--workers", "0"}, common...)
	workers := []string{"w1", "w2", "w3"}
	for _, w := range workers {
		f.started[w] = append([]string{"worker", "--workers", "2"}, common...)
	}
	// The store and the queue's tables exist before the fleet starts.
	st, err := backend.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	tok, err := exec.Command(f.bin, "token", "create", "--scope", "scan", "--store", dsn).Output()
	if err != nil {
		t.Fatalf("token create: %v", err)
	}
	f.token = strings.TrimSpace(string(tok))
	f.left = func() int {
		n := -1
		if err := pg.QueryRow(ctx, "SELECT count(*) FROM river_job WHERE kind = 'scan' AND state NOT IN ('completed', 'discarded', 'cancelled')").Scan(&n); err != nil {
			t.Logf("count the jobs left: %v", err)
		}
		return n
	}
	f.run("api")
	f.waitReady()
	for _, w := range workers {
		f.run(w)
	}
	pg, err = pgxpool.New(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	defer pg.Close()

	// Submit the jobs while workers and the API are killed at random.
	start := time.Now()
	ids := make([]string, jobs)
	var wg sync.WaitGroup
	sem := make(chan struct{}, 20)
	for i := range jobs {
		wg.Go(func() {
			sem <- struct{}{}
			defer func() { <-sem }()
			code, b, err := f.call("POST", "/v1/scans", map[string]any{"target": refs[i], "scanners": []string{"vuln"}})
			if err != nil || (code != 202 && code != 200) {
				t.Errorf("POST %s = %d %s %v", refs[i], code, b, err)
				return
			}
			var sc scanDoc
			json.Unmarshal(b, &sc)
			ids[i] = sc.ID
		})
	}
	stopChaos := make(chan struct{})
	var kills, apiKills atomic.Int32
	chaosDone := make(chan struct{})
	go func() {
		defer close(chaosDone)
		rng := rand.New(rand.NewPCG(1, uint64(time.Now().UnixNano())))
		for n := 0; ; n++ {
			select {
			case <-stopChaos:
				return
			case <-time.After(time.Duration(700+rng.IntN(1500)) * time.Millisecond):
			}
			name := workers[rng.IntN(len(workers))]
			if n%4 == 3 {
				name = "api"
				apiKills.Add(1)
			}
			f.kill(name)
			kills.Add(1)
			time.Sleep(time.Duration(100+rng.IntN(400)) * time.Millisecond)
			f.run(name)
		}
	}()
	// Watch the heartbeats: the longest a running job went unbeaten.
	var stale atomic.Int64
	watchDone := make(chan struct{})
	go func() {
		defer close(watchDone)
		for {
			var s *float64
			if err := pg.QueryRow(ctx, "SELECT max(extract(epoch FROM now() - attempted_at))::float8 FROM river_job WHERE kind = 'scan' AND state = 'running'").Scan(&s); err == nil && s != nil {
				if ms := int64(*s * 1000); ms > stale.Load() {
					stale.Store(ms)
				}
			}
			select {
			case <-stopChaos:
				if f.left() == 0 {
					return
				}
			default:
			}
			time.Sleep(200 * time.Millisecond)
		}
	}()
	wg.Wait()
	// Let the chaos run while the queue drains (20 s at most), then stop
	// it, start what it left down, and wait for the queue to drain.
	chaosEnd := time.Now().Add(20 * time.Second)
	for time.Now().Before(chaosEnd) && f.left() > 0 {
		time.Sleep(200 * time.Millisecond)
	}
	close(stopChaos)
	<-chaosDone
	f.mu.Lock()
	var down []string
	for name := range f.started {
		if f.procs[name] == nil {
			down = append(down, name)
		}
	}
	f.mu.Unlock()
	for _, name := range down {
		f.run(name)
	}
	select {
	case <-watchDone:
	case <-time.After(60 * time.Second):
		t.Fatalf("%d jobs still not finished a minute after the chaos; worker w1's log:\n%s", f.left(), f.log("w1"))
	}
	t.Logf("%d jobs in %s with %d kills (%d of the API); the longest a running job went without a heartbeat: %.1f s (rescue after %s)",
		jobs, time.Since(start).Round(time.Millisecond), kills.Load(), apiKills.Load(), float64(stale.Load())/1000, f.rescue)
	for i, id := range ids {
		if id == "" {
			continue
		}
		code, b, err := f.call("GET", "/v1/scans/"+id, nil)
		var sc scanDoc
		json.Unmarshal(b, &sc)
		if err != nil || code != 200 || sc.Status != "done" || sc.Digest != digests[i] {
			t.Errorf("job %s (%s) = %d %s %v; want done", id, refs[i], code, b, err)
		}
	}
	var completed, other int
	pg.QueryRow(ctx, "SELECT count(*) FILTER (WHERE state = 'completed'), count(*) FILTER (WHERE state <> 'completed') FROM river_job WHERE kind = 'scan'").Scan(&completed, &other)
	if completed != jobs || other != 0 {
		t.Errorf("queue: %d completed, %d in other states; want %d completed, none else", completed, other, jobs)
	}
	for i := range jobs {
		h, err := st.History(ctx, digests[i])
		if err != nil || len(h) != 1 {
			t.Errorf("store: %s has %d snapshots (%v); want exactly one", digests[i], len(h), err)
		}
	}
	// The rescue bound: a killed worker's job is queued again after
	// RescueAfter without a beat, found by a reaper beating every third
	// of it; fetching it again takes up to a second's poll.
	if bound := f.rescue + f.rescue/3 + 2*time.Second; time.Duration(stale.Load())*time.Millisecond > bound {
		t.Errorf("a running job went %.1f s without a heartbeat; want at most %s", float64(stale.Load())/1000, bound)
	}

	t.Logf("checked at %s", time.Since(t0).Round(time.Millisecond))
	// A restart keeps every queued job: with no worker, queue jobs, kill
	// the API, start it again.
	f.waitReady()
	for _, w := range workers {
		f.kill(w)
	}
	queued := make([]string, 0, 10)
	for i := jobs; i < jobs+10; i++ {
		code, b, err := f.call("POST", "/v1/scans", map[string]any{"target": refs[i], "scanners": []string{"vuln"}})
		var sc scanDoc
		json.Unmarshal(b, &sc)
		if err != nil || code != 202 {
			t.Fatalf("POST = %d %s %v; want 202", code, b, err)
		}
		queued = append(queued, sc.ID)
	}
	f.kill("api")
	f.run("api")
	f.waitReady()
	for _, id := range queued {
		if code, b, _ := f.call("GET", "/v1/scans/"+id, nil); code != 200 || !strings.Contains(string(b), `"status":"queued"`) {
			t.Errorf("after the restart, job %s = %d %s; want queued", id, code, b)
		}
	}
	for _, w := range workers {
		f.run(w)
	}

	t.Logf("restart checked at %s", time.Since(t0).Round(time.Millisecond))
	// 500 concurrent report requests.
	var failed atomic.Int32
	var rwg sync.WaitGroup
	rstart := time.Now()
	for i := range reports {
		rwg.Go(func() {
			code, _, err := f.call("GET", "/v1/images/"+digests[i%jobs]+"/report", nil)
			if err != nil || code != 200 {
				failed.Add(1)
			}
		})
	}
	rwg.Wait()
	t.Logf("%d concurrent report requests in %s, %d failed", reports, time.Since(rstart).Round(time.Millisecond), failed.Load())
	if failed.Load() > 0 {
		t.Errorf("%d of %d concurrent report requests failed", failed.Load(), reports)
	}

	// A Scan-All burst: 5,000 requests for 50 digests.
	var before int
	pg.QueryRow(ctx, "SELECT count(*) FROM river_job WHERE kind = 'scan'").Scan(&before)
	rssBefore := f.peakRSS("api")
	bstart := time.Now()
	var codes sync.Map
	bsem := make(chan struct{}, 50)
	var bwg sync.WaitGroup
	for i := range burst {
		bwg.Go(func() {
			bsem <- struct{}{}
			defer func() { <-bsem }()
			d := jobs + i%10
			if burstDigests > 10 {
				d = jobs + 10 + i%(burstDigests-10)
			}
			code, _, err := f.call("POST", "/v1/scans", map[string]any{"target": refs[d], "scanners": []string{"vuln"}})
			if err != nil {
				code = -1
			}
			n, _ := codes.LoadOrStore(code, new(atomic.Int32))
			n.(*atomic.Int32).Add(1)
		})
	}
	bwg.Wait()
	var after int
	pg.QueryRow(ctx, "SELECT count(*) FROM river_job WHERE kind = 'scan'").Scan(&after)
	summary := map[int]int32{}
	codes.Range(func(k, v any) bool { summary[k.(int)] = v.(*atomic.Int32).Load(); return true })
	rss := f.peakRSS("api")
	t.Logf("burst of %d requests for %d digests in %s: %v by status; %d jobs queued; API peak RSS %.0f MB (%.0f MB before)",
		burst, burstDigests, time.Since(bstart).Round(time.Millisecond), summary, after-before, rss, rssBefore)
	for code, n := range summary {
		if code != 200 && code != 202 && code != 429 {
			t.Errorf("%d burst requests answered %d", n, code)
		}
	}
	if after-before > burstDigests {
		t.Errorf("the burst queued %d jobs for %d digests; want one per digest at most", after-before, burstDigests)
	}
	if rss > 250 {
		t.Errorf("the API's peak RSS is %.0f MB after the burst; want under 250 MB", rss)
	}
	for _, w := range workers {
		t.Logf("worker %s peak RSS %.0f MB", w, f.peakRSS(w))
	}
}
