package storetest

import (
	"bytes"
	"context"
	"crypto/hmac"
	"encoding/json"
	"fmt"
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

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/customs-scanner/customs/internal/notify"
	"github.com/customs-scanner/customs/internal/reevaluate"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/scan"
	"github.com/customs-scanner/customs/internal/store"
	"github.com/customs-scanner/customs/internal/vulndb/build"
)

// DBs are two vulnerability DBs built from slices of testdata/feeds: Old
// from the Alpine 3.10 secdb and the PyPI advisories without
// PYSEC-2023-192 (urllib3, CVE-2023-43804) and PYSEC-2023-74 (requests,
// CVE-2023-32681); New from the secdb and the PyPI advisories with those
// two but without PYSEC-2019-133 (urllib3, CVE-2019-11324, as if
// withdrawn), and CISA's KEV catalog, which lists pyspark's
// CVE-2022-33891.
type DBs struct{ Old, New string }

var (
	dbsOnce sync.Once
	dbs     DBs
	dbsErr  error
)

// TwoDBs builds the DBs once per test binary.
func TwoDBs(t testing.TB) DBs {
	t.Helper()
	dbsOnce.Do(func() {
		dir, err := os.MkdirTemp("", "customs-storetest-dbs-")
		if err != nil {
			dbsErr = err
			return
		}
		dbs, dbsErr = buildDBs(context.Background(), repoRoot(), dir)
	})
	if dbsErr != nil {
		t.Fatalf("build the two DBs: %v", dbsErr)
	}
	return dbs
}

func buildDBs(ctx context.Context, root, dir string) (DBs, error) {
	feeds := filepath.Join(root, "testdata", "feeds")
	slice := func(name string, drop ...string) (string, error) {
		out := filepath.Join(dir, name)
		if err := os.MkdirAll(out, 0o755); err != nil {
			return "", err
		}
		paths, err := filepath.Glob(filepath.Join(feeds, "osv-pypi", "*.yaml"))
		if err != nil {
			return "", err
		}
		for _, p := range paths {
			if slices.Contains(drop, strings.TrimSuffix(filepath.Base(p), ".yaml")) {
				continue
			}
			b, err := os.ReadFile(p)
			if err != nil {
				return "", err
			}
			if err := os.WriteFile(filepath.Join(out, filepath.Base(p)), b, 0o644); err != nil {
				return "", err
			}
		}
		return out, nil
	}
	oldPyPI, err := slice("pypi-old", "PYSEC-2023-192", "PYSEC-2023-74")
	if err != nil {
		return DBs{}, err
	}
	newPyPI, err := slice("pypi-new", "PYSEC-2019-133")
	if err != nil {
		return DBs{}, err
	}
	alpine := build.Source{Kind: "alpine-secdb", Path: filepath.Join(feeds, "alpine-secdb")}
	d := DBs{Old: filepath.Join(dir, "old.db"), New: filepath.Join(dir, "new.db")}
	if _, err := build.Build(ctx, d.Old, []build.Source{alpine, {Kind: "osv", Path: oldPyPI}}, nil); err != nil {
		return DBs{}, fmt.Errorf("old DB: %w", err)
	}
	if _, err := build.Build(ctx, d.New, []build.Source{alpine, {Kind: "osv", Path: newPyPI},
		{Kind: "kev", Path: filepath.Join(feeds, "kev", "known_exploited_vulnerabilities.json")}}, nil); err != nil {
		return DBs{}, fmt.Errorf("new DB: %w", err)
	}
	return d, nil
}

// Rematched is a copy of r matched against the DB at db.
func Rematched(t *testing.T, r *report.Report, db string) *report.Report {
	t.Helper()
	b, err := json.Marshal(r)
	if err != nil {
		t.Fatal(err)
	}
	var c report.Report
	if err := json.Unmarshal(b, &c); err != nil {
		t.Fatal(err)
	}
	if err := scan.Rematch(t.Context(), &c, scan.Options{DBPath: db, Version: "storetest"}); err != nil {
		t.Fatal(err)
	}
	return &c
}

// receiver is a webhook on loopback keeping what it was sent.
type receiver struct {
	mu     sync.Mutex
	bodies [][]byte
	sigs   []string
	srv    *httptest.Server
	// hold, when set, is called before answering.
	hold func(r *http.Request)
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{}
	rc.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, _ := io.ReadAll(r.Body)
		rc.mu.Lock()
		rc.bodies = append(rc.bodies, b)
		rc.sigs = append(rc.sigs, r.Header.Get("X-Customs-Signature"))
		hold := rc.hold
		rc.mu.Unlock()
		if hold != nil {
			hold(r)
		}
		w.WriteHeader(http.StatusAccepted)
	}))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) got() ([][]byte, []string) {
	rc.mu.Lock()
	defer rc.mu.Unlock()
	return slices.Clone(rc.bodies), slices.Clone(rc.sigs)
}

