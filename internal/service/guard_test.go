package service_test

import (
	"errors"
	"strings"
	"testing"
	"time"

	"github.com/customs-scanner/customs/internal/server/guard"
	"github.com/customs-scanner/customs/internal/service"
	"github.com/customs-scanner/customs/internal/service/servicetest"
)

// guarded starts a single-node service whose registry calls go through
// g, checking targets with it when check is set.
func guarded(t *testing.T, g *guard.Guard, check bool) *service.Service {
	t.Helper()
	e := servicetest.SQLite(t)
	opts := e.Scan
	opts.Image.Transport = g.Transport()
	cfg := service.Config{DSN: e.DSN, Store: e.Store, Workers: 1, Version: "test", Scan: opts, RescueAfter: 3 * time.Second}
	if check {
		cfg.CheckTarget = g.CheckTarget
	}
	return servicetest.Start(t, cfg)
}

// TestGuard: a target on a loopback registry is refused as a bad request
// by the check, and at dial time without it; allow-listed, it is scanned.
func TestGuard(t *testing.T) {
	host := servicetest.Registry(t)
	refs, _, err := servicetest.Push(t.Context(), host, 1)
	if err != nil {
		t.Fatal(err)
	}
	closed, err := guard.New(guard.Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, err = guarded(t, closed, true).Submit(t.Context(), service.Request{Target: refs[0]})
	var re *service.RequestError
	if !errors.As(err, &re) || !strings.Contains(err.Error(), guard.ErrForbidden.Error()) {
		t.Errorf("checked target on loopback: %v, want a request error saying it is not allowed", err)
	}
	if _, err := guarded(t, closed, false).Submit(t.Context(), service.Request{Target: refs[0]}); err == nil || !strings.Contains(err.Error(), guard.ErrForbidden.Error()) {
		t.Errorf("unchecked target on loopback: %v, want refused at dial time", err)
	}
	open, err := guard.New(guard.Options{Allow: []string{host}})
	if err != nil {
		t.Fatal(err)
	}
	s := guarded(t, open, true)
	j, err := s.Submit(t.Context(), service.Request{Target: refs[0]})
	if err != nil {
		t.Fatal(err)
	}
	if j = wait(t, s, j.ID); j.Status != service.Done {
		t.Errorf("allow-listed registry: job %+v, want done", j)
	}
}
