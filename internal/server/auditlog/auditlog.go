// Package auditlog records who asked customs serve for what: one slog JSON
// line per request, with the token that asked (its ID, name and scope),
// the method, path, scan target, status and duration, written to a writer
// of its own (docs/serve.md, "Security").
//
// It records no header, query string or body: registry credentials and
// API tokens travel there, and an audit log must not become the place
// they leak to.
package auditlog

import (
	"context"
	"io"
	"log/slog"
	"net"
	"net/http"
	"strings"
	"sync"
	"time"
)

// Log writes the audit records.
type Log struct {
	l   *slog.Logger
	now func() time.Time
}

// New returns a Log writing JSON lines to w.
func New(w io.Writer) *Log {
	return &Log{l: slog.New(slog.NewJSONHandler(w, nil)), now: time.Now}
}

// Entry is what a request's handlers learn about it while it runs; the
// middleware writes it when the response is done. Its methods are safe on
// a nil Entry (a request outside the middleware).
type Entry struct {
	mu        sync.Mutex
	tokenID   string
	tokenName string
	scope     string
	target    string
}

type entryKey struct{}

// From returns the request's entry, nil outside the middleware.
func From(ctx context.Context) *Entry {
	e, _ := ctx.Value(entryKey{}).(*Entry)
	return e
}

// SetPrincipal records the token that authenticated the request.
func (e *Entry) SetPrincipal(id, name, scope string) {
	if e == nil {
		return
	}
	e.mu.Lock()
	e.tokenID, e.tokenName, e.scope = id, name, scope
	e.mu.Unlock()
}

// SetTarget records what the request is about: the image it asks to scan
// or reads, as a reference or digest. A "scheme://user:password@" part is
// dropped.
func (e *Entry) SetTarget(target string) {
	if e == nil {
		return
	}
	e.mu.Lock()
	e.target = redact(target)
	e.mu.Unlock()
}

// redact drops what could be credentials in a target given as a URL.
func redact(s string) string {
	scheme, rest, ok := strings.Cut(s, "://")
	if !ok {
		return s
	}
	host, path, _ := strings.Cut(rest, "/")
	if i := strings.LastIndexByte(host, '@'); i >= 0 {
		host = host[i+1:]
	}
	if path != "" {
		host += "/" + path
	}
	return scheme + "://" + host
}

// Middleware records each request next serves.
func (l *Log) Middleware(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		start := l.now()
		e := &Entry{}
		sw := &statusWriter{ResponseWriter: w}
		next.ServeHTTP(sw, r.WithContext(context.WithValue(r.Context(), entryKey{}, e)))
		status := sw.status
		if status == 0 {
			status = http.StatusOK
		}
		remote, _, err := net.SplitHostPort(r.RemoteAddr)
		if err != nil {
			remote = r.RemoteAddr
		}
		e.mu.Lock()
		defer e.mu.Unlock()
		attrs := []slog.Attr{
			slog.String("tokenID", e.tokenID),
			slog.String("tokenName", e.tokenName),
			slog.String("scope", e.scope),
			slog.String("method", r.Method),
			slog.String("path", r.URL.Path),
			slog.String("target", e.target),
			slog.Int("status", status),
			slog.Int64("bytes", sw.bytes),
			slog.Float64("durationMs", float64(l.now().Sub(start).Microseconds())/1000),
			slog.String("remote", remote),
		}
		if r.TLS != nil && len(r.TLS.PeerCertificates) > 0 {
			attrs = append(attrs, slog.String("clientCert", r.TLS.PeerCertificates[0].Subject.String()))
		}
		l.l.LogAttrs(r.Context(), slog.LevelInfo, "request", attrs...)
	})
}

// statusWriter remembers the status and counts the body's bytes.
type statusWriter struct {
	http.ResponseWriter
	status int
	bytes  int64
}

func (w *statusWriter) WriteHeader(code int) {
	if w.status == 0 {
		w.status = code
	}
	w.ResponseWriter.WriteHeader(code)
}

func (w *statusWriter) Write(b []byte) (int, error) {
	if w.status == 0 {
		w.status = http.StatusOK
	}
	n, err := w.ResponseWriter.Write(b)
	w.bytes += int64(n)
	return n, err
}

// Unwrap lets http.ResponseController reach the writer's Flush and
// deadlines.
func (w *statusWriter) Unwrap() http.ResponseWriter { return w.ResponseWriter }
