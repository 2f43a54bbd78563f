package service

import (
	"context"
	"errors"
	"net/http"
	"slices"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/riverqueue/river"

	"github.com/customs-scanner/customs/internal/scan"
	"github.com/customs-scanner/customs/internal/store"
	"github.com/customs-scanner/customs/internal/target"
)

// scanArgs are a scan job's arguments, as the queue keeps them. Two jobs
// with the same digest, platform, scanners, DB build and customs version
// are one (unique), queued, running or completed: a digest is scanned
// once per DB build, however many ask and whenever they ask (until River
// drops completed jobs, after a day).
type scanArgs struct {
	// Target is the image pinned to its digest: repo@sha256:….
	Target   string   `json:"target"`
	Digest   string   `json:"digest" river:"unique"`
	Platform string   `json:"platform,omitempty" river:"unique"`
	Scanners []string `json:"scanners" river:"unique"`
	// DB is the build time of the DB at submission; Version customs'.
	DB      string `json:"db,omitempty" river:"unique"`
	Version string `json:"version,omitempty" river:"unique"`
	// Ref is the reference as requested (a tag), recorded with the image.
	Ref    string `json:"ref"`
	Origin string `json:"origin"`
	// Auth is the registry Authorization value, sealed (seal.go).
	Auth string `json:"auth,omitempty"`
}

func (scanArgs) Kind() string { return "scan" }

type scanWorker struct {
	river.WorkerDefaults[scanArgs]
	s *Service
}

// Work scans the image and records its report in the store. Recording is
// idempotent: a job run twice (its first worker killed after recording)
// records the same snapshot once.
func (w *scanWorker) Work(ctx context.Context, job *river.Job[scanArgs]) error {
	s := w.s
	s.track(job.ID, true)
	defer s.track(job.ID, false)
	start := time.Now()
	err := s.scanJob(ctx, job.Args)
	outcome := "done"
	if err != nil {
		outcome = "retry"
		if permanent(err) {
			outcome = "failed"
			err = river.JobCancel(err)
		} else if job.Attempt >= job.MaxAttempts {
			outcome = "failed"
		}
	}
	s.metrics.scans.WithLabelValues(outcome).Inc()
	s.metrics.scanSeconds.WithLabelValues(outcome).Observe(time.Since(start).Seconds())
	s.log.Info("scan", "job", job.ID, "digest", job.Args.Digest, "attempt", job.Attempt, "outcome", outcome,
		"seconds", time.Since(start).Seconds(), "error", errString(err))
	return err
}

func errString(err error) string {
	if err == nil {
		return ""
	}
	return err.Error()
}

func (s *Service) scanJob(ctx context.Context, a scanArgs) error {
	opts := s.cfg.Scan
	opts.Logger = s.log
	opts.Now = s.cfg.Now
	opts.Version = s.cfg.Version
	opts.Handler = nil
	opts.Secrets = slices.Contains(a.Scanners, "secret")
	opts.Config = slices.Contains(a.Scanners, "config")
	if !slices.Contains(a.Scanners, "vuln") {
		opts.DBPath = ""
	}
	opts.Image.Platform = a.Platform
	opts.Image.Insecure = opts.Image.Insecure || s.cfg.Insecure
	auth := ""
	if a.Auth != "" {
		var err error
		if auth, err = s.seal.open(a.Auth); err != nil {
			return err
		}
	}
	opts.Image.Keychain = keychain(auth)
	r, err := scan.Run(ctx, target.Ref{Kind: target.Registry, Name: a.Target, Platform: a.Platform}, opts)
	if err != nil {
		return err
	}
	refs := []string{a.Target}
	if a.Ref != "" && a.Ref != a.Target {
		refs = append(refs, a.Ref)
	}
	if _, err := s.cfg.Store.Record(ctx, store.Input{Report: r, Refs: refs, Platform: a.Platform}); err != nil {
		return err
	}
	return nil
}

// permanent tells the errors a retry cannot mend: the image is gone, the
// registry refuses the credentials, the credentials cannot be unsealed,
// there is no DB.
func permanent(err error) bool {
	var te *transport.Error
	if errors.As(err, &te) {
		switch te.StatusCode {
		case http.StatusNotFound, http.StatusUnauthorized, http.StatusForbidden:
			return true
		}
	}
	var nodb *scan.NoDBError
	return errors.Is(err, errUnseal) || errors.As(err, &nodb)
}

// track adds or removes a job this process runs.
func (s *Service) track(id int64, on bool) {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	if on {
		s.runningJobs[id] = struct{}{}
	} else {
		delete(s.runningJobs, id)
	}
}

// keepAlive beats for the jobs this process runs and queues again those
// whose worker stopped beating, until the service is closed.
func (s *Service) keepAlive() {
	every := max(s.cfg.RescueAfter/3, 100*time.Millisecond)
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.life.Done():
			return
		case <-t.C:
		}
		ctx, cancel := context.WithTimeout(s.life, every)
		if err := s.q.beat(ctx, s.running()); err != nil {
			s.log.Warn("heartbeat", "error", err)
		}
		if n, err := s.q.reap(ctx, s.cfg.RescueAfter); err != nil {
			s.log.Warn("rescue", "error", err)
		} else if n > 0 {
			s.metrics.rescued.Add(float64(n))
			s.log.Info("rescued jobs of a lost worker", "jobs", n)
		}
		cancel()
	}
}

// dbUpdateArgs is the periodic DB update, once per period in the whole
// deployment.
type dbUpdateArgs struct{}

func (dbUpdateArgs) Kind() string { return "db-update" }

type dbUpdateWorker struct {
	river.WorkerDefaults[dbUpdateArgs]
	s *Service
}

func (w *dbUpdateWorker) Timeout(*river.Job[dbUpdateArgs]) time.Duration { return time.Hour }

// Work updates the DB, then re-evaluates the store and delivers its
// notifications.
func (w *dbUpdateWorker) Work(ctx context.Context, job *river.Job[dbUpdateArgs]) error {
	s := w.s
	if s.cfg.DBUpdate == nil {
		return nil
	}
	start := time.Now()
	err := s.cfg.DBUpdate(ctx)
	if err == nil && s.cfg.Reevaluate != nil {
		err = s.cfg.Reevaluate(ctx)
	}
	s.log.Info("scheduled db update", "job", job.ID, "attempt", job.Attempt, "seconds", time.Since(start).Seconds(), "error", errString(err))
	if err == nil {
		s.metrics.dbUpdates.WithLabelValues("done").Inc()
	} else {
		s.metrics.dbUpdates.WithLabelValues("failed").Inc()
	}
	return err
}