// event is the CloudEvent as a receiver reads it.
type event struct {
	SpecVersion     string      `json:"specversion"`
	ID              string      `json:"id"`
	Type            string      `json:"type"`
	Source          string      `json:"source"`
	Subject         string      `json:"subject"`
	DataContentType string      `json:"datacontenttype"`
	Data            notify.Data `json:"data"`
}

func ids(fs []store.Finding) []string {
	var out []string
	for _, f := range fs {
		out = append(out, f.PackageName+" "+f.VulnerabilityID)
	}
	slices.Sort(out)
	return out
}

// testReevaluate records the Alpine image and the app on it matched
// against the old DB, re-evaluates against the new one and checks what
// changed, what was recorded and what the webhooks were sent.
func testReevaluate(t *testing.T, b Backend, fx *Reports) {
	d := TwoDBs(t)
	s := open(t, b, b.Fresh(t))
	base := record(t, s, store.Input{Report: Rematched(t, fx.Alpine, d.Old)})
	app := record(t, s, store.Input{Report: Rematched(t, fx.AlpineApp, d.Old)})

	all, kev, other := newReceiver(t), newReceiver(t), newReceiver(t)
	hooks := []notify.Webhook{
		{URL: all.srv.URL + "/all", Secret: "s3cret"},
		{URL: kev.srv.URL + "/kev", Secret: "k", KEVOnly: true, Refs: []string{"registry.test/shop/*"}},
		{URL: other.srv.URL + "/other", Secret: "o", Refs: []string{"registry.test/other/*"}},
	}
	now := time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC)
	opts := reevaluate.Options{DBPath: d.New, Hooks: hooks, Version: "storetest", Now: func() time.Time { return now }}
	before, err := s.Subjects(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	res, err := reevaluate.Run(t.Context(), s, opts)
	if err != nil {
		t.Fatal(err)
	}
	// Re-evaluation reads no image: no subject was seen again.
	if after, err := s.Subjects(t.Context()); err != nil || len(after) != len(before) || !after[0].Subject.LastSeen.Equal(before[0].Subject.LastSeen) ||
		!after[1].Subject.LastSeen.Equal(before[1].Subject.LastSeen) || after[0].Subject.Name != before[0].Subject.Name {
		t.Errorf("subjects before re-evaluation %+v, after %+v (%v): want the same last-seen times and names", before, after, err)
	}
	if res.Subjects != 2 || res.Rematched != 2 || res.Changed != 1 || res.Events != 2 {
		t.Fatalf("result %+v, want 2 subjects re-matched, 1 changed (the app; the base image's apk findings are the same), 2 events", res)
	}
	c := res.Changes[0].Change
	// Hand-checked from the feeds: urllib3 1.24.1 is below CVE-2023-43804's
	// fix 1.26.17 and requests 2.19.1 below CVE-2023-32681's 2.31.0;
	// CVE-2019-11324 (fixed in 1.24.2) is gone from the new DB; pyspark
	// 3.2.1's CVE-2022-33891 is now KEV-listed.
	if got, want := ids(c.Added), []string{"requests PYSEC-2023-74", "urllib3 PYSEC-2023-192"}; !slices.Equal(got, want) {
		t.Errorf("added %v, want %v", got, want)
	}
	if got, want := ids(c.Resolved), []string{"urllib3 PYSEC-2019-133"}; !slices.Equal(got, want) {
		t.Errorf("resolved %v, want %v", got, want)
	}
	if len(c.Changed) != 1 || c.Changed[0].After.VulnerabilityID != "PYSEC-2022-236" || c.Changed[0].Before.KEV || !c.Changed[0].After.KEV {
		t.Errorf("changed %+v, want pyspark's PYSEC-2022-236 newly KEV-listed", c.Changed)
	}

	// The app's history has the new snapshot, with the new findings.
	h, err := s.History(t.Context(), app.Subject.Digest)
	if err != nil {
		t.Fatal(err)
	}
	if len(h) != 2 || h[1].ID != res.Changes[0].Snapshot {
		t.Fatalf("history has %d snapshots, want 2, the last %d", len(h), res.Changes[0].Snapshot)
	}
	if got := store.Diff(h[0].Findings, h[1].Findings); len(got.Added) != 2 || len(got.Resolved) != 1 {
		t.Errorf("history's diff %+v, want 2 added and 1 resolved", got)
	}
	// The base image's findings are the same: no snapshot is added, its
	// snapshot now says it was matched against the new build.
	if hb, err := s.History(t.Context(), base.Subject.Digest); err != nil || len(hb) != 1 || !hb[0].DBBuilt.Equal(res.DBBuilt.Truncate(time.Microsecond)) {
		t.Errorf("the base image's history %+v (%v), want its one snapshot marked as matched against the new build (%s)", hb, err, res.DBBuilt)
	}

	// Nothing is sent before delivery; the outbox holds the two events.
	if bs, _ := all.got(); len(bs) != 0 {
		t.Fatalf("the webhook got %d events before delivery", len(bs))
	}
	pending, err := s.Undelivered(t.Context())
	if err != nil || len(pending) != 2 {
		t.Fatalf("undelivered %d (%v), want 2", len(pending), err)
	}
	n, err := notify.Deliver(t.Context(), s, hooks, notify.Client(), func() time.Time { return now })
	if err != nil || n.Sent != 2 {
		t.Fatalf("deliver: %+v, %v; want 2 sent", n, err)
	}
	if pending, _ := s.Undelivered(t.Context()); len(pending) != 0 {
		t.Errorf("undelivered after delivery: %+v", pending)
	}
	if bs, _ := other.got(); len(bs) != 0 {
		t.Errorf("the webhook for registry.test/other/* got %d events", len(bs))
	}

	bodies, sigs := all.got()
	if len(bodies) != 1 {
		t.Fatalf("the webhook got %d events, want 1", len(bodies))
	}
	if want := notify.Sign(bodies[0], "s3cret"); !hmac.Equal([]byte(sigs[0]), []byte(want)) || !strings.HasPrefix(sigs[0], "sha256=") || len(sigs[0]) != 7+64 {
		t.Errorf("signature %q, want %q", sigs[0], want)
	}
	var e event
	if err := json.Unmarshal(bodies[0], &e); err != nil {
		t.Fatalf("body: %v\n%s", err, bodies[0])
	}
	if e.SpecVersion != "1.0" || e.Type != "dev.customs.findings.changed" || e.Source != "customs" || e.ID != pending[0].ID && e.ID != pending[1].ID ||
		e.Subject != app.Subject.Digest || e.DataContentType != "application/json" {
		t.Errorf("event attributes %+v", e)
	}
	if e.Data.Counts != (notify.Counts{Added: 2, Resolved: 1, Changed: 1}) || e.Data.Subject.Name != "registry.test/shop/app:1.0" ||
		len(e.Data.Added) != 2 || !strings.HasPrefix(e.Data.FullList, "customs history "+app.Subject.Digest) {
		t.Errorf("event data %+v", e.Data)
	}
	kevBodies, kevSigs := kev.got()
	if len(kevBodies) != 1 || kevSigs[0] != notify.Sign(kevBodies[0], "k") {
		t.Fatalf("the KEV-only webhook got %d events", len(kevBodies))
	}
	var ke event
	if err := json.Unmarshal(kevBodies[0], &ke); err != nil {
		t.Fatal(err)
	}
	if ke.Data.Counts != (notify.Counts{Changed: 1}) || ke.ID == e.ID {
		t.Errorf("KEV-only event: id %s (the other's %s), counts %+v, want only the KEV listing", ke.ID, e.ID, ke.Data.Counts)
	}

	// Again: the subjects were matched against this build; nothing to do.
	res, err = reevaluate.Run(t.Context(), s, opts)
	if err != nil || res.Rematched != 0 || res.Events != 0 {
		t.Errorf("second re-evaluation: %+v, %v; want nothing re-matched", res, err)
	}
	// --full re-matches all and finds nothing changed: no snapshot, no event.
	opts.Full = true
	res, err = reevaluate.Run(t.Context(), s, opts)
	if err != nil || res.Rematched != 2 || res.Changed != 0 || res.Events != 0 {
		t.Errorf("full re-evaluation: %+v, %v; want 2 re-matched, nothing changed", res, err)
	}
	if h, _ := s.History(t.Context(), app.Subject.Digest); len(h) != 2 {
		t.Errorf("after a full re-evaluation with nothing changed the app has %d snapshots, want 2", len(h))
	}

	// Back to the old DB: the change reversed, announced again. Pruning
	// every subject to its last snapshot drops the delivered events of
	// the dropped snapshots, and keeps the last ones'.
	opts.Full, opts.DBPath = false, d.Old
	res, err = reevaluate.Run(t.Context(), s, opts)
	if err != nil || res.Changed != 1 || res.Events != 2 || len(res.Changes[0].Change.Added) != 1 || len(res.Changes[0].Change.Resolved) != 2 {
		t.Fatalf("re-evaluation against the old DB: %+v, %v; want the app's change reversed", res, err)
	}
	if n, err := notify.Deliver(t.Context(), s, hooks, notify.Client(), func() time.Time { return now }); err != nil || n.Sent != 2 {
		t.Fatalf("deliver: %+v, %v", n, err)
	}
	// Snapshots are recorded with the real clock, not the test's now.
	pr, err := s.Prune(t.Context(), store.PruneOptions{KeepLast: 1, OlderThan: time.Now().Add(time.Hour)})
	if err != nil || pr.Snapshots != 2 || pr.Notifications != 2 {
		t.Errorf("prune: %+v, %v; want the app's 2 first snapshots and the 2 events announcing its second dropped", pr, err)
	}
	var left int
	if err := s.DB().QueryRowContext(t.Context(), "SELECT COUNT(*) FROM outbox").Scan(&left); err != nil || left != 2 {
		t.Errorf("%d events left in the outbox (%v), want the last 2", left, err)
	}
}

