package cli

import (
	"cmp"
	"crypto/tls"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"slices"

	"github.com/spf13/pflag"

	"github.com/customs-scanner/customs/internal/admission"
	"github.com/customs-scanner/customs/internal/server/auditlog"
	"github.com/customs-scanner/customs/internal/server/auth"
	"github.com/customs-scanner/customs/internal/server/certs"
	"github.com/customs-scanner/customs/internal/server/guard"
	"github.com/customs-scanner/customs/internal/server/limit"
	"github.com/customs-scanner/customs/internal/server/session"
	"github.com/customs-scanner/customs/internal/store"
)

// SecurityConfig is the security part of the config file's serve: key
// (docs/serve.md, "Security"); flags win.
type SecurityConfig struct {
	TLSCert         string   `yaml:"tlsCert"`
	TLSKey          string   `yaml:"tlsKey"`
	TLSClientCA     string   `yaml:"tlsClientCA"`
	AllowRegistries []string `yaml:"allowRegistries"`
	AuditLog        string   `yaml:"auditLog"`
	Rate            float64  `yaml:"rate"`
	Burst           int      `yaml:"burst"`
}

// securityFlags are customs serve's TLS, token, limit and guard flags.
type securityFlags struct {
	tlsCert, tlsKey, tlsClientCA string
	allowRegistries              []string
	auditLog                     string
	rate                         float64
	burst                        int
}

// add adds the flags: only --allow-registry to a worker, which pulls
// images but serves no API.
func (f *securityFlags) add(fl *pflag.FlagSet, api bool) {
	fl.StringArrayVar(&f.allowRegistries, "allow-registry", nil, "a registry `HOST[:PORT]` that may be on a loopback, private or link-local address (repeatable; config serve.allowRegistries); others are refused")
	if !api {
		return
	}
	fl.StringVar(&f.tlsCert, "tls-cert", "", "serve HTTPS with this PEM certificate chain (with --tls-key; reloaded when the file changes; config serve.tlsCert)")
	fl.StringVar(&f.tlsKey, "tls-key", "", "the PEM private key of --tls-cert (config serve.tlsKey)")
	fl.StringVar(&f.tlsClientCA, "tls-client-ca", "", "require client certificates issued by the CAs of this PEM file (mutual TLS; config serve.tlsClientCA)")
	fl.StringVar(&f.auditLog, "audit-log", "", "append the audit log (one JSON line per API request: token, method, path, target, status) to this file; default standard error (config serve.auditLog)")
	fl.Float64Var(&f.rate, "rate", limit.DefaultRate, "API requests per second one token may make, sustained, to read and to ask for scans each (config serve.rate)")
	fl.IntVar(&f.burst, "burst", limit.DefaultBurst, "API requests one token may make at once, to read and to ask for scans each (config serve.burst)")
}

// resolve applies the config file to the flags the command line left
// unset.
func (f *securityFlags) resolve(fl *pflag.FlagSet, cfg SecurityConfig, api bool) error {
	unset := func(name string) bool { return !fl.Changed(name) }
	if unset("tls-cert") && cfg.TLSCert != "" {
		f.tlsCert = cfg.TLSCert
	}
	if unset("tls-key") && cfg.TLSKey != "" {
		f.tlsKey = cfg.TLSKey
	}
	if unset("tls-client-ca") && cfg.TLSClientCA != "" {
		f.tlsClientCA = cfg.TLSClientCA
	}
	if unset("allow-registry") {
		f.allowRegistries = cfg.AllowRegistries
	}
	if unset("audit-log") && cfg.AuditLog != "" {
		f.auditLog = cfg.AuditLog
	}
	if unset("rate") && cfg.Rate > 0 {
		f.rate = cfg.Rate
	}
	if unset("burst") && cfg.Burst > 0 {
		f.burst = cfg.Burst
	}
	if !api {
		return nil
	}
	if (f.tlsCert == "") != (f.tlsKey == "") {
		return fmt.Errorf("--tls-cert and --tls-key go together")
	}
	if f.tlsClientCA != "" && f.tlsCert == "" {
		return fmt.Errorf("--tls-client-ca needs --tls-cert and --tls-key")
	}
	if f.rate <= 0 || f.burst < 1 {
		return fmt.Errorf("--rate %g --burst %d: want a positive rate and a burst of 1 or more", f.rate, f.burst)
	}
	return nil
}

// security is what customs serve wires from securityFlags.
type security struct {
	guard *guard.Guard
	// tls is nil without --tls-cert.
	tls *tls.Config
	// require and middleware are server.Options' Require and Middleware.
	require    func(scope string) func(http.Handler) http.Handler
	middleware []func(http.Handler) http.Handler
	// pages puts the dashboard's pages behind the same tokens, or a
	// session cookie after signing in at /signin (server.MountOpen).
	pages func(http.Handler) http.Handler
	// certOr is require(scope) that also lets through, as a principal of
	// that scope, a client certificate verified by --tls-client-ca whose
	// common name or DNS name is one of names (Gatekeeper presents one and
	// sends no token).
	certOr   func(names []string, scope string) func(http.Handler) http.Handler
	closeLog func() error
}

