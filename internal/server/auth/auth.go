package auth

import (
	"context"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/hex"
	"errors"
	"log/slog"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/customs-scanner/customs/internal/server/auditlog"
	"github.com/customs-scanner/customs/internal/server/problem"
	"github.com/customs-scanner/customs/internal/store"
)

// Tokens is what the authenticator needs of the store.
type Tokens interface {
	Token(ctx context.Context, id string) (store.Token, error)
	TokenUsed(ctx context.Context, id string, at time.Time) error
}

// Defaults of Options.
const (
	// DefaultCacheTTL is how long a token's stored record is reused
	// before it is read again: how long a revoked token may still work
	// in a running server.
	DefaultCacheTTL = 10 * time.Second
	// DefaultUsedEvery is how often a token's last-used time is written,
	// at most, by one process.
	DefaultUsedEvery = time.Minute
	// lookupTimeout bounds reading a token from the store.
	lookupTimeout = 5 * time.Second
)

// Options tune an Authenticator; the zero value takes the defaults.
type Options struct {
	CacheTTL  time.Duration
	UsedEvery time.Duration
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// Logger gets store errors; nil discards them.
	Logger *slog.Logger
}

// Principal is the token a request came with.
type Principal struct {
	ID    string
	Name  string
	Scope Scope
}

// ErrUnauthenticated is the error for a request without a valid token.
var ErrUnauthenticated = errors.New("a valid API token is needed")

// Authenticator checks tokens against the store.
type Authenticator struct {
	st   Tokens
	opts Options

	mu    sync.Mutex
	cache map[string]cached
}

type cached struct {
	tok     store.Token
	fetched time.Time
	used    time.Time // last use written to the store
}

// New returns an Authenticator over st.
func New(st Tokens, opts Options) *Authenticator {
	if opts.CacheTTL <= 0 {
		opts.CacheTTL = DefaultCacheTTL
	}
	if opts.UsedEvery <= 0 {
		opts.UsedEvery = DefaultUsedEvery
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	return &Authenticator{st: st, opts: opts, cache: map[string]cached{}}
}

// Verify returns the principal of token, or an error wrapping
// ErrUnauthenticated for a malformed, unknown or revoked token.
func (a *Authenticator) Verify(ctx context.Context, token string) (Principal, error) {
	id, ok := ID(token)
	if !ok {
		return Principal{}, ErrUnauthenticated
	}
	got := sha256Bytes(token)
	return a.VerifyID(ctx, id, func(hash []byte) bool { return subtle.ConstantTimeCompare(hash, got) == 1 })
}

// VerifyID returns the principal of the token with the ID when match
// accepts the SHA-256 its record holds, or an error wrapping
// ErrUnauthenticated for an unknown or revoked token or a refused hash.
// It is Verify for a credential that proves it was made from the token
// without holding it: the dashboard's session cookie, signed over the
// hash. The record is read, cached and its use written as for Verify.
func (a *Authenticator) VerifyID(ctx context.Context, id string, match func(hash []byte) bool) (Principal, error) {
	now := a.opts.Now()
	a.mu.Lock()
	c, hit := a.cache[id]
	a.mu.Unlock()
	if !hit || now.Sub(c.fetched) >= a.opts.CacheTTL {
		lctx, cancel := context.WithTimeout(ctx, lookupTimeout)
		tok, err := a.st.Token(lctx, id)
		cancel()
		if errors.Is(err, store.ErrNoToken) {
			a.forget(id)
			return Principal{}, ErrUnauthenticated
		}
		if err != nil {
			return Principal{}, err
		}
		c = cached{tok: tok, fetched: now, used: c.used}
	}
	want, err := hex.DecodeString(c.tok.Hash)
	if err != nil || len(want) != sha256.Size || !match(want) || !c.tok.RevokedAt.IsZero() {
		// A cached record is kept: the next try finds it again.
		a.store(id, c)
		return Principal{}, ErrUnauthenticated
	}
	scope, err := ParseScope(c.tok.Scope)
	if err != nil {
		return Principal{}, ErrUnauthenticated
	}
	if now.Sub(c.used) >= a.opts.UsedEvery {
		c.used = now
		uctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), lookupTimeout)
		if err := a.st.TokenUsed(uctx, id, now); err != nil {
			a.opts.Logger.Warn("record token use", "token", id, "err", err)
		}
		cancel()
	}
	a.store(id, c)
	return Principal{ID: id, Name: c.tok.Name, Scope: scope}, nil
}

