package harbor

import (
	"context"
	"fmt"
	"net/http/httptest"
	"strconv"
	"sync"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/customs-scanner/customs/internal/image"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/scan"
	"github.com/customs-scanner/customs/internal/target"
	"github.com/customs-scanner/customs/internal/vulndb/sqlite"
)

// localService runs each scan with scan.Run in a goroutine of its own.
type localService struct {
	db      string
	mu      sync.Mutex
	jobs    map[string]*Job
	reports map[string]*report.Report
	wg      sync.WaitGroup
}

type keychain struct{ a authn.Authenticator }

func (k keychain) Resolve(authn.Resource) (authn.Authenticator, error) { return k.a, nil }

func (s *localService) Submit(ctx context.Context, r Request) (Job, error) {
	ref, err := name.NewDigest(r.Target)
	if err != nil {
		return Job{}, fmt.Errorf("%w: %v", ErrRefused, err)
	}
	cfg, err := RegistryAuth(r.Authorization)
	if err != nil {
		return Job{}, fmt.Errorf("%w: %v", ErrRefused, err)
	}
	var kc authn.Keychain = keychain{authn.Anonymous}
	if cfg != nil {
		kc = keychain{authn.FromConfig(*cfg)}
	}
	s.mu.Lock()
	id := strconv.Itoa(len(s.jobs) + 1)
	j := &Job{ID: id, Status: StateQueued, Target: r.Target, Digest: ref.DigestStr(), Created: time.Now()}
	s.jobs[id] = j
	s.mu.Unlock()
	s.wg.Go(func() {
		if _, err := remote.Head(ref, remote.WithAuthFromKeychain(kc)); err != nil {
			s.finish(id, nil, err)
			return
		}
		rep, err := scan.Run(context.Background(), target.Parse("registry:"+r.Target), scan.Options{DBPath: s.db, Version: "test", Image: image.Options{Keychain: kc}})
		s.finish(id, rep, err)
	})
	return *j, nil
}

func (s *localService) finish(id string, rep *report.Report, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j := s.jobs[id]
	j.Updated = time.Now()
	if err != nil {
		j.Status, j.Reason = StateFailed, err.Error()
		return
	}
	j.Status = StateDone
	s.reports[j.Digest] = rep
}

func (s *localService) Job(ctx context.Context, id string) (Job, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	j, ok := s.jobs[id]
	if !ok {
		return Job{}, ErrNotFound
	}
	return *j, nil
}

func (s *localService) Report(ctx context.Context, digest string) (*report.Report, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	r, ok := s.reports[digest]
	if !ok {
		return nil, ErrNotFound
	}
	return r, nil
}

func (s *localService) DB(ctx context.Context) (*report.DB, error) {
	db, err := sqlite.Open(ctx, s.db)
	if err != nil {
		return nil, err
	}
	defer db.Close()
	info, err := db.Info(ctx)
	if err != nil {
		return nil, err
	}
	return &report.DB{SchemaVersion: info.SchemaVersion, Built: info.Built, Sources: info.Sources}, nil
}

func TestConformanceLocal(t *testing.T) {
	reg := authRegistry(t)
	p := pushBookworm(t, reg)
	db := bookwormDB(t)
	svc := &localService{db: db, jobs: map[string]*Job{}, reports: map[string]*report.Report{}}
	t.Cleanup(svc.wg.Wait)
	srv := httptest.NewServer(NewHandler(svc, "test", nil))
	t.Cleanup(srv.Close)
	info, err := svc.DB(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	conformance(t, newHarborClient(t, srv.URL, nil), p, info.Built)
}