// testReevaluateSuperseded: a subject recorded again while it was being
// re-evaluated keeps the new recording.
func testReevaluateSuperseded(t *testing.T, b Backend, fx *Reports) {
	d := TwoDBs(t)
	s := open(t, b, b.Fresh(t))
	first := record(t, s, store.Input{Report: Rematched(t, fx.AlpineApp, d.Old)})
	r := Rematched(t, fx.AlpineApp, d.New)
	// A scan recorded meanwhile: the subject's current snapshot moves on.
	scanned := Rematched(t, fx.AlpineApp, d.New)
	scanned.Findings = scanned.Findings[1:]
	newer := record(t, s, store.Input{Report: scanned})
	if !newer.New || newer.Snapshot == first.Snapshot {
		t.Fatalf("the second scan recorded %+v", newer)
	}
	rec, err := s.Record(t.Context(), store.Input{Report: r, Replaces: first.Snapshot,
		Outbox: []store.Delivery{{ID: "x", Target: "http://127.0.0.1:1/", Body: []byte("{}")}}})
	if err != nil || !rec.Superseded || rec.New || rec.Snapshot != newer.Snapshot {
		t.Fatalf("record replacing a snapshot that is not current: %+v, %v; want superseded by %d", rec, err, newer.Snapshot)
	}
	if u, _ := s.Undelivered(t.Context()); len(u) != 0 {
		t.Errorf("a superseded recording queued %d deliveries", len(u))
	}
}

