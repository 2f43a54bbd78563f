package service_test

import (
	"errors"
	"sync"
	"testing"
	"time"

	"github.com/customs-scanner/customs/internal/service"
	"github.com/customs-scanner/customs/internal/service/servicetest"
)

// newSQLite starts a service with workers on a SQLite store.
func newSQLite(t *testing.T, workers int) *service.Service {
	t.Helper()
	e := servicetest.SQLite(t)
	return servicetest.Start(t, service.Config{DSN: e.DSN, Store: e.Store, Workers: workers, Version: "test",
		Scan: e.Scan, RescueAfter: 3 * time.Second})
}

func wait(t *testing.T, s *service.Service, id string) service.Job {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for time.Now().Before(deadline) {
		j, err := s.Job(t.Context(), id)
		if err != nil {
			t.Fatal(err)
		}
		if j.Status == service.Done || j.Status == service.Failed {
			return j
		}
		time.Sleep(100 * time.Millisecond)
	}
	t.Fatalf("job %s did not end in 60 s", id)
	return service.Job{}
}

// TestSubmitSQLite runs the single-node service: River on the store's
// SQLite file, a scan of a registry image recorded in the store; N
// concurrent requests for one digest give one job; once scanned, a
// request is answered from the store.
func TestSubmitSQLite(t *testing.T) {
	s := newSQLite(t, 1)
	ctx := t.Context()
	host := servicetest.Registry(t)
	refs, digests, err := servicetest.Push(ctx, host, 1)
	if err != nil {
		t.Fatal(err)
	}
	const n = 8
	ids := make([]string, n)
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			j, err := s.Submit(ctx, service.Request{Target: refs[0], Scanners: []string{"vuln"}, Origin: service.OriginAPI})
			if err != nil {
				t.Error(err)
				return
			}
			ids[i] = j.ID
		})
	}
	wg.Wait()
	for _, id := range ids[1:] {
		if id != ids[0] {
			t.Fatalf("concurrent requests for one digest got jobs %v; want one", ids)
		}
	}
	if d, err := s.Remaining(ctx, ids[0]); err != nil || d < 0 || d > time.Minute {
		t.Errorf("Remaining of a queued job = %v, %v; want an estimate", d, err)
	}
	j := wait(t, s, ids[0])
	if d, err := s.Remaining(ctx, ids[0]); err != nil || d != 0 {
		t.Errorf("Remaining of a done job = %v, %v; want 0", d, err)
	}
	if j.Status != service.Done || j.Digest != digests[0] {
		t.Fatalf("job = %+v; want done with digest %s", j, digests[0])
	}
	again, err := s.Submit(ctx, service.Request{Target: refs[0], Scanners: []string{"vuln"}})
	if err != nil {
		t.Fatal(err)
	}
	if again.Status != service.Done || again.ID != digests[0] {
		t.Errorf("second request = %+v; want done from the store, ID %s", again, digests[0])
	}
	if j, err := s.Job(ctx, again.ID); err != nil || j.Status != service.Done {
		t.Errorf("Job(%s) = %+v, %v; want done", again.ID, j, err)
	}
	if _, err := s.Remaining(ctx, "424242"); !errors.Is(err, service.ErrNotFound) {
		t.Errorf("Remaining of an unknown ID: %v; want ErrNotFound", err)
	}
	if _, err := s.Job(ctx, "424242"); !errors.Is(err, service.ErrNotFound) {
		t.Errorf("Job of an unknown ID: %v; want ErrNotFound", err)
	}
	if err := s.Ready(ctx); err != nil {
		t.Errorf("Ready: %v", err)
	}
}

// TestSubmitRefused: a missing image and a file target are the request's
// fault.
func TestSubmitRefused(t *testing.T) {
	s := newSQLite(t, 0)
	host := servicetest.Registry(t)
	for _, target := range []string{host + "/nothing:1", "docker-archive:/etc/passwd", ""} {
		_, err := s.Submit(t.Context(), service.Request{Target: target})
		var re *service.RequestError
		if !errors.As(err, &re) {
			t.Errorf("Submit(%q) = %v; want a RequestError", target, err)
		}
	}
}
