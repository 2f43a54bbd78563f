package cli

import (
	"context"
	"encoding/base64"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/customs-scanner/customs/internal/admission"
	"github.com/customs-scanner/customs/internal/dashboard"
	"github.com/customs-scanner/customs/internal/harbor"
	"github.com/customs-scanner/customs/internal/notify"
	"github.com/customs-scanner/customs/internal/policy"
	"github.com/customs-scanner/customs/internal/reevaluate"
	"github.com/customs-scanner/customs/internal/scan"
	"github.com/customs-scanner/customs/internal/server"
	"github.com/customs-scanner/customs/internal/service"
	"github.com/customs-scanner/customs/internal/store"
	"github.com/customs-scanner/customs/internal/store/backend"
)

// ServeConfig is the config file's serve: key (flags and environment
// win; docs/serve.md).
type ServeConfig struct {
	Listen          string         `yaml:"listen"`
	Workers         *int           `yaml:"workers"`
	RescueAfter     time.Duration  `yaml:"rescueAfter"`
	ScanTimeout     time.Duration  `yaml:"scanTimeout"`
	ShutdownTimeout time.Duration  `yaml:"shutdownTimeout"`
	DBUpdateEvery   *time.Duration `yaml:"dbUpdateEvery"`
	DBUpdateFeeds   []string       `yaml:"dbUpdateFeeds"`
	KeyFile         string         `yaml:"keyFile"`
	Insecure        bool           `yaml:"insecureRegistries"`
	SecurityConfig  `yaml:",inline"`
}

// serveFlags are the flags of customs serve and customs worker.
type serveFlags struct {
	listen          string
	workers         int
	rescueAfter     time.Duration
	scanTimeout     time.Duration
	shutdownTimeout time.Duration
	dbUpdateEvery   time.Duration
	dbUpdateFeeds   []string
	keyFile         string
	insecure        bool
	gate            gateOptions
	failOn          string
	failOnUnknown   bool
	ignoreUnfixed   bool
	dbMaxAge        time.Duration
	sec             securityFlags
	admission       admissionFlags
	reportCacheMiB  int
}

// Defaults of customs serve.
const (
	defaultListen          = "127.0.0.1:8080"
	defaultServeWorkers    = 2
	defaultShutdownTimeout = time.Minute
	defaultDBUpdateEvery   = 24 * time.Hour
)

