package server_test

import (
	"bufio"
	"bytes"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/customs-scanner/customs/internal/service/servicetest"
	"github.com/customs-scanner/customs/internal/shareddata"
	"github.com/customs-scanner/customs/internal/store/storetest"
)

// TestScheduledUpdatePostgres runs two customs serve processes of one
// deployment on a real PostgreSQL with --db-update-every 3s: the scheduled
// DB update (from a feed mirror on loopback) runs once per period for the
// deployment, not once per process, each run in one process only, and is
// followed there by re-evaluation of the store and delivery of its
// notifications.
func TestScheduledUpdatePostgres(t *testing.T) {
	base := shareddata.Postgres(t)
	if testing.Short() {
		t.Skip("runs two customs serve processes for 12 s")
	}
	const period = 3 * time.Second
	dsn := storetest.PostgresSchema(t, base)
	dir := t.TempDir()
	db, err := servicetest.DB(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	feeds := filepath.Join("..", "vulndb", "update", "testdata", "alpine")
	mirror := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch {
		case strings.HasSuffix(r.URL.Path, "/main.json"):
			http.ServeFile(w, r, filepath.Join(feeds, "311-main.json"))
		case strings.HasSuffix(r.URL.Path, "/community.json"):
			http.ServeFile(w, r, filepath.Join(feeds, "311-community.json"))
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(mirror.Close)
	f := &fleet{t: t, bin: customsBinary(t), dir: dir, dsn: dsn, api: freeAddr(t), procs: map[string]*exec.Cmd{}, started: map[string][]string{}}
	f.env = []string{"HOME=" + dir, "CUSTOMS_CONFIG=" + filepath.Join(dir, "config.yaml")}
	cfg := "feeds:\n  alpine: " + mirror.URL + "/secdb\nserve:\n  dbUpdateEvery: " + period.String() + "\n  dbUpdateFeeds: [alpine]\n"
	if err := os.WriteFile(filepath.Join(dir, "config.yaml"), []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}
	procs := []string{"a", "b"}
	for _, p := range procs {
		f.started[p] = []string{"serve", "--listen", freeAddr(t), "--workers", "1", "--store", dsn, "--db", db}
	}
	t.Cleanup(func() {
		for _, p := range procs {
			f.kill(p)
		}
	})
	start := time.Now()
	for _, p := range procs {
		f.run(p)
	}
	time.Sleep(4*period + period/2)
	// SIGTERM: the processes finish what they run and log it.
	for _, p := range procs {
		f.mu.Lock()
		f.procs[p].Process.Signal(os.Interrupt)
		f.mu.Unlock()
	}
	time.Sleep(2 * time.Second)
	elapsed := time.Since(start)

	type run struct {
		proc     string
		at       string
		job      int64
		attempt  int
		err      string
		reevalAt int // the line of the following re-evaluation, or -1
	}
	var runs []run
	for _, p := range procs {
		b, err := os.ReadFile(filepath.Join(dir, p+".log"))
		if err != nil {
			t.Fatal(err)
		}
		var lines []map[string]any
		sc := bufio.NewScanner(bytes.NewReader(b))
		sc.Buffer(nil, 1<<20)
		for sc.Scan() {
			var e map[string]any
			if json.Unmarshal(sc.Bytes(), &e) == nil {
				lines = append(lines, e)
			}
		}
		for i, e := range lines {
			if e["msg"] != "scheduled db update" {
				continue
			}
			at, _ := e["time"].(string)
			r := run{proc: p, at: at, job: int64(e["job"].(float64)), attempt: int(e["attempt"].(float64)), reevalAt: -1}
			r.err, _ = e["error"].(string)
			// Re-evaluation runs before the job's own line is written.
			for j := i - 1; j >= 0 && j >= i-20; j-- {
				if lines[j]["msg"] == "re-evaluated" {
					r.reevalAt = j
					break
				}
			}
			runs = append(runs, r)
		}
	}
	t.Logf("%d scheduled updates in %s with two processes: %+v", len(runs), elapsed.Round(time.Millisecond), runs)
	seen := map[int64]string{}
	for _, r := range runs {
		if p, ok := seen[r.job]; ok {
			t.Errorf("job %d ran in %s and in %s", r.job, p, r.proc)
		}
		seen[r.job] = r.proc
		if r.err != "" {
			t.Errorf("job %d in %s: %s", r.job, r.proc, r.err)
		}
		if r.reevalAt < 0 {
			t.Errorf("job %d in %s: no re-evaluation after the update", r.job, r.proc)
		}
	}
	// One per period for the deployment; two per period would be one per
	// process.
	if max := int(elapsed/period) + 1; len(runs) < 2 || len(runs) > max {
		t.Errorf("%d scheduled updates in %s with a period of %s; want 2 to %d", len(runs), elapsed.Round(time.Millisecond), period, max)
	}
}
