// Package admission answers a Kubernetes cluster, at admission, whether the
// images of a pod may run (docs/admission.md): a ValidatingWebhook speaking
// AdmissionReview v1 and a Gatekeeper external-data provider.
//
// It never scans. Each image is resolved to a manifest digest (from the
// spec, else the store's reference record, else a registry HEAD with a
// short timeout); the verdict comes from the stored report of that digest,
// judged by scan.Judge under the server's gate, the one the CLI applies
// with --fail-on, --policy, --ignore-file and --vex; verdicts are kept in
// memory so a known digest is answered without the store. An image the
// store does not know is allowed, warned about or denied as configured,
// and its scan is enqueued. The Pod Security Standards checks of customs
// audit run on the pod spec itself.
package admission

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"strings"
	"sync"
	"time"

	"github.com/google/go-containerregistry/pkg/v1/remote"

	"github.com/customs-scanner/customs/internal/scan"
	"github.com/customs-scanner/customs/internal/store"
)

// Store is what admission reads from the store (store.Querier's Report
// and Resolve).
type Store interface {
	// Report returns the current snapshot of an image by manifest digest;
	// store.ErrNotFound when none is stored.
	Report(ctx context.Context, name string) (*store.StoredReport, error)
	// Resolve returns the manifest digest a reference was last seen
	// under; store.ErrNotFound when never seen.
	Resolve(ctx context.Context, ref string) (string, error)
}

// Enqueuer asks for a scan.
type Enqueuer interface {
	// Enqueue queues a scan of ref ("repo@sha256:…" when the digest is
	// known). A scan of a digest already queued or stored is the
	// service's to deduplicate.
	Enqueue(ctx context.Context, ref string) error
}

// EnqueueFunc is a function as an Enqueuer.
type EnqueueFunc func(ctx context.Context, ref string) error

// Enqueue calls f.
func (f EnqueueFunc) Enqueue(ctx context.Context, ref string) error { return f(ctx, ref) }

// Unknown is what happens to an image the store holds no report of.
type Unknown string

// Unknown modes (--admission-unknown, config admission.unknown).
const (
	UnknownAllow Unknown = "allow" // allow silently
	UnknownWarn  Unknown = "warn"  // allow with a warning (the default)
	UnknownDeny  Unknown = "deny"  // deny until the scan is stored
)

// ParseUnknown reads an --admission-unknown value.
func ParseUnknown(s string) (Unknown, error) {
	switch u := Unknown(s); u {
	case UnknownAllow, UnknownWarn, UnknownDeny:
		return u, nil
	case "":
		return UnknownWarn, nil
	}
	return "", fmt.Errorf("--admission-unknown %q: want allow, warn or deny", s)
}

// Mode is what a Pod Security Standards profile's findings do.
type Mode string

// Profile modes.
const (
	Enforce Mode = "enforce" // deny the pod
	Warn    Mode = "warn"    // allow it with warnings
	Off     Mode = "off"     // do not check
)

// PSS profiles.
const (
	Baseline   = "baseline"
	Restricted = "restricted"
)

// ParsePSS reads "PROFILE=MODE" settings (--admission-pss, config
// admission.pss) over the defaults: baseline enforced, restricted warned
// about, as the Kubernetes documentation's example namespace does.
func ParsePSS(settings []string) (map[string]Mode, error) {
	m := DefaultPSS()
	for _, s := range settings {
		p, v, ok := strings.Cut(s, "=")
		if !ok || (p != Baseline && p != Restricted) {
			return nil, fmt.Errorf("--admission-pss %q: want baseline=MODE or restricted=MODE", s)
		}
		switch mode := Mode(v); mode {
		case Enforce, Warn, Off:
			m[p] = mode
		default:
			return nil, fmt.Errorf("--admission-pss %q: mode must be enforce, warn or off", s)
		}
	}
	return m, nil
}

// DefaultPSS is baseline enforced, restricted warned about.
func DefaultPSS() map[string]Mode { return map[string]Mode{Baseline: Enforce, Restricted: Warn} }