func (f *serveFlags) add(fl *pflag.FlagSet, api bool) {
	if api {
		fl.StringVar(&f.listen, "listen", defaultListen, "address of the HTTP API ($CUSTOMS_LISTEN, config serve.listen)")
		fl.IntVar(&f.workers, "workers", defaultServeWorkers, "scans this process runs at once; 0 serves the API only ($CUSTOMS_WORKERS, config serve.workers)")
		fl.IntVar(&f.reportCacheMiB, "report-cache", server.DefaultReportCacheBytes>>20, "MiB of encoded reports GET /v1/images/{digest}/report keeps in memory, least recently used out first; 0 keeps none (docs/serve.md, Limits)")
	} else {
		fl.StringVar(&f.listen, "listen", "", "address of /healthz, /readyz and /metrics; empty serves none ($CUSTOMS_LISTEN, config serve.listen)")
		fl.IntVar(&f.workers, "workers", defaultServeWorkers, "scans this process runs at once ($CUSTOMS_WORKERS, config serve.workers)")
	}
	fl.DurationVar(&f.rescueAfter, "rescue-after", service.DefaultRescueAfter, "a running scan whose worker sent no heartbeat for this long (the worker was killed) is queued again ($CUSTOMS_RESCUE_AFTER, config serve.rescueAfter)")
	fl.DurationVar(&f.scanTimeout, "scan-timeout", service.DefaultScanTimeout, "longest time one scan may take (config serve.scanTimeout)")
	fl.DurationVar(&f.shutdownTimeout, "shutdown-timeout", defaultShutdownTimeout, "on SIGTERM, how long running scans may take to finish before they are cancelled and go back to the queue (config serve.shutdownTimeout)")
	fl.DurationVar(&f.dbUpdateEvery, "db-update-every", defaultDBUpdateEvery, "run `customs db update` (then re-evaluate the store and notify) this often, once for the whole deployment; 0 never (config serve.dbUpdateEvery)")
	fl.StringSliceVar(&f.dbUpdateFeeds, "db-update-feeds", nil, "the feeds the scheduled update downloads, as db update --feeds (default: db update's default feeds; config serve.dbUpdateFeeds)")
	fl.StringVar(&f.keyFile, "key-file", "", "file holding the deployment key (32 bytes, raw or base64) that seals registry credentials in the queue; every process needs the same ($CUSTOMS_SERVE_KEY holds the key itself, base64; config serve.keyFile)")
	fl.BoolVar(&f.insecure, "insecure", false, "allow plain-HTTP registries (loopback ones use HTTP anyway; config serve.insecureRegistries)")
	fl.StringVar(&f.failOn, "fail-on", "", "a report's verdict fails when a finding at or above this severity affects the image (as customs scan --fail-on)")
	fl.BoolVar(&f.failOnUnknown, "fail-on-unknown", false, "the verdict also fails on a vulnerability without a severity")
	fl.BoolVar(&f.ignoreUnfixed, "ignore-unfixed", false, "report only findings that have a fixed version")
	fl.DurationVar(&f.dbMaxAge, "db-max-age", 0, "/readyz fails when the DB is older than this (default: db-max-age from the config file, else 168h)")
	addGateFlags(fl, &f.gate)
	f.sec.add(fl, api)
	if api {
		f.admission.add(fl)
	}
}

func newServeCmd(g *globals) *cobra.Command {
	f := &serveFlags{}
	cmd := &cobra.Command{
		Use:   "serve [--listen ADDR] [--workers N] --store DSN",
		Short: "Run the scanning service: the REST API and, by default, workers",
		Long: `Run the scanning service (docs/serve.md): the REST API v1 (its OpenAPI document at
/v1/openapi.json), /healthz, /readyz and /metrics, and --workers scans at once, which take
jobs from a durable queue in the store's database. A single node needs nothing else:

  customs serve --store sqlite:customs-store.db

A fleet shares one PostgreSQL: any number of customs serve (--workers 0 for the API only)
and customs worker processes on different machines, with --store postgres://…. A scan
whose worker is killed is queued again after --rescue-after. Reports are judged with the
gate flags, as customs scan does (--fail-on, --policy, --ignore-file, --vex).`,
		Example: `  customs serve --store sqlite:customs-store.db
  customs serve --listen :8080 --workers 0 --store postgres://customs@db/customs --key-file /etc/customs/key
  customs serve --store customs-store.db --fail-on high --policy policy.yaml`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runServe(cmd, g, f, true) },
	}
	f.add(cmd.Flags(), true)
	return cmd
}

func newWorkerCmd(g *globals) *cobra.Command {
	f := &serveFlags{}
	cmd := &cobra.Command{
		Use:   "worker --store postgres://… [--workers N]",
		Short: "Run scan workers of the scanning service, without the API",
		Long: `Run --workers scans at once, taken from the queue in the store's database, as customs
serve does, without the REST API (docs/serve.md). Workers keep nothing but their layer
cache (--cache-dir); start as many as the scans need, on as many machines.`,
		Example: `  customs worker --store postgres://customs@db/customs --workers 2 --key-file /etc/customs/key`,
		Args:    cobra.NoArgs,
		RunE:    func(cmd *cobra.Command, _ []string) error { return runServe(cmd, g, f, false) },
	}
	f.add(cmd.Flags(), false)
	return cmd
}