// Deliveries run in a child process of the test binary to be killed:
// deliverURL is the webhook's URL, deliverStore the store.
const (
	deliverURL   = "CUSTOMS_STORETEST_DELIVER_URL"
	deliverStore = "CUSTOMS_STORETEST_DELIVER_STORE"
)

func deliverChild(t *testing.T, b Backend) {
	ctx := context.Background()
	s, err := b.Open(ctx, os.Getenv(deliverStore))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	hooks := []notify.Webhook{{URL: os.Getenv(deliverURL), Secret: "s3cret"}}
	if _, err := notify.Deliver(ctx, s, hooks, notify.Client(), time.Now); err != nil {
		t.Fatal(err)
	}
}

// testDeliveryKilled kills the sender with SIGKILL while the webhook holds
// its request: the event stays in the outbox, and the next sender
// delivers it with the same ID and body.
func testDeliveryKilled(t *testing.T, b Backend, fx *Reports) {
	if testing.Short() {
		t.Skip("starts processes; skipped with -short")
	}
	d := TwoDBs(t)
	name := b.Fresh(t)
	s := open(t, b, name)
	record(t, s, store.Input{Report: Rematched(t, fx.AlpineApp, d.Old)})
	rc := newReceiver(t)
	arrived := make(chan struct{}, 4)
	release := make(chan struct{})
	rc.hold = func(r *http.Request) {
		arrived <- struct{}{}
		select {
		case <-release:
		case <-r.Context().Done():
		}
	}
	url := rc.srv.URL + "/hook"
	hooks := []notify.Webhook{{URL: url, Secret: "s3cret"}}
	res, err := reevaluate.Run(t.Context(), s, reevaluate.Options{DBPath: d.New, Hooks: hooks, Version: "storetest"})
	if err != nil || res.Events != 1 {
		t.Fatalf("re-evaluate: %+v, %v; want 1 event", res, err)
	}

	cmd := childCmd(t, "", name, false)
	cmd.Env = append(slices.DeleteFunc(cmd.Env, func(e string) bool { return strings.HasPrefix(e, childEnv+"=") }),
		deliverURL+"="+url, deliverStore+"="+name)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-arrived:
	case <-time.After(30 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatalf("the sender sent nothing in 30s:\n%s", out.String())
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	cmd.Wait()

	u, err := s.Undelivered(t.Context())
	if err != nil || len(u) != 1 || u[0].State != store.Pending || u[0].Attempts != 0 {
		t.Fatalf("outbox after the sender was killed: %+v, %v; want the event pending, unattempted", u, err)
	}
	close(release)
	n, err := notify.Deliver(t.Context(), s, hooks, notify.Client(), time.Now)
	if err != nil || n.Sent != 1 {
		t.Fatalf("deliver after the kill: %+v, %v", n, err)
	}
	bodies, sigs := rc.got()
	if len(bodies) != 2 {
		t.Fatalf("the webhook got %d requests, want 2 (the killed one and the retry)", len(bodies))
	}
	var first, second event
	if err := json.Unmarshal(bodies[0], &first); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(bodies[1], &second); err != nil {
		t.Fatal(err)
	}
	if first.ID == "" || first.ID != second.ID || first.ID != u[0].ID || !bytes.Equal(bodies[0], bodies[1]) || sigs[1] != notify.Sign(bodies[1], "s3cret") {
		t.Errorf("the retry's ID %q, the first attempt's %q, the outbox's %q; bodies equal: %t", second.ID, first.ID, u[0].ID, bytes.Equal(bodies[0], bodies[1]))
	}
	if u, _ := s.Undelivered(t.Context()); len(u) != 0 {
		t.Errorf("undelivered after the retry: %+v", u)
	}
}

// testDeliveryRetry: a webhook answering 500 keeps the event pending with
// a backoff; one not configured any more fails it for good.
func testDeliveryRetry(t *testing.T, b Backend, fx *Reports) {
	d := TwoDBs(t)
	s := open(t, b, b.Fresh(t))
	record(t, s, store.Input{Report: Rematched(t, fx.AlpineApp, d.Old)})
	fails := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		http.Error(w, strings.Repeat("x", 1<<20), http.StatusInternalServerError)
	}))
	defer fails.Close()
	gone := "http://127.0.0.1:9/gone"
	hooks := []notify.Webhook{{URL: fails.URL, Secret: "a"}, {URL: gone, Secret: "b"}}
	if _, err := reevaluate.Run(t.Context(), s, reevaluate.Options{DBPath: d.New, Hooks: hooks, Version: "storetest"}); err != nil {
		t.Fatal(err)
	}
	now := time.Now()
	n, err := notify.Deliver(t.Context(), s, hooks[:1], notify.Client(), func() time.Time { return now })
	if err != nil || n.Retrying != 1 || n.Failed != 1 {
		t.Fatalf("deliver: %+v, %v; want 1 retrying, 1 failed", n, err)
	}
	u, err := s.Undelivered(t.Context())
	if err != nil || len(u) != 2 {
		t.Fatalf("undelivered: %+v, %v", u, err)
	}
	states := map[string]store.Delivery{}
	for _, x := range u {
		states[x.Target] = x
	}
	if p := states[fails.URL]; p.State != store.Pending || p.Attempts != 1 || !strings.Contains(p.LastError, "500") || p.NextAttempt.Sub(now) < 29*time.Second {
		t.Errorf("the failing webhook's delivery %+v, want pending, 1 attempt, next in 30s", p)
	}
	if f := states[gone]; f.State != store.Failed {
		t.Errorf("the unconfigured webhook's delivery %+v, want failed", f)
	}
	// Not due yet: nothing is sent.
	if n, err := notify.Deliver(t.Context(), s, hooks, notify.Client(), func() time.Time { return now.Add(time.Second) }); err != nil || n != (notify.Delivered{}) {
		t.Errorf("deliver before the backoff ended: %+v, %v", n, err)
	}
}