func (a *Authenticator) store(id string, c cached) {
	a.mu.Lock()
	a.cache[id] = c
	a.mu.Unlock()
}

func (a *Authenticator) forget(id string) {
	a.mu.Lock()
	delete(a.cache, id)
	a.mu.Unlock()
}

func sha256Bytes(token string) []byte {
	b, _ := hex.DecodeString(Hash(token))
	return b
}

// Credential returns the token a request carries, in the forms Harbor's
// scanner registration sends (auth "Bearer", "Basic" or
// "X-ScannerAdapter-API-Key") and the API's own "Authorization: Bearer":
//   - Authorization: Bearer TOKEN
//   - Authorization: Basic base64(USER:TOKEN), the user being any name
//     (or base64(TOKEN:) with an empty password)
//   - X-ScannerAdapter-API-Key: TOKEN
func Credential(r *http.Request) (string, bool) {
	if k := r.Header.Get("X-ScannerAdapter-API-Key"); k != "" {
		return strings.TrimSpace(k), true
	}
	h := r.Header.Get("Authorization")
	scheme, rest, ok := strings.Cut(h, " ")
	if !ok {
		return "", false
	}
	switch {
	case strings.EqualFold(scheme, "Bearer"):
		t := strings.TrimSpace(rest)
		return t, t != ""
	case strings.EqualFold(scheme, "Basic"):
		user, pass, ok := r.BasicAuth()
		if !ok {
			return "", false
		}
		if pass == "" {
			return user, user != ""
		}
		return pass, true
	}
	return "", false
}

// Authenticate returns the principal of the request's token; an error
// wrapping ErrUnauthenticated when it has none or a bad one. It records
// the principal in the request's audit entry.
func (a *Authenticator) Authenticate(r *http.Request) (Principal, error) {
	tok, ok := Credential(r)
	if !ok {
		return Principal{}, ErrUnauthenticated
	}
	p, err := a.Verify(r.Context(), tok)
	if err != nil {
		return p, err
	}
	auditlog.From(r.Context()).SetPrincipal(p.ID, p.Name, p.Scope.String())
	return p, nil
}

type principalKey struct{}

// FromContext returns the principal Require put in the request's context.
func FromContext(ctx context.Context) (Principal, bool) {
	p, ok := ctx.Value(principalKey{}).(Principal)
	return p, ok
}

// WithPrincipal returns ctx carrying p, as Require's handlers see it.
func WithPrincipal(ctx context.Context, p Principal) context.Context {
	return context.WithValue(ctx, principalKey{}, p)
}

// FailFunc writes an authentication (401) or authorisation (403) error.
type FailFunc func(w http.ResponseWriter, r *http.Request, status int, detail string)

// Require returns middleware that lets through requests whose token
// allows need, and answers others with a problem+json 401 or 403.
func (a *Authenticator) Require(need Scope) func(http.Handler) http.Handler {
	return a.RequireFunc(need, func(w http.ResponseWriter, r *http.Request, status int, detail string) {
		problem.Write(w, r, status, detail)
	})
}

// RequireFunc is Require with the errors written by fail, for front ends
// with an error format of their own (Harbor's scanner adapter errors).
func (a *Authenticator) RequireFunc(need Scope, fail FailFunc) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, err := a.Authenticate(r)
			switch {
			case errors.Is(err, ErrUnauthenticated):
				w.Header().Set("WWW-Authenticate", `Bearer realm="customs"`)
				fail(w, r, http.StatusUnauthorized, "give an API token: Authorization: Bearer TOKEN (customs token create makes one)")
				return
			case err != nil:
				a.opts.Logger.Error("authenticate", "err", err)
				fail(w, r, http.StatusServiceUnavailable, "the token store cannot be read; try again")
				return
			case !p.Scope.Allows(need):
				fail(w, r, http.StatusForbidden, "the token's scope is "+p.Scope.String()+"; this needs "+need.String())
				return
			}
			next.ServeHTTP(w, r.WithContext(WithPrincipal(r.Context(), p)))
		})
	}
}