// resolveServe applies the environment and the config file to the flags
// the command line left unset.
func (f *serveFlags) resolve(fl *pflag.FlagSet, cfg ServeConfig) error {
	unset := func(name string) bool { return !fl.Changed(name) }
	if unset("listen") {
		if v := os.Getenv("CUSTOMS_LISTEN"); v != "" {
			f.listen = v
		} else if cfg.Listen != "" {
			f.listen = cfg.Listen
		}
	}
	if unset("workers") {
		if v := os.Getenv("CUSTOMS_WORKERS"); v != "" {
			n, err := strconv.Atoi(v)
			if err != nil || n < 0 {
				return fmt.Errorf("$CUSTOMS_WORKERS %q: want a number, 0 or more", v)
			}
			f.workers = n
		} else if cfg.Workers != nil {
			f.workers = *cfg.Workers
		}
	}
	if unset("rescue-after") {
		if v := os.Getenv("CUSTOMS_RESCUE_AFTER"); v != "" {
			d, err := time.ParseDuration(v)
			if err != nil {
				return fmt.Errorf("$CUSTOMS_RESCUE_AFTER %q: %w", v, err)
			}
			f.rescueAfter = d
		} else if cfg.RescueAfter > 0 {
			f.rescueAfter = cfg.RescueAfter
		}
	}
	if unset("scan-timeout") && cfg.ScanTimeout > 0 {
		f.scanTimeout = cfg.ScanTimeout
	}
	if unset("shutdown-timeout") && cfg.ShutdownTimeout > 0 {
		f.shutdownTimeout = cfg.ShutdownTimeout
	}
	if unset("db-update-every") && cfg.DBUpdateEvery != nil {
		f.dbUpdateEvery = *cfg.DBUpdateEvery
	}
	if unset("db-update-feeds") && len(cfg.DBUpdateFeeds) > 0 {
		f.dbUpdateFeeds = cfg.DBUpdateFeeds
	}
	if unset("key-file") && cfg.KeyFile != "" {
		f.keyFile = cfg.KeyFile
	}
	if unset("insecure") && cfg.Insecure {
		f.insecure = true
	}
	if f.workers < 0 {
		return fmt.Errorf("--workers %d: want 0 or more", f.workers)
	}
	if f.rescueAfter < time.Second {
		return fmt.Errorf("--rescue-after %s: want at least 1s", f.rescueAfter)
	}
	return nil
}

// key reads the deployment key: $CUSTOMS_SERVE_KEY, else --key-file; nil
// when neither is given.
func (f *serveFlags) key() ([]byte, error) {
	raw := os.Getenv("CUSTOMS_SERVE_KEY")
	what := "$CUSTOMS_SERVE_KEY"
	if f.keyFile != "" {
		b, err := os.ReadFile(f.keyFile)
		if err != nil {
			return nil, fmt.Errorf("--key-file: %w", err)
		}
		raw, what = string(b), "--key-file "+f.keyFile
		if len(b) == service.KeySize {
			return b, nil
		}
	}
	if raw == "" {
		return nil, nil
	}
	k, err := base64.StdEncoding.DecodeString(strings.TrimSpace(raw))
	if err != nil || len(k) != service.KeySize {
		return nil, fmt.Errorf("%s: want %d random bytes, raw or base64 (head -c 32 /dev/urandom | base64)", what, service.KeySize)
	}
	return k, nil
}