// Defaults of Config.
const (
	DefaultResolveTimeout = 2 * time.Second
	DefaultCacheTTL       = time.Minute
	// DefaultStoreTimeout bounds one store call (a report load, a
	// reference lookup).
	DefaultStoreTimeout = 2 * time.Second
	// enqueueTimeout bounds one Enqueue, which runs after the response:
	// the service may HEAD the registry itself.
	enqueueTimeout = 15 * time.Second
	// enqueueBacklog is how many scan requests wait for the enqueuers;
	// past it a request is dropped (and asked again at the next
	// admission of the image).
	enqueueBacklog = 1024
	enqueuers      = 2
)

// Config is what the handler decides with.
type Config struct {
	// Gate is the server's gate, as the CLI's --fail-on, --policy,
	// --ignore-file and --vex build it; nil denies nothing for findings.
	Gate *scan.Gate
	// PolicyHash identifies the gate's documents and settings; it is part
	// of a verdict's key with the digest and the DB build.
	PolicyHash string
	// DBBuilt, if set, returns the build time of the DB the scans use
	// now: a verdict judged before a DB update is not reused after it.
	DBBuilt func(ctx context.Context) (time.Time, error)
	// Unknown is what happens to images without a stored report.
	Unknown Unknown
	// PSS maps a Pod Security Standards profile to its mode; nil is
	// DefaultPSS.
	PSS map[string]Mode
	// ResolveTimeout bounds the registry HEAD of a reference the store
	// does not know; 0 is DefaultResolveTimeout, negative disables HEAD.
	ResolveTimeout time.Duration
	// CacheTTL is how long a verdict and a reference's digest are kept in
	// memory; 0 is DefaultCacheTTL.
	CacheTTL time.Duration
	// Remote are the options of the registry HEAD (a transport with the
	// server's SSRF guard, credentials).
	Remote []remote.Option
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// Logger receives store and registry errors; nil discards them.
	Logger *slog.Logger
}

// Handler decides admissions. Its methods are safe for concurrent use.
type Handler struct {
	cfg      Config
	store    Store
	enqueuer Enqueuer
	verdicts *cache[verdict]
	digests  *cache[string]
	enqueued *cache[bool]
	log      *slog.Logger
	// queue feeds the enqueuers; Close closes it and waits for them.
	queueMu   sync.Mutex
	closed    bool
	queue     chan string
	enqueuers sync.WaitGroup
}

// New returns a Handler over the store and the scan queue (enqueuer,
// which may be nil: unknown images are then not scanned).
func New(cfg Config, st Store, enqueuer Enqueuer) (*Handler, error) {
	if st == nil {
		return nil, errors.New("admission: no report store")
	}
	if cfg.Unknown == "" {
		cfg.Unknown = UnknownWarn
	}
	if _, err := ParseUnknown(string(cfg.Unknown)); err != nil {
		return nil, err
	}
	if cfg.PSS == nil {
		cfg.PSS = DefaultPSS()
	}
	if cfg.ResolveTimeout == 0 {
		cfg.ResolveTimeout = DefaultResolveTimeout
	}
	if cfg.CacheTTL <= 0 {
		cfg.CacheTTL = DefaultCacheTTL
	}
	if cfg.Now == nil {
		cfg.Now = time.Now
	}
	log := cfg.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{cfg: cfg, store: st, enqueuer: enqueuer, log: log,
		verdicts: newCache[verdict](cfg.CacheTTL, cfg.Now),
		digests:  newCache[string](cfg.CacheTTL, cfg.Now),
		enqueued: newCache[bool](cfg.CacheTTL, cfg.Now),
		queue:    make(chan string, enqueueBacklog),
	}
	if enqueuer != nil {
		for range enqueuers {
			h.enqueuers.Go(h.runEnqueuer)
		}
	}
	return h, nil
}

// Close stops asking for scans once the requests already taken are sent.
func (h *Handler) Close() error {
	h.queueMu.Lock()
	if !h.closed {
		h.closed = true
		close(h.queue)
	}
	h.queueMu.Unlock()
	h.enqueuers.Wait()
	return nil
}

// runEnqueuer sends scan requests to the queue, after the admission
// responses that asked for them: an admission never waits for the queue.
func (h *Handler) runEnqueuer() {
	for ref := range h.queue {
		ctx, cancel := context.WithTimeout(context.Background(), enqueueTimeout)
		if err := h.enqueuer.Enqueue(ctx, ref); err != nil {
			h.log.Warn("admission: enqueue a scan", "ref", ref, "err", err)
			h.enqueued.drop(ref)
		}
		cancel()
	}
}