// testReevaluateIncremental: after a DB update only the subjects holding a
// package whose advisories changed are re-matched; the others are marked
// as matched against the new build, and a full re-evaluation then finds
// nothing they missed.
func testReevaluateIncremental(t *testing.T, b Backend, fx *Reports) {
	d := TwoDBs(t)
	s := open(t, b, b.Fresh(t))
	ctx := t.Context()
	subjects := map[string]*report.Report{"alpine": fx.Alpine, "app": fx.AlpineApp, "app2": fx.AlpineApp2, "debian": fx.Debian}
	recs := map[string]store.Recorded{}
	for name, r := range subjects {
		recs[name] = record(t, s, store.Input{Report: Rematched(t, r, d.Old)})
	}
	opts := reevaluate.Options{DBPath: d.Old, Version: "storetest"}
	// Against the build they were matched against: nothing to re-match;
	// the build's digests are kept.
	res, err := reevaluate.Run(ctx, s, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Rematched != 0 || res.Keys == 0 {
		t.Fatalf("re-evaluation against the same build: %+v, want nothing re-matched and the keys digested", res)
	}
	keys, err := s.PackageKeys(ctx)
	if err != nil {
		t.Fatal(err)
	}
	for _, k := range []store.PackageKey{{Ecosystem: "PyPI", Name: "urllib3"}, {Ecosystem: "PyPI", Name: "pyspark"}, {Ecosystem: "alpine:3.10", Name: "musl"}} {
		if !slices.Contains(keys, k) {
			t.Errorf("package keys lack %v", k)
		}
	}

	// The new DB changes urllib3's and requests' advisories and lists
	// pyspark's CVE-2022-33891 in KEV; the Alpine secdb is the same, and
	// no CVE of an Alpine advisory of these images is KEV-listed.
	opts.DBPath = d.New
	res, err = reevaluate.Run(ctx, s, opts)
	if err != nil {
		t.Fatal(err)
	}
	if res.Subjects != 4 || res.Rematched != 2 || res.Kept != 2 || res.Changed != 2 || res.ChangedKeys != 3 {
		t.Errorf("re-evaluation after the update: %+v; want 4 subjects, the 2 app images re-matched and changed, 2 kept, 3 changed keys (requests, urllib3, pyspark)", res)
	}
	changed := map[string]bool{}
	for _, c := range res.Changes {
		changed[c.Subject.Digest] = true
	}
	if !changed[recs["app"].Subject.Digest] || !changed[recs["app2"].Subject.Digest] {
		t.Errorf("changed subjects %v, want the two app images", changed)
	}
	for _, name := range []string{"alpine", "debian"} {
		h, err := s.History(ctx, recs[name].Subject.Digest)
		if err != nil || len(h) != 1 || !h[0].DBBuilt.Equal(res.DBBuilt) {
			t.Errorf("%s: history %d snapshots (%v), built %v; want its one snapshot marked as matched against %s", name, len(h), err, h[0].DBBuilt, res.DBBuilt)
		}
	}
	// Nothing was missed: a full re-evaluation finds no change.
	opts.Full = true
	if res, err := reevaluate.Run(ctx, s, opts); err != nil || res.Rematched != 4 || res.Changed != 0 {
		t.Errorf("full re-evaluation after the incremental one: %+v, %v; want 4 re-matched, none changed", res, err)
	}
	// And back: the same keys changed, the same two subjects re-matched.
	opts.Full, opts.DBPath = false, d.Old
	if res, err := reevaluate.Run(ctx, s, opts); err != nil || res.Rematched != 2 || res.Kept != 2 || res.Changed != 2 {
		t.Errorf("re-evaluation back against the old DB: %+v, %v; want the 2 app images re-matched and changed, 2 kept", res, err)
	}
}

// testReevaluateFull: a full re-evaluation after a DB update finds what
// the incremental one finds: the same subjects changed, the same deltas
// and events, the same findings after.
func testReevaluateFull(t *testing.T, b Backend, fx *Reports) {
	d := TwoDBs(t)
	ctx := t.Context()
	inc, full := open(t, b, b.Fresh(t)), open(t, b, b.Fresh(t))
	hooks := []notify.Webhook{{URL: "http://127.0.0.1:1/all", Secret: "s3cret"}}
	now := time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC)
	for _, s := range []Store{inc, full} {
		for _, r := range []*report.Report{fx.Alpine, fx.AlpineApp, fx.AlpineApp2, fx.Debian, fx.DebianApp} {
			record(t, s, store.Input{Report: Rematched(t, r, d.Old), Now: now})
		}
	}
	// The incremental run knows the first build's digests.
	if _, err := reevaluate.Run(ctx, inc, reevaluate.Options{DBPath: d.Old, Version: "storetest"}); err != nil {
		t.Fatal(err)
	}
	opts := reevaluate.Options{DBPath: d.New, Hooks: hooks, Version: "storetest", Now: func() time.Time { return now }}
	want, err := reevaluate.Run(ctx, inc, opts)
	if err != nil {
		t.Fatal(err)
	}
	opts.Full = true
	got, err := reevaluate.Run(ctx, full, opts)
	if err != nil {
		t.Fatal(err)
	}
	if want.Changed != 3 || got.Rematched != 5 {
		t.Errorf("incremental %+v, full %+v: want the 3 apps changed, the 5 images re-matched by the full run", want, got)
	}
	if diff := cmp.Diff(want.Changes, got.Changes, cmpopts.IgnoreFields(reevaluate.SubjectDelta{}, "Snapshot"), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("changes (-incremental +full):\n%s", diff)
	}
	if want.Changed != got.Changed || want.Events != got.Events {
		t.Errorf("full: %d changed, %d events; incremental: %d, %d", got.Changed, got.Events, want.Changed, want.Events)
	}
	for _, r := range []*report.Report{fx.Alpine, fx.AlpineApp, fx.AlpineApp2, fx.Debian, fx.DebianApp} {
		hi, err := inc.History(ctx, r.Target.Digest())
		if err != nil {
			t.Fatal(err)
		}
		hf, err := full.History(ctx, r.Target.Digest())
		if err != nil {
			t.Fatal(err)
		}
		if len(hi) != len(hf) || len(hf) == 0 {
			t.Fatalf("%s: %d snapshots after the incremental run, %d after the full one", r.Target.Ref, len(hi), len(hf))
		}
		if diff := cmp.Diff(hi[len(hi)-1].Findings, hf[len(hf)-1].Findings, cmpopts.EquateEmpty()); diff != "" {
			t.Errorf("%s: current findings (-incremental +full):\n%s", r.Target.Ref, diff)
		}
	}
}