// clientCertName returns the name of the request's verified client
// certificate (its common name, or a DNS name) that is one of names.
func clientCertName(r *http.Request, names []string) (string, bool) {
	if r.TLS == nil || len(r.TLS.VerifiedChains) == 0 || len(r.TLS.VerifiedChains[0]) == 0 {
		return "", false
	}
	leaf := r.TLS.VerifiedChains[0][0]
	for _, n := range append([]string{leaf.Subject.CommonName}, leaf.DNSNames...) {
		if n != "" && slices.Contains(names, n) {
			return n, true
		}
	}
	return "", false
}

// build makes the guard, the TLS configuration, the token check and the
// middleware: the audit log outermost, then the body limit, then (per
// endpoint) the token's scope and its rate.
// The dashboard's session cookies are signed with a key derived from key
// (the deployment key; nil: a random one per process).
func (f *securityFlags) build(st store.Tokens, log *slog.Logger, stderr io.Writer, maxBody int64, key []byte) (*security, error) {
	g, err := guard.New(guard.Options{Allow: f.allowRegistries, Proxy: http.ProxyFromEnvironment})
	if err != nil {
		return nil, fmt.Errorf("--allow-registry: %w", err)
	}
	s := &security{guard: g, closeLog: func() error { return nil }}
	if f.tlsCert != "" {
		r, err := certs.Load(certs.Files{Cert: f.tlsCert, Key: f.tlsKey, ClientCA: f.tlsClientCA}, log)
		if err != nil {
			return nil, err
		}
		s.tls = r.Config()
	}
	var w io.Writer = stderr
	if f.auditLog != "" && f.auditLog != "-" {
		file, err := os.OpenFile(f.auditLog, os.O_APPEND|os.O_CREATE|os.O_WRONLY, 0o600)
		if err != nil {
			return nil, fmt.Errorf("--audit-log: %w", err)
		}
		w, s.closeLog = file, file.Close
	}
	a := auth.New(st, auth.Options{Logger: log})
	// One bucket per token and per scope the endpoint needs: reads and
	// scan requests are limited apart.
	rl := limit.NewRate(cmp.Or(f.rate, limit.DefaultRate), cmp.Or(f.burst, limit.DefaultBurst), nil)
	s.require = func(scope string) func(http.Handler) http.Handler {
		sc, err := auth.ParseScope(scope)
		if err != nil {
			panic(fmt.Sprintf("endpoint scope %q: %v", scope, err)) // a programming error in the routes
		}
		req := a.Require(sc)
		rate := rl.Middleware(func(r *http.Request) string {
			p, _ := auth.FromContext(r.Context())
			return p.ID + "/" + scope
		})
		return func(h http.Handler) http.Handler { return req(rate(h)) }
	}
	s.certOr = func(names []string, scope string) func(http.Handler) http.Handler {
		sc, err := auth.ParseScope(scope)
		if err != nil {
			panic(fmt.Sprintf("endpoint scope %q: %v", scope, err))
		}
		tokens := s.require(scope)
		rate := rl.Middleware(func(r *http.Request) string {
			p, _ := auth.FromContext(r.Context())
			return p.ID + "/" + scope
		})
		return func(h http.Handler) http.Handler {
			byToken, byCert := tokens(h), rate(h)
			return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				name, ok := clientCertName(r, names)
				if !ok {
					byToken.ServeHTTP(w, r)
					return
				}
				p := auth.Principal{ID: "cert:" + name, Name: name, Scope: sc}
				auditlog.From(r.Context()).SetPrincipal(p.ID, p.Name, p.Scope.String())
				byCert.ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
			})
		}
	}
	sessions, err := session.New(a, session.Options{Key: key, Logger: log})
	if err != nil {
		return nil, err
	}
	// The pages' reads share the token's read bucket with its API reads.
	pageRate := rl.Middleware(func(r *http.Request) string {
		p, _ := auth.FromContext(r.Context())
		return p.ID + "/" + auth.Read.String()
	})
	gate := func(h http.Handler) http.Handler { return sessions.Require(auth.Read)(pageRate(h)) }
	s.pages = func(pages http.Handler) http.Handler { return sessions.Handler(pages, gate) }
	s.middleware = []func(http.Handler) http.Handler{auditlog.New(w).Middleware, limit.Body(maxBody,
		// AdmissionReviews carry an object and its old version.
		limit.Route{Path: admission.ReviewPath, Max: admission.MaxReviewBytes},
		limit.Route{Path: admission.ProviderPath, Max: admission.MaxReviewBytes})}
	return s, nil
}
