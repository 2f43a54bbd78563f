package cli

import (
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/customs-scanner/customs/internal/notify"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/store"
	"github.com/customs-scanner/customs/internal/store/backend"
)

// recordedApp records the quick start's app, scanned with a DB of Go
// advisories only (no finding), in a SQLite store; it returns the
// directory, the old DB, the path a new DB may be built at and the
// store's DSN.
func recordedApp(t *testing.T) (dir, oldDB, newDB, dsn string) {
	t.Helper()
	dir = t.TempDir()
	oldDB, newDB = filepath.Join(dir, "old.db"), filepath.Join(dir, "new.db")
	if r := run(t, "--db", oldDB, "db", "build", "--source", "osv="+goAdvisories); r.code != 0 {
		t.Fatalf("build the old DB: %s", r.stderr)
	}
	saved := filepath.Join(dir, "app.json")
	if r := run(t, "--db", oldDB, "--cache-dir", t.TempDir(), "scan", quickstartApp, "-o", "json="+saved); r.code != 0 {
		t.Fatalf("scan: exit %d: %s", r.code, r.stderr)
	}
	dsn = filepath.Join(dir, "store.db")
	t.Setenv("CUSTOMS_STORE", "")
	if r := run(t, "record", saved, "--store", dsn, "--ref", "registry.test/shop/app:1.0"); r.code != 0 {
		t.Fatalf("record: %s", r.stderr)
	}
	return dir, oldDB, newDB, dsn
}

