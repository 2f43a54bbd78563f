// Package service is the scanning service's core, without HTTP: a durable
// job queue (River, on the store's PostgreSQL database or SQLite file),
// workers that run the pipeline (scan.Run) and record its report in the
// store, one scan per digest however many ask for it, and the scheduled
// DB update followed by re-evaluation (docs/serve.md). The front ends (the
// REST API, Harbor's adapter, admission) translate their requests into
// Submit and read Job, Report and the store.
package service

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/prometheus/client_golang/prometheus"

	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/scan"
	"github.com/customs-scanner/customs/internal/store"
)

// Job statuses.
const (
	Queued  = "queued"
	Running = "running"
	Done    = "done"
	Failed  = "failed"
)

// Origins of a request, for the audit log and metrics.
const (
	OriginAPI       = "api"
	OriginHarbor    = "harbor"
	OriginAdmission = "admission"
)

// Defaults of Config.
const (
	DefaultRescueAfter = 15 * time.Second
	DefaultScanTimeout = 15 * time.Minute
	DefaultMaxAttempts = 10
	// ResolveTimeout bounds the registry request that turns a tag into a
	// digest at submission.
	ResolveTimeout = 10 * time.Second
)

// ErrNotFound is returned for a job or image the service does not know.
var ErrNotFound = errors.New("not found")

// ErrRegistry wraps a registry that could not be reached or answered
// with a server error at submission (front ends answer 502).
var ErrRegistry = errors.New("registry unavailable")

// RequestError is a request the service refuses: a bad target, an unknown
// scanner. Front ends answer it with 400 or 422 and its message.
type RequestError struct{ Msg string }

func (e *RequestError) Error() string { return e.Msg }

// Credentials are registry credentials for one request: a full HTTP
// Authorization value ("Basic base64(user:password)" or "Bearer TOKEN"),
// as Harbor's registry.authorization carries it. They are never logged;
// in the queue they are sealed with the deployment key (Config.Key).
type Credentials struct {
	Authorization string
}

// String hides the credentials from fmt and slog.
func (c *Credentials) String() string { return "[credentials]" }

// LogValue hides the credentials from slog.
func (c *Credentials) LogValue() slog.Value { return slog.StringValue("[credentials]") }

// Request asks for a scan.
type Request struct {
	// Target is a registry image reference (registry.example/app:1.2,
	// or @sha256:… to pin it), with or without the registry: scheme.
	Target string
	// Platform is "os/arch[/variant]" for a multi-platform image; empty
	// means linux/amd64, or the only image.
	Platform string
	// Scanners is a subset of vuln, secret, config; empty means all three.
	Scanners []string
	Auth     *Credentials
	// Origin is OriginAPI, OriginHarbor or OriginAdmission.
	Origin string
}

// Job is a scan request's state.
type Job struct {
	// ID is opaque: a queue job's number, or, for a request answered
	// from the store, the digest it was answered with.
	ID string `json:"id"`
	// Status is Queued, Running, Done or Failed.
	Status string `json:"status"`
	// Reason says why a job failed.
	Reason string `json:"reason,omitempty"`
	// Digest is the manifest digest the target resolved to (empty until
	// known for a target that is not resolved at submission).
	Digest   string    `json:"digest,omitempty"`
	Target   string    `json:"target"`
	Platform string    `json:"platform,omitempty"`
	Scanners []string  `json:"scanners,omitempty"`
	Attempts int       `json:"attempts,omitempty"`
	Created  time.Time `json:"created"`
	Updated  time.Time `json:"updated"`
}

