// Package server is customs serve's HTTP front end: the REST API v1 over
// internal/service (its OpenAPI document is openapi.json, served at
// /v1/openapi.json), the health probes and Prometheus metrics, and the
// mount points of Harbor's adapter and the admission webhook. Handlers
// translate requests into service calls and results into responses;
// nothing here decides about findings.
package server

import (
	"context"
	"log/slog"
	"net/http"
	"strconv"
	"time"

	"github.com/prometheus/client_golang/prometheus"
	"github.com/prometheus/client_golang/prometheus/collectors"
	"github.com/prometheus/client_golang/prometheus/promhttp"
	"golang.org/x/sync/singleflight"

	"github.com/customs-scanner/customs/internal/server/problem"
	"github.com/customs-scanner/customs/internal/service"
	"github.com/customs-scanner/customs/internal/store"
)

// Token scopes an endpoint needs (customs token create --scope).
const (
	ScopeRead  = "read"
	ScopeScan  = "scan"
	ScopeAdmin = "admin"
)

// Limits of the API, named as docs/serve.md lists them.
const (
	// MaxBody is the largest request body the API reads.
	MaxBody = 1 << 20
	// DefaultLimit and MaxLimit bound a page of a paginated answer.
	DefaultLimit = 100
	MaxLimit     = 1000
	// RequestTimeout bounds the store and registry calls of one request.
	RequestTimeout = 30 * time.Second
)

// Options configure the server.
type Options struct {
	Logger *slog.Logger
	// Metrics is the registry /metrics serves; the service registers its
	// metrics there too. Nil makes one.
	Metrics *prometheus.Registry
	// Require, when set, returns the middleware that lets through only
	// requests with a token of scope (internal/server/auth); nil lets
	// every request through (a single node on loopback).
	Require func(scope string) func(http.Handler) http.Handler
	// Middleware wraps every endpoint but the probes and /metrics, the
	// first outermost: body and rate limits, the audit log.
	Middleware []func(http.Handler) http.Handler
	// CheckWebhook, when set, refuses a subscription before it is
	// stored (422 with its message): customs serve checks its filter and
	// its URL's host with the SSRF guard, as a scan target's registry.
	CheckWebhook func(ctx context.Context, s store.Subscription) error
	// ReportCacheBytes is the budget of the encoded reports kept in
	// memory (GET /v1/images/{digest}/report): 0 means
	// DefaultReportCacheBytes, a negative budget keeps none.
	ReportCacheBytes int64
}

// Server is the HTTP front end of one service.
type Server struct {
	svc  *service.Service
	opts Options
	log  *slog.Logger
	mux  *http.ServeMux
	reg  *prometheus.Registry
	http *prometheus.HistogramVec

	// reports are encoded report answers; loads makes concurrent misses
	// of one answer read and encode it once.
	reports *reportCache
	loads   singleflight.Group
}

// New returns the server of svc with every v1 endpoint routed.
func New(svc *service.Service, opts Options) *Server {
	s := &Server{svc: svc, opts: opts, log: opts.Logger, mux: http.NewServeMux(), reg: opts.Metrics}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.reg == nil {
		s.reg = prometheus.NewRegistry()
		s.reg.MustRegister(collectors.NewGoCollector(), collectors.NewProcessCollector(collectors.ProcessCollectorOpts{}))
	}
	s.http = prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "customs_http_request_duration_seconds",
		Help: "HTTP requests by method, route and status code.", Buckets: []float64{.001, .0025, .005, .01, .025, .05, .1, .25, .5, 1, 2.5, 5, 10}},
		[]string{"method", "route", "code"})
	s.reg.MustRegister(s.http)
	budget := opts.ReportCacheBytes
	if budget == 0 {
		budget = DefaultReportCacheBytes
	}
	s.reports = newReportCache(budget)
	s.reg.MustRegister(s.reports.bytes, s.reports.lookups)
	s.mux.HandleFunc("GET /healthz", s.healthz)
	s.mux.HandleFunc("GET /readyz", s.readyz)
	// Every endpoint but the probes needs a token (docs/serve.md, "Security").
	s.Mount("GET /metrics", ScopeRead, promhttp.HandlerFor(s.reg, promhttp.HandlerOpts{}))
	s.route("GET /v1/openapi.json", ScopeRead, s.openAPI)
	s.route("POST /v1/scans", ScopeScan, s.postScan)
	s.route("GET /v1/scans/{id}", ScopeRead, s.getScan)
	s.route("GET /v1/images/{digest}", ScopeRead, s.getImage)
	s.route("GET /v1/images/{digest}/report", ScopeRead, s.getReport)
	s.route("GET /v1/vulnerabilities/{id}/exposure", ScopeRead, s.getExposure)
	s.route("GET /v1/packages/{name}/spread", ScopeRead, s.getSpread)
	s.route("GET /v1/db", ScopeRead, s.getDB)
	s.route("GET /v1/subscriptions", ScopeAdmin, s.listSubscriptions)
	s.route("POST /v1/subscriptions", ScopeAdmin, s.createSubscription)
	s.route("GET /v1/subscriptions/{id}", ScopeAdmin, s.getSubscription)
	s.route("PUT /v1/subscriptions/{id}", ScopeAdmin, s.putSubscription)
	s.route("DELETE /v1/subscriptions/{id}", ScopeAdmin, s.deleteSubscription)
	s.mux.HandleFunc("/v1/", func(w http.ResponseWriter, r *http.Request) {
		writeProblem(w, http.StatusNotFound, "no such endpoint: see /v1/openapi.json")
	})
	return s
}