const (
	reevalStore = "CUSTOMS_STORETEST_REEVALUATE_STORE"
	reevalDB    = "CUSTOMS_STORETEST_REEVALUATE_DB"
	reevalHook  = "CUSTOMS_STORETEST_REEVALUATE_HOOK"
)

func reevaluateChild(t *testing.T, b Backend) {
	ctx := context.Background()
	s, err := b.Open(ctx, os.Getenv(reevalStore))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	hooks := []notify.Webhook{{URL: os.Getenv(reevalHook), Secret: "s3cret"}}
	if _, err := reevaluate.Run(ctx, s, reevaluate.Options{DBPath: os.Getenv(reevalDB), Hooks: hooks, Version: "storetest"}); err != nil {
		t.Fatal(err)
	}
}

// testReevaluateKilled kills a re-evaluation with SIGKILL half-way: every
// subject then has its old snapshot or its new one with its event, never
// one without the other, and the next run completes the rest.
func testReevaluateKilled(t *testing.T, b Backend, fx *Reports) {
	if testing.Short() {
		t.Skip("starts processes; skipped with -short")
	}
	d := TwoDBs(t)
	name := b.Fresh(t)
	s := open(t, b, name)
	const n = 120
	base := Rematched(t, fx.AlpineApp, d.Old)
	for i := range n {
		record(t, s, store.Input{Report: variant(base, 9, i)})
	}
	// The old build's digests kept: the killed run re-matches in part.
	if _, err := reevaluate.Run(t.Context(), s, reevaluate.Options{DBPath: d.Old, Version: "storetest"}); err != nil {
		t.Fatal(err)
	}
	snapshots := func() int {
		var k int
		if err := s.DB().QueryRowContext(t.Context(), "SELECT COUNT(*) FROM snapshot").Scan(&k); err != nil {
			t.Fatal(err)
		}
		return k
	}
	rc := newReceiver(t)
	url := rc.srv.URL + "/hook"
	cmd := childCmd(t, "", name, false)
	cmd.Env = append(slices.DeleteFunc(cmd.Env, func(e string) bool { return strings.HasPrefix(e, childEnv+"=") }),
		reevalStore+"="+name, reevalDB+"="+d.New, reevalHook+"="+url)
	var out bytes.Buffer
	cmd.Stdout, cmd.Stderr = &out, &out
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(60 * time.Second)
	for snapshots() < n+3 && time.Now().Before(deadline) {
		time.Sleep(2 * time.Millisecond)
	}
	if err := cmd.Process.Kill(); err != nil { // SIGKILL
		t.Fatal(err)
	}
	cmd.Wait()
	done := snapshots() - n
	if done >= n {
		t.Logf("the re-evaluation finished before it was killed:\n%s", out.String())
	} else if done < 3 {
		t.Fatalf("the re-evaluation recorded %d snapshots in 60 s:\n%s", done, out.String())
	}
	checkWhole(t, s)
	var events int
	if err := s.DB().QueryRowContext(t.Context(), "SELECT COUNT(*) FROM outbox").Scan(&events); err != nil {
		t.Fatal(err)
	}
	if events != done {
		t.Errorf("after the kill: %d new snapshots, %d events; want one event each", done, events)
	}
	res, err := reevaluate.Run(t.Context(), s, reevaluate.Options{DBPath: d.New, Hooks: []notify.Webhook{{URL: url, Secret: "s3cret"}}, Version: "storetest"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rematched != n-done || res.Changed != n-done {
		t.Errorf("the next run: %+v; want the %d subjects left re-matched and changed", res, n-done)
	}
	if got := snapshots(); got != 2*n {
		t.Errorf("%d snapshots after the next run, want %d: each subject's first and one re-evaluated", got, 2*n)
	}
	if err := s.DB().QueryRowContext(t.Context(), "SELECT COUNT(*) FROM outbox").Scan(&events); err != nil || events != n {
		t.Errorf("%d events after the next run (%v), want %d: one per subject", events, err, n)
	}
	cur, err := s.Current(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	for _, c := range cur {
		if c.DB == nil || !c.DB.Built.UTC().Truncate(time.Microsecond).Equal(res.DBBuilt) {
			t.Errorf("subject %s: current snapshot matched against %v, want the new build %s", c.Subject.Name, c.DB, res.DBBuilt)
			break
		}
	}
}

// testFindingSetsShared: images on one set of layers, matched against one
// build, share the layers' finding sets; re-evaluated after an update,
// they share the sets derived from them, and each reads back the
// findings a fresh match against the update gives.
func testFindingSetsShared(t *testing.T, b Backend, fx *Reports) {
	d := TwoDBs(t)
	s := open(t, b, b.Fresh(t))
	ctx := t.Context()
	count := func(table string) int {
		t.Helper()
		var n int
		if err := s.DB().QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	const n = 5
	var images []*report.Report
	for i := range n {
		images = append(images, Rematched(t, variant(fx.DebianApp, 7, i), d.Old))
		record(t, s, store.Input{Report: images[i]})
	}
	sets, findings := count("finding_set"), count("finding")
	if findings != len(images[0].Findings) || sets == 0 || sets > len(images[0].Target.Layers) {
		t.Errorf("%d images on shared layers: %d finding rows in %d sets, want the %d findings of one image in at most one set per layer",
			n, findings, sets, len(images[0].Findings))
	}
	// Against the same build (its digests kept), then incrementally
	// against the update: each image re-matches its packages of the
	// changed keys, and their layer's new set is derived once.
	if res, err := reevaluate.Run(ctx, s, reevaluate.Options{DBPath: d.Old, Version: "storetest"}); err != nil || res.Rematched != 0 {
		t.Fatalf("re-evaluation against the same build: %+v, %v; want nothing re-matched", res, err)
	}
	res, err := reevaluate.Run(ctx, s, reevaluate.Options{DBPath: d.New, Version: "storetest"})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rematched != n || res.Changed != n {
		t.Fatalf("re-evaluation after the update: %+v, want the %d images re-matched and changed", res, n)
	}
	if added := count("finding_set") - sets; added == 0 || added > len(images[0].Target.Layers) {
		t.Errorf("re-evaluation added %d finding sets, want at most one per layer holding a changed key, shared by the %d images", added, n)
	}
	check(t, s, images, d.New)
	// Fully, back against the first build: the images' findings are
	// their first recording's again, and so are their sets.
	sets = count("finding_set")
	res, err = reevaluate.Run(ctx, s, reevaluate.Options{DBPath: d.Old, Version: "storetest", Full: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Rematched != n || res.Changed != n {
		t.Fatalf("full re-evaluation back: %+v, want the %d images re-matched and changed", res, n)
	}
	if added := count("finding_set") - sets; added != 0 {
		t.Errorf("full re-evaluation back against the first build added %d finding sets, want none: the first recording's are found by their content", added)
	}
	check(t, s, images, d.Old)
}

// check checks that each image's findings in the store are those a fresh
// match against db gives, and that its snapshot's summary and its
// report's summary count them.
func check(t *testing.T, s Store, images []*report.Report, db string) {
	t.Helper()
	ctx := t.Context()
	for i, r := range images {
		want := Rematched(t, r, db)
		got, err := s.Report(ctx, r.Target.Digest())
		if err != nil {
			t.Fatal(err)
		}
		key := func(fs []report.Finding) []string {
			var out []string
			for _, f := range fs {
				out = append(out, fmt.Sprintf("%s %s %s %s %s %s %t", f.PackageID, f.VulnerabilityID, f.Status, f.FixedVersion, f.Severity, f.Layer, f.KEV != nil))
			}
			slices.Sort(out)
			return out
		}
		if diff := cmp.Diff(key(want.Findings), key(got.Report.Findings)); diff != "" {
			t.Errorf("image %d after re-evaluation: findings differ from a fresh match (-want +got):\n%s", i, diff)
		}
		// The report's own summary counts its findings too, not those
		// of the scan it was recorded from.
		if sm := got.Report.Summary; sm.Findings != len(want.Findings) || sum(sm.BySeverity) != len(want.Findings) || sum(sm.ByStatus) != len(want.Findings) {
			t.Errorf("image %d after re-evaluation: its report's summary %+v, want %d findings", i, sm, len(want.Findings))
		}
		subs, err := s.Subjects(ctx)
		if err != nil {
			t.Fatal(err)
		}
		for _, sub := range subs {
			if sub.Subject.Digest != r.Target.Digest() {
				continue
			}
			if total := sum(sub.BySeverity); total != len(want.Findings) {
				t.Errorf("image %d: its snapshot's summary %v counts %d findings, want %d", i, sub.BySeverity, total, len(want.Findings))
			}
		}
	}
}

func sum(by map[string]int) int {
	n := 0
	for _, v := range by {
		n += v
	}
	return n
}