// Config configures a Service.
type Config struct {
	// DSN is the store's (store.ParseDSN): the queue's tables live in the
	// same database or file.
	DSN string
	// Store is the store opened on DSN; the service does not close it.
	Store store.Store
	// Scan is the template of every scan's options: DBPath, CacheDir, the
	// gate (the CLI's --fail-on, --policy, --ignore-file, --vex), image
	// options. Scanners, the platform and credentials come per request.
	Scan scan.Options
	// Workers is how many scans this process runs at once; 0 makes an
	// API-only process that enqueues and never scans.
	Workers int
	// RescueAfter is how long a running job may go without a heartbeat
	// before it is taken as lost (its worker killed) and queued again.
	// Live workers beat every RescueAfter/3. River's rescuer runs every
	// 30 s, so a lost job is back in the queue within RescueAfter + 30 s.
	RescueAfter time.Duration
	// ScanTimeout bounds one scan.
	ScanTimeout time.Duration
	// MaxAttempts is how many times a job runs (killed workers count)
	// before it fails for good.
	MaxAttempts int
	// Key seals registry credentials in the queue (32 bytes, AES-256-GCM).
	// Every process of a deployment needs the same key; without one, a
	// random key is made per process, so only this process can use the
	// credentials of the jobs it enqueued.
	Key []byte
	// DBUpdate, when set, runs once per DBUpdateEvery in the whole
	// deployment (a periodic job), followed by re-evaluation of the store
	// and delivery of its notifications.
	DBUpdate      func(ctx context.Context) error
	DBUpdateEvery time.Duration
	// Reevaluate runs after each scheduled DB update; nil skips it.
	Reevaluate func(ctx context.Context) error
	// Insecure allows plain-HTTP registries (loopback ones are plain
	// HTTP anyway).
	Insecure bool
	// CheckTarget, when set, refuses a target before anything is asked
	// of its registry: customs serve passes the SSRF guard's
	// (server/guard), whose Transport, in Scan.Image.Transport, refuses
	// the same addresses again at every dial of the digest's resolution
	// and of the scan.
	CheckTarget func(ctx context.Context, ref string) error
	// Logger receives the service's logs; nil discards them.
	Logger *slog.Logger
	// Metrics, when set, receives the service's Prometheus metrics.
	Metrics prometheus.Registerer
	// Version is customs' version: a stored result counts as current
	// only if written by this version (its extractors) with the current
	// DB.
	Version string
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// GateHash identifies Scan.Gate across processes and restarts (its
	// settings and the contents of the documents it was loaded from):
	// ReportRef, and so the API's ETags, depend on it. Empty with a gate
	// makes refs that hold in this process only.
	GateHash string
}

// Service is the scanning service of one process.
type Service struct {
	cfg     Config
	log     *slog.Logger
	q       queue
	seal    *sealer
	metrics *metrics

	dbMu   sync.Mutex
	dbInfo DBInfo
	dbStat os.FileInfo
	vdb    vulnDB

	runMu       sync.Mutex
	runningJobs map[int64]struct{}

	// judged and timeDependent are ReportRef's judgement (reportref.go).
	judged        string
	timeDependent bool

	// life ends with Close: the heartbeat runs until then, through a
	// graceful Stop.
	life    context.Context
	endLife context.CancelFunc
}