// SetService sets the service the server fronts, for a caller that makes
// the server first to register the service's metrics in its registry.
func (s *Server) SetService(svc *service.Service) { s.svc = svc }

// Registry is the metrics registry /metrics serves.
func (s *Server) Registry() *prometheus.Registry { return s.reg }

// route adds an API endpoint that needs a token of scope.
func (s *Server) route(pattern, scope string, h http.HandlerFunc) {
	s.Mount(pattern, scope, h)
}

// Mount adds the handler of another front end (Harbor's adapter at
// "/api/v1/", admission at "POST /v1/admission") behind the same
// middleware, needing a token of scope.
func (s *Server) Mount(pattern, scope string, h http.Handler) {
	if s.opts.Require != nil {
		h = s.opts.Require(scope)(h)
	}
	for i := len(s.opts.Middleware) - 1; i >= 0; i-- {
		h = s.opts.Middleware[i](h)
	}
	s.mux.Handle(pattern, h)
}

// MountErrors is Mount for a front end with an error format of its own
// (Harbor's adapter): every error of the shared middleware (401, 403, 413,
// 429) is written by errs.
func (s *Server) MountErrors(pattern, scope string, h http.Handler, errs problem.Writer) {
	if s.opts.Require != nil {
		h = s.opts.Require(scope)(h)
	}
	for i := len(s.opts.Middleware) - 1; i >= 0; i-- {
		h = s.opts.Middleware[i](h)
	}
	inner := h
	s.mux.Handle(pattern, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		inner.ServeHTTP(w, r.WithContext(problem.WithWriter(r.Context(), errs)))
	}))
}

// MountOpen adds a handler that authenticates requests itself (the
// dashboard, whose pages take a token or a session cookie: see
// internal/server/session) behind the same middleware as the API.
func (s *Server) MountOpen(pattern string, h http.Handler) {
	for i := len(s.opts.Middleware) - 1; i >= 0; i-- {
		h = s.opts.Middleware[i](h)
	}
	s.mux.Handle(pattern, h)
}

// Handler is the server's handler: every request is timed into the
// metrics and logged (never its headers: they carry tokens and
// credentials).
func (s *Server) Handler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := time.Now()
		sw := &statusWriter{ResponseWriter: w, code: http.StatusOK}
		defer func() {
			if v := recover(); v != nil {
				s.log.Error("panic", "method", r.Method, "path", r.URL.Path, "panic", v)
				if !sw.wrote {
					writeProblem(sw, http.StatusInternalServerError, "internal error")
				}
			}
			route := r.Pattern
			if route == "" {
				route = "unmatched"
			}
			d := time.Since(start)
			s.http.WithLabelValues(r.Method, route, strconv.Itoa(sw.code)).Observe(d.Seconds())
			if route != "GET /healthz" && route != "GET /readyz" && route != "GET /metrics" {
				s.log.Info("http", "method", r.Method, "path", r.URL.Path, "route", route, "status", sw.code,
					"seconds", d.Seconds(), "bytes", sw.n, "remote", r.RemoteAddr)
			}
		}()
		s.mux.ServeHTTP(sw, r)
	})
}

type statusWriter struct {
	http.ResponseWriter
	code  int
	n     int
	wrote bool
}

func (w *statusWriter) WriteHeader(code int) {
	if !w.wrote {
		w.code, w.wrote = code, true
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	w.wrote = true
	n, err := w.ResponseWriter.Write(b)
	w.n += n
	return n, err
}

func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }

func (s *Server) healthz(w http.ResponseWriter, r *http.Request) {
	writeJSON(w, http.StatusOK, map[string]string{"status": "ok"})
}

func (s *Server) readyz(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := contextTimeout(r, 5*time.Second)
	defer cancel()
	if err := s.svc.Ready(ctx); err != nil {
		writeProblem(w, http.StatusServiceUnavailable, "not ready: "+err.Error())
		return
	}
	writeJSON(w, http.StatusOK, map[string]string{"status": "ready"})
}