func runServe(cmd *cobra.Command, g *globals, f *serveFlags, api bool) error {
	cfg, err := g.config()
	if err != nil {
		return err
	}
	if err := f.resolve(cmd.Flags(), cfg.Serve); err != nil {
		return err
	}
	if err := f.sec.resolve(cmd.Flags(), cfg.Serve.SecurityConfig, api); err != nil {
		return err
	}
	var unknown admission.Unknown
	var pss map[string]admission.Mode
	if api {
		if unknown, pss, err = f.admission.resolve(cmd.Flags(), cfg.Admission); err != nil {
			return err
		}
		if len(f.admission.clientCerts) > 0 && f.sec.tlsClientCA == "" {
			return errors.New("--admission-client-cert needs --tls-client-ca: the certificate is verified against it")
		}
	}
	if !api && f.workers == 0 {
		return errors.New("--workers 0: a worker runs at least one scan at a time")
	}
	dsn, err := g.needStore()
	if err != nil {
		return err
	}
	key, err := f.key()
	if err != nil {
		return err
	}
	if err := policy.CheckFailOn(f.failOn); err != nil {
		return err
	}
	gate, err := loadGate(f.gate)
	if err != nil {
		return err
	}
	gate.IgnoreUnfixed = f.ignoreUnfixed
	gate.FailOn, gate.FailOnUnknown = f.failOn, f.failOnUnknown
	dbPath, err := g.db()
	if err != nil {
		return err
	}
	cacheDir, err := g.cache()
	if err != nil {
		return err
	}
	level := slog.LevelInfo
	if g.debug {
		level = slog.LevelDebug
	}
	log := slog.New(slog.NewJSONHandler(cmd.ErrOrStderr(), &slog.HandlerOptions{Level: level}))
	ctx := cmd.Context()
	st, err := backend.Open(ctx, dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	hooks, err := webhooks(g)
	if err != nil {
		return err
	}
	reg := prometheus.NewRegistry()
	reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	sec, err := f.sec.build(st, log, cmd.ErrOrStderr(), server.MaxBody, key)
	if err != nil {
		return err
	}
	defer sec.closeLog()
	reportCache := int64(f.reportCacheMiB) << 20
	if f.reportCacheMiB <= 0 {
		reportCache = -1
	}
	srv := server.New(nil, server.Options{Logger: log, Metrics: reg, Require: sec.require, Middleware: sec.middleware,
		CheckWebhook: checkWebhook(sec.guard), ReportCacheBytes: reportCache})
	maxAge := f.dbMaxAge
	if maxAge == 0 {
		maxAge = cfg.DBMaxAge
	}
	scfg := service.Config{
		DSN: dsn, Store: st, Workers: f.workers, RescueAfter: f.rescueAfter, ScanTimeout: f.scanTimeout, Key: key,
		Insecure: f.insecure, Logger: log, Metrics: reg, Version: Version, GateHash: gateHash(f),
		Scan: scan.Options{DBPath: dbPath, DBMaxAge: maxAge, CacheDir: filepath.Join(cacheDir, "layers"), Gate: gate},
	}
	scfg.CheckTarget = sec.guard.CheckTarget
	scfg.Scan.Image.Transport = sec.guard.Transport()
	if f.dbUpdateEvery > 0 {
		scfg.DBUpdateEvery = f.dbUpdateEvery
		scfg.DBUpdate = func(ctx context.Context) error { return scheduledUpdate(ctx, g, dbPath, f.dbUpdateFeeds) }
		scfg.Reevaluate = func(ctx context.Context) error {
			// The subscriptions as they are now, with the config's.
			all, err := allHooks(ctx, st, hooks)
			if err != nil {
				return err
			}
			res, err := reevaluate.Run(ctx, st, reevaluate.Options{DBPath: dbPath, Hooks: all, Version: Version})
			if err != nil {
				return err
			}
			n, err := notify.DeliverWith(ctx, st, all, hookClients(sec.guard), time.Now)
			log.Info("re-evaluated", "subjects", res.Subjects, "rematched", res.Rematched, "changed", res.Changed,
				"sent", n.Sent, "retrying", n.Retrying, "failed", n.Failed)
			return err
		}
	}
	svc, err := service.New(ctx, scfg)
	if err != nil {
		return err
	}
	defer svc.Close()
	srv.SetService(svc)
	// Harbor's adapter answers every error in the spec's error MIME type.
	srv.MountErrors(harbor.Prefix+"/", server.ScopeScan, harbor.NewHandler(svc, harbor.Options{Version: Version, Logger: log}), harbor.Fail)
	if api {
		adm, err := newAdmission(svc, f, unknown, pss, sec.guard.Transport(), log)
		if err != nil {
			return err
		}
		defer adm.Close()
		// Admission asks for scans of the images it does not know: the
		// API server's token (or Gatekeeper's) needs scope scan.
		for path, h := range map[string]http.HandlerFunc{admission.ReviewPath: adm.ServeReview, admission.ProviderPath: adm.ServeProvider} {
			if len(f.admission.clientCerts) > 0 {
				srv.MountOpen("POST "+path, sec.certOr(f.admission.clientCerts, server.ScopeScan)(h))
			} else {
				srv.Mount("POST "+path, server.ScopeScan, h)
			}
		}
		dash, err := dashboard.New(svc, dashboard.Options{Logger: log})
		if err != nil {
			return err
		}
		// Every path the API does not claim: the pages and /static/,
		// behind the API's tokens or a session cookie (server/session).
		srv.MountOpen("/", sec.pages(dash))
		dash.Warm()
	}
	if err := svc.Start(context.WithoutCancel(ctx)); err != nil {
		return err
	}
	var hs *http.Server
	errc := make(chan error, 1)
	if f.listen != "" {
		ln, err := net.Listen("tcp", f.listen)
		if err != nil {
			return fmt.Errorf("--listen %s: %w", f.listen, err)
		}
		h := srv.Handler()
		if !api {
			h = probesOnly(h)
		}
		hs = &http.Server{Handler: h, ReadHeaderTimeout: 10 * time.Second, ReadTimeout: time.Minute, WriteTimeout: 2 * time.Minute,
			IdleTimeout: 2 * time.Minute, ErrorLog: slog.NewLogLogger(log.Handler(), slog.LevelWarn)}
		if sec.tls != nil {
			hs.TLSConfig = sec.tls
			go func() { errc <- hs.ServeTLS(ln, "", "") }()
		} else {
			go func() { errc <- hs.Serve(ln) }()
		}
	}
	d, _ := store.ParseDSN(dsn)
	log.Info("customs serve started", "version", Version, "listen", f.listen, "api", api, "workers", f.workers, "store", d.String(),
		"db", dbPath, "rescueAfter", f.rescueAfter.String(), "dbUpdateEvery", f.dbUpdateEvery.String(), "sealedCredentials", key != nil,
		"tls", sec.tls != nil, "mutualTLS", f.sec.tlsClientCA != "", "allowRegistries", f.sec.allowRegistries)
	if api {
		log.Info("admission", admissionLog(unknown, pss)...)
	}
	select {
	case <-ctx.Done():
	case err := <-errc:
		if !errors.Is(err, http.ErrServerClosed) {
			log.Error("http", "error", err)
		}
	}
	log.Info("shutting down", "timeout", f.shutdownTimeout.String())
	sctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), f.shutdownTimeout)
	defer cancel()
	if hs != nil {
		hs.Shutdown(sctx)
	}
	if err := svc.Stop(sctx); err != nil {
		log.Warn("stop", "error", err)
	}
	log.Info("stopped")
	return nil
}

// probesOnly serves a worker's /healthz, /readyz and /metrics.
func probesOnly(h http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/healthz", "/readyz", "/metrics":
			h.ServeHTTP(w, r)
		default:
			http.NotFound(w, r)
		}
	})
}

// scheduledUpdate runs `customs db update` into dbPath, as the command
// does, without re-evaluating (the service does that next).
func scheduledUpdate(ctx context.Context, g *globals, dbPath string, feeds []string) error {
	args := []string{"db", "update", "--no-progress", "--no-reevaluate", "--db", dbPath}
	if len(feeds) > 0 {
		args = append(args, "--feeds", strings.Join(feeds, ","))
	}
	if g.cacheDir != "" {
		args = append(args, "--cache-dir", g.cacheDir)
	}
	if g.configPath != "" {
		args = append(args, "--config", g.configPath)
	}
	var out strings.Builder
	if code := Main(ctx, args, strings.NewReader(""), io.Discard, &out); code != ExitOK {
		return fmt.Errorf("db update: %s", strings.TrimSpace(out.String()))
	}
	return nil
}