// New opens the queue on cfg.DSN, bringing its tables up to date, and
// returns the service; Start starts its workers.
func New(ctx context.Context, cfg Config) (*Service, error) {
	if cfg.Store == nil {
		return nil, errors.New("service: no store")
	}
	if cfg.RescueAfter <= 0 {
		cfg.RescueAfter = DefaultRescueAfter
	}
	if cfg.ScanTimeout <= 0 {
		cfg.ScanTimeout = DefaultScanTimeout
	}
	if cfg.MaxAttempts <= 0 {
		cfg.MaxAttempts = DefaultMaxAttempts
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	if cfg.Workers < 0 {
		return nil, fmt.Errorf("service: %d workers: want 0 or more", cfg.Workers)
	}
	s := &Service{cfg: cfg, log: cfg.Logger, runningJobs: map[int64]struct{}{}}
	s.judged, s.timeDependent = judgement(cfg)
	s.life, s.endLife = context.WithCancel(context.WithoutCancel(ctx))
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	var err error
	if s.seal, err = newSealer(cfg.Key); err != nil {
		return nil, err
	}
	s.metrics = newMetrics(s)
	if cfg.Metrics != nil {
		if err := s.metrics.register(cfg.Metrics); err != nil {
			return nil, err
		}
	}
	if s.q, err = openQueue(ctx, s); err != nil {
		return nil, err
	}
	return s, nil
}

// Start starts the workers (and the queue's maintenance: rescue of lost
// jobs, the periodic DB update) until Stop.
func (s *Service) Start(ctx context.Context) error { return s.q.start(ctx) }

// Stop stops taking jobs and waits for the running ones to finish until
// ctx is done; then it cancels them, and they go back to the queue.
func (s *Service) Stop(ctx context.Context) error { return s.q.stop(ctx) }

// Close releases the queue's connections. The store stays open.
func (s *Service) Close() error {
	s.endLife()
	s.closeVulnDB()
	return s.q.close()
}

// Store is the store the service records into.
func (s *Service) Store() store.Store { return s.cfg.Store }

// Gate is the gate every scan is judged with.
func (s *Service) Gate() *scan.Gate { return s.cfg.Scan.Gate }

// ScanOptions is the template of the scans' options.
func (s *Service) ScanOptions() scan.Options { return s.cfg.Scan }

// scanners checks and normalises a request's scanners.
func scanners(in []string) ([]string, error) {
	if len(in) == 0 {
		return []string{"config", "secret", "vuln"}, nil
	}
	out := slices.Clone(in)
	for i, sc := range out {
		sc = strings.TrimSpace(sc)
		switch sc {
		case "vuln", "secret", "config":
		default:
			return nil, &RequestError{fmt.Sprintf("scanner %q: want vuln, secret or config", sc)}
		}
		out[i] = sc
	}
	slices.Sort(out)
	return slices.Compact(out), nil
}

// Submit queues a scan of r.Target, resolved to its digest first. A digest
// whose stored result is current (recorded by this version with the
// current DB) answers a Done job at once, with the digest as its ID; a
// digest already queued or running answers that job: N requests for one
// digest run one scan.
func (s *Service) Submit(ctx context.Context, r Request) (Job, error) {
	sc, err := scanners(r.Scanners)
	if err != nil {
		return Job{}, err
	}
	ref, err := parseTarget(r.Target)
	if err != nil {
		return Job{}, err
	}
	if s.cfg.CheckTarget != nil {
		if err := s.cfg.CheckTarget(ctx, ref); err != nil {
			return Job{}, &RequestError{fmt.Sprintf("target %q: %v", ref, err)}
		}
	}
	rctx, cancel := context.WithTimeout(ctx, ResolveTimeout)
	digest, err := s.resolve(rctx, ref, r.Platform, r.Auth)
	cancel()
	if err != nil {
		s.metrics.submitted.WithLabelValues(origin(r.Origin), "error").Inc()
		return Job{}, err
	}
	now := s.cfg.Now()
	if j, ok, err := s.current(ctx, ref, digest, r.Platform, sc); err != nil {
		return Job{}, err
	} else if ok {
		s.metrics.submitted.WithLabelValues(origin(r.Origin), "stored").Inc()
		return j, nil
	}
	args := scanArgs{Target: pinned(ref, digest), Digest: digest, Platform: r.Platform, Scanners: sc, Origin: origin(r.Origin), Ref: ref,
		Version: s.cfg.Version}
	if db, err := s.DB(ctx); err == nil && slices.Contains(sc, "vuln") {
		args.DB = db.Built.Format(time.RFC3339Nano)
	}
	if r.Auth != nil && r.Auth.Authorization != "" {
		if args.Auth, err = s.seal.seal(r.Auth.Authorization); err != nil {
			return Job{}, err
		}
	}
	j, dup, err := s.q.insert(ctx, args)
	if err != nil {
		return Job{}, err
	}
	outcome := "queued"
	if dup {
		outcome = "deduplicated"
	}
	s.metrics.submitted.WithLabelValues(origin(r.Origin), outcome).Inc()
	s.log.Debug("submitted", "job", j.ID, "target", ref, "digest", digest, "origin", r.Origin, "duplicate", dup, "at", now)
	return j, nil
}

func origin(o string) string {
	switch o {
	case OriginAPI, OriginHarbor, OriginAdmission:
		return o
	}
	return "other"
}

// Job returns the job id: a queue job, or a digest answered from the
// store. ErrNotFound for an ID it does not know (finished jobs are kept
// for a day).
func (s *Service) Job(ctx context.Context, id string) (Job, error) {
	if strings.HasPrefix(id, "sha256:") {
		snap, err := s.snapshot(ctx, id)
		if err != nil {
			return Job{}, err
		}
		return storedJob(snap), nil
	}
	return s.q.get(ctx, id)
}

// Report returns the report recorded for an image's current snapshot,
// judged again with the service's gate. ErrNotFound when the store holds
// no such image.
func (s *Service) Report(ctx context.Context, digest string) (*report.Report, error) {
	sr, err := s.cfg.Store.Report(ctx, digest)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ErrNotFound
	}
	if err != nil {
		return nil, err
	}
	if err := s.judge(ctx, sr.Report); err != nil {
		return nil, err
	}
	return sr.Report, nil
}