// TestReevaluateAfterBuild records the quick start's app scanned with a
// DB of Go advisories only (no finding), then builds a DB with the PyPI
// advisories with a store and a webhook configured: the build re-evaluates the store
// without the image, and the webhook gets one signed event whose added
// findings are exactly what a fresh scan with the new DB finds.
func TestReevaluateAfterBuild(t *testing.T) {
	dir, _, newDB, dsn := recordedApp(t)

	var mu sync.Mutex
	var bodies [][]byte
	var sigs []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies, sigs = append(bodies, b), append(sigs, r.Header.Get("X-Customs-Signature"))
		mu.Unlock()
	}))
	defer hook.Close()
	cfg := filepath.Join(dir, "config.yaml")
	writeConfig := func(url string) {
		t.Helper()
		y := "notify:\n  webhooks:\n    - url: " + url + "\n      secret: s3cret\n      refs: [\"registry.test/shop/*\"]\n"
		if err := os.WriteFile(cfg, []byte(y), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	writeConfig(hook.URL + "/customs")

	r := run(t, "--config", cfg, "--db", newDB, "db", "build", "--source", "osv="+pypiAdvisories, "--store", dsn)
	if r.code != 0 || !strings.Contains(r.stdout, "re-evaluated 1 of 1 subjects") || !strings.Contains(r.stdout, "1 changed, 1 notifications queued") ||
		!strings.Contains(r.stdout, "notifications: 1 sent, 0 to retry, 0 failed") {
		t.Fatalf("db build with a store: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 1 || sigs[0] != notify.Sign(bodies[0], "s3cret") {
		t.Fatalf("the webhook got %d events (signatures %q)", len(bodies), sigs)
	}
	var e struct {
		ID   string      `json:"id"`
		Type string      `json:"type"`
		Data notify.Data `json:"data"`
	}
	if err := json.Unmarshal(bodies[0], &e); err != nil {
		t.Fatal(err)
	}

	// What a fresh scan of the image finds with the new DB.
	fresh := filepath.Join(dir, "fresh.json")
	if r := run(t, "--db", newDB, "--cache-dir", t.TempDir(), "scan", quickstartApp, "-o", "json="+fresh); r.code != 0 {
		t.Fatalf("scan with the new DB: %s", r.stderr)
	}
	b, err := os.ReadFile(fresh)
	if err != nil {
		t.Fatal(err)
	}
	var rep report.Report
	if err := json.Unmarshal(b, &rep); err != nil {
		t.Fatal(err)
	}
	if len(rep.Findings) == 0 {
		t.Fatal("the fresh scan found nothing: the test checks nothing")
	}
	if e.Type != "dev.customs.findings.changed" || e.Data.Counts != (notify.Counts{Added: len(rep.Findings)}) || len(e.Data.Added) != min(notify.Top, len(rep.Findings)) ||
		e.Data.Subject.Name != "registry.test/shop/app:1.0" {
		t.Errorf("event %s: type %s, data %+v; want %d added (the fresh scan's findings)", e.ID, e.Type, e.Data, len(rep.Findings))
	}
	var freshIDs []string
	for _, f := range rep.Findings {
		freshIDs = append(freshIDs, f.VulnerabilityID)
	}
	for _, f := range e.Data.Added {
		if !slices.Contains(freshIDs, f.VulnerabilityID) {
			t.Errorf("the event's added %s is not among the fresh scan's findings", f.VulnerabilityID)
		}
	}

	// Matched against this build already: nothing to do.
	r = run(t, "--config", cfg, "--db", newDB, "reevaluate", "--store", dsn)
	if r.code != 0 || !strings.HasPrefix(r.stdout, "re-evaluated 0 of 1 subjects") {
		t.Errorf("reevaluate again: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	r = run(t, "--config", cfg, "--db", newDB, "db", "build", "--source", "osv="+goAdvisories, "--store", dsn, "--no-reevaluate")
	if r.code != 0 || strings.Contains(r.stdout, "re-evaluated") {
		t.Errorf("db build --no-reevaluate: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
	if r := run(t, "notify", "status", "--store", dsn); r.code != 0 || r.stdout != "no notification waits for delivery\n" {
		t.Errorf("notify status: exit %d, %q %s", r.code, r.stdout, r.stderr)
	}

	// The Go-only DB resolves the app's findings; the webhook is down:
	// the event waits in the outbox, notify status lists it.
	writeConfig("http://127.0.0.1:9/customs?token=hunter2")
	r = run(t, "--config", cfg, "--db", newDB, "reevaluate", "--store", dsn, "-o", "json")
	var out reevaluateOutput
	if err := json.Unmarshal([]byte(r.stdout), &out); r.code != 0 || err != nil || out.Result.Changed != 1 || out.Delivered == nil || out.Delivered.Retrying != 1 {
		t.Fatalf("reevaluate with the webhook down: exit %d, %v\n%s%s", r.code, err, r.stdout, r.stderr)
	}
	if got := out.Result.Changes[0].Change; len(got.Resolved) != len(rep.Findings) || len(got.Added) != 0 {
		t.Errorf("against the Go-only DB: %d resolved, %d added; want the %d findings resolved", len(got.Resolved), len(got.Added), len(rep.Findings))
	}
	r = run(t, "notify", "status", "--store", dsn)
	if r.code != 0 || !strings.Contains(r.stdout, "http://127.0.0.1:9/customs ") || !strings.Contains(r.stdout, "pending") || strings.Contains(r.stdout, "hunter2") {
		t.Errorf("notify status with the webhook down: exit %d\n%s%s", r.code, r.stdout, r.stderr)
	}
}

var (
	quickstartApp  = "dir:" + filepath.Join("..", "..", "testdata", "quickstart", "app")
	pypiAdvisories = filepath.Join("..", "..", "testdata", "feeds", "osv-pypi")
)

func TestReevaluateRefuses(t *testing.T) {
	dir := t.TempDir()
	t.Setenv("CUSTOMS_STORE", "")
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte("notify:\n  webhooks:\n    - url: https://hooks.test/x\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		want string
	}{
		{[]string{"reevaluate"}, "no store: give --store DSN"},
		{[]string{"notify", "status"}, "no store: give --store DSN"},
		{[]string{"--db", filepath.Join(dir, "none.db"), "reevaluate", "--store", filepath.Join(dir, "s.db")}, "no vulnerability DB at"},
		{[]string{"--config", cfg, "reevaluate", "--store", filepath.Join(dir, "s.db")}, "no secret to sign the events with"},
		{[]string{"notify", "status", "--store", "mysql://u:hunter2@db/x"}, `unknown scheme "mysql"`},
	} {
		r := run(t, tc.args...)
		if r.code == 0 || !strings.Contains(r.stderr, tc.want) || strings.Count(strings.TrimSpace(r.stderr), "\n") > 0 || strings.Contains(r.stderr, "hunter2") {
			t.Errorf("%v: exit %d, stderr %q; want one line with %q", tc.args, r.code, r.stderr, tc.want)
		}
	}
}

// TestReevaluateSubscription: a webhook subscribed through the API (a
// store subscription, no config entry) gets re-evaluation's event, signed
// with its secret; its loopback URL is reached only while the config's
// serve.allowRegistries allows it (the SSRF guard at delivery).
func TestReevaluateSubscription(t *testing.T) {
	dir, oldDB, newDB, dsn := recordedApp(t)
	var mu sync.Mutex
	var bodies [][]byte
	var sigs []string
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		mu.Lock()
		bodies, sigs = append(bodies, b), append(sigs, r.Header.Get("X-Customs-Signature"))
		mu.Unlock()
	}))
	defer hook.Close()
	st, err := backend.Open(t.Context(), "sqlite:"+dsn)
	if err != nil {
		t.Fatal(err)
	}
	now := time.Now().UTC()
	if err := st.CreateSubscription(t.Context(), store.Subscription{ID: "sub_0123456789abcdef", URL: hook.URL + "/customs", Secret: "subscribed-secret-1",
		CreatedAt: now, UpdatedAt: now}); err != nil {
		t.Fatal(err)
	}
	st.Close()
	cfg := filepath.Join(dir, "config.yaml")
	if err := os.WriteFile(cfg, []byte("serve:\n  allowRegistries: [127.0.0.1]\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r := run(t, "--config", cfg, "--db", newDB, "db", "build", "--source", "osv="+pypiAdvisories, "--store", dsn)
	if r.code != 0 || !strings.Contains(r.stdout, "1 changed, 1 notifications queued") || !strings.Contains(r.stdout, "notifications: 1 sent, 0 to retry, 0 failed") {
		t.Fatalf("db build with a subscription: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	mu.Lock()
	if len(bodies) != 1 || sigs[0] != notify.Sign(bodies[0], "subscribed-secret-1") {
		t.Errorf("the subscribed webhook got %d events (signatures %q)", len(bodies), sigs)
	}
	mu.Unlock()

	// Without the allow-list the loopback URL is refused at delivery.
	if err := os.WriteFile(cfg, []byte("serve:\n  allowRegistries: []\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	r = run(t, "--config", cfg, "--db", oldDB, "reevaluate", "--store", dsn)
	if r.code != 0 || !strings.Contains(r.stdout, "notifications: 0 sent, 1 to retry, 0 failed") {
		t.Errorf("reevaluate without the allow-list: exit %d\n%s\n%s", r.code, r.stdout, r.stderr)
	}
	mu.Lock()
	defer mu.Unlock()
	if len(bodies) != 1 {
		t.Errorf("the webhook got %d events; want the first only", len(bodies))
	}
}