// Image returns the current snapshot of the image digest (a manifest
// digest, or a reference the store knows). ErrNotFound when there is none.
func (s *Service) Image(ctx context.Context, digest string) (store.Snapshot, error) {
	return s.snapshot(ctx, digest)
}

func (s *Service) snapshot(ctx context.Context, name string) (store.Snapshot, error) {
	h, err := s.cfg.Store.History(ctx, name)
	if err != nil {
		return store.Snapshot{}, err
	}
	if len(h) == 0 {
		return store.Snapshot{}, ErrNotFound
	}
	return h[len(h)-1], nil
}

func storedJob(snap store.Snapshot) Job {
	return Job{ID: snap.Subject.Digest, Status: Done, Digest: snap.Subject.Digest, Target: snap.Subject.Name,
		Platform: snap.Subject.Platform, Created: snap.RecordedAt, Updated: snap.RecordedAt}
}

// quiet is log for River, which tells at Info level what the service's
// own logs say: only its warnings and errors pass.
func quiet(log *slog.Logger) *slog.Logger {
	return slog.New(warnOnly{log.Handler()})
}

type warnOnly struct{ slog.Handler }

func (h warnOnly) Enabled(ctx context.Context, l slog.Level) bool {
	return l >= slog.LevelWarn && h.Handler.Enabled(ctx, l)
}

func (h warnOnly) WithAttrs(as []slog.Attr) slog.Handler { return warnOnly{h.Handler.WithAttrs(as)} }

func (h warnOnly) WithGroup(name string) slog.Handler { return warnOnly{h.Handler.WithGroup(name)} }

// DefaultScanEstimate is the run time Remaining assumes before any scan
// finished in the last hour.
const DefaultScanEstimate = 10 * time.Second

// Remaining estimates the time until job id is done: the jobs ahead of it
// over the jobs running (at least one), plus its own run, at the mean run
// time of the scans finished in the last hour, less what it ran already;
// 0 for a finished job. ErrNotFound for an unknown id.
func (s *Service) Remaining(ctx context.Context, id string) (time.Duration, error) {
	j, err := s.Job(ctx, id)
	if err != nil {
		return 0, err
	}
	if j.Status == Done || j.Status == Failed {
		return 0, nil
	}
	n, _ := strconv.ParseInt(j.ID, 10, 64)
	ahead, running, mean, err := s.q.estimate(ctx, n)
	if err != nil {
		return 0, err
	}
	if mean <= 0 {
		mean = DefaultScanEstimate
	}
	parallel := max(running, 1)
	d := time.Duration(ahead/parallel+1) * mean
	if j.Status == Running {
		d = mean - s.cfg.Now().Sub(j.Created)
	}
	return max(d, 0), nil
}
