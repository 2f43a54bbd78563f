// Package session puts the dashboard of customs serve behind the API's
// tokens (docs/serve.md, "Security"): a script sends its token on every
// request as it does to the API; a person signs in once with a token at
// /signin and gets a session cookie. The cookie holds no token: it names
// the token's ID, an expiry and a nonce, signed with HMAC-SHA256 under a
// key derived from the deployment key and over the token's stored hash,
// so every request checks the token again (a revoked token ends its
// sessions) through internal/server/auth.
//
// Forms that change state carry a CSRF token (a signed double-submit
// cookie) and are refused when the browser says they come from another
// origin (Sec-Fetch-Site, Origin). Every response carries a strict
// Content-Security-Policy.
package session

import (
	"context"
	"crypto/hkdf"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/customs-scanner/customs/internal/server/auditlog"
	"github.com/customs-scanner/customs/internal/server/auth"
	"github.com/customs-scanner/customs/internal/server/problem"
)

// Names of the cookies, form fields and paths.
const (
	// CookieName is the session cookie.
	CookieName = "customs_session"
	// CSRFCookie holds the random value a form's CSRF token is signed over.
	CSRFCookie = "customs_csrf"
	// CSRFField is the hidden form field carrying the CSRF token.
	CSRFField = "csrf"
	// TokenField is the sign-in form's token field.
	TokenField = "token"
	// SignInPath and SignOutPath are the session's pages.
	SignInPath  = "/signin"
	SignOutPath = "/signout"
)

// DefaultMaxAge is how long a session lasts after signing in.
const DefaultMaxAge = 12 * time.Hour

// Security headers of every page.
const (
	// CSP allows the page's own style sheets, scripts and images (and
	// data: images), forms posting to itself, and nothing else: no inline
	// script or style, no framing, no <base>.
	CSP = "default-src 'none'; style-src 'self'; img-src 'self' data:; script-src 'self'; " +
		"form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
)

// Options configure a Manager.
type Options struct {
	// Key is the deployment key (customs serve --key-file); the cookies'
	// signing key is derived from it, so every server of a deployment
	// accepts the sessions of the others and a restart keeps them. Nil
	// makes a random key: sessions then end with the process and hold on
	// that server only.
	Key []byte
	// MaxAge is a session's lifetime; zero is DefaultMaxAge.
	MaxAge time.Duration
	// Now is the clock; nil is time.Now.
	Now func() time.Time
	// Logger gets store errors; nil discards them.
	Logger *slog.Logger
}

// Manager signs sessions in and out and lets requests through by token
// or session.
type Manager struct {
	a    *auth.Authenticator
	key  []byte
	opts Options
	cop  *http.CrossOriginProtection
}

// New returns the Manager of the dashboard over a's tokens.
func New(a *auth.Authenticator, opts Options) (*Manager, error) {
	if opts.MaxAge <= 0 {
		opts.MaxAge = DefaultMaxAge
	}
	if opts.Now == nil {
		opts.Now = time.Now
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	secret := opts.Key
	if secret == nil {
		secret = make([]byte, 32)
		rand.Read(secret)
	}
	if len(secret) < 16 {
		return nil, fmt.Errorf("session key: %d bytes, want at least 16", len(secret))
	}
	key, err := hkdf.Key(sha256.New, secret, nil, "customs dashboard sessions v1", 32)
	if err != nil {
		return nil, fmt.Errorf("derive the session key: %w", err)
	}
	return &Manager{a: a, key: key, opts: opts, cop: http.NewCrossOriginProtection()}, nil
}

// mac is HMAC-SHA256 under the session key over a purpose and parts,
// each length-prefixed so no two inputs read alike.
func (m *Manager) mac(purpose string, parts ...[]byte) []byte {
	h := hmac.New(sha256.New, m.key)
	for _, p := range append([][]byte{[]byte(purpose)}, parts...) {
		h.Write(strconv.AppendInt(nil, int64(len(p)), 10))
		h.Write([]byte{':'})
		h.Write(p)
	}
	return h.Sum(nil)
}

var b64 = base64.RawURLEncoding

// sessionValue is a session cookie's value:
// "v1.ID.EXPIRES.NONCE.MAC", MAC signing the rest and the token's hash.
func (m *Manager) sessionValue(id string, hash []byte, expires time.Time) string {
	nonce := make([]byte, 16)
	rand.Read(nonce)
	body := "v1." + id + "." + strconv.FormatInt(expires.Unix(), 10) + "." + b64.EncodeToString(nonce)
	return body + "." + b64.EncodeToString(m.mac("session", []byte(body), hash))
}

// errNoSession is the error of a request without a usable session
// cookie.
var errNoSession = fmt.Errorf("no session: %w", auth.ErrUnauthenticated)

// fromCookie returns the principal of the request's session cookie.
func (m *Manager) fromCookie(ctx context.Context, r *http.Request) (auth.Principal, error) {
	c, err := r.Cookie(CookieName)
	if err != nil {
		return auth.Principal{}, errNoSession
	}
	body, sig, ok := cutLast(c.Value, ".")
	parts := strings.Split(body, ".")
	if !ok || len(parts) != 4 || parts[0] != "v1" || len(parts[1]) != 16 {
		return auth.Principal{}, errNoSession
	}
	if _, err := hex.DecodeString(parts[1]); err != nil {
		return auth.Principal{}, errNoSession
	}
	exp, err := strconv.ParseInt(parts[2], 10, 64)
	if err != nil || !m.opts.Now().Before(time.Unix(exp, 0)) {
		return auth.Principal{}, errNoSession
	}
	mac, err := b64.DecodeString(sig)
	if err != nil {
		return auth.Principal{}, errNoSession
	}
	return m.a.VerifyID(ctx, parts[1], func(hash []byte) bool {
		return hmac.Equal(mac, m.mac("session", []byte(body), hash))
	})
}

func cutLast(s, sep string) (before, after string, ok bool) {
	i := strings.LastIndex(s, sep)
	if i < 0 {
		return s, "", false
	}
	return s[:i], s[i+len(sep):], true
}

// browser reports whether r is a person's page load, which is sent to
// sign in, rather than a script's request, which gets a 401.
func browser(r *http.Request) bool {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		return false
	}
	return r.Header.Get("Sec-Fetch-Mode") == "navigate" || strings.Contains(r.Header.Get("Accept"), "text/html")
}

// Require returns middleware that lets through requests with a token of
// scope need, sent as the API takes it (internal/server/auth.Credential:
// scripts) or by a session cookie (people). Without either, a page load
// is redirected to sign in and anything else answered 401.
func (m *Manager) Require(need auth.Scope) func(http.Handler) http.Handler {
	byToken := m.a.Require(need)
	return func(next http.Handler) http.Handler {
		tokenNext := byToken(noStore(next))
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if _, ok := auth.Credential(r); ok {
				tokenNext.ServeHTTP(w, r)
				return
			}
			p, err := m.fromCookie(r.Context(), r)
			switch {
			case errors.Is(err, auth.ErrUnauthenticated):
				if _, err := r.Cookie(CookieName); err == nil {
					m.clear(w, r, CookieName)
				}
				if browser(r) {
					http.Redirect(w, r, SignInPath+"?next="+url.QueryEscape(r.URL.RequestURI()), http.StatusSeeOther)
					return
				}
				w.Header().Set("WWW-Authenticate", `Bearer realm="customs"`)
				problem.Write(w, r, http.StatusUnauthorized, "sign in at "+SignInPath+" or give an API token: Authorization: Bearer TOKEN")
				return
			case err != nil:
				m.opts.Logger.Error("session", "err", err)
				problem.Write(w, r, http.StatusServiceUnavailable, "the token store cannot be read; try again")
				return
			case !p.Scope.Allows(need):
				problem.Write(w, r, http.StatusForbidden, "the token's scope is "+p.Scope.String()+"; this needs "+need.String())
				return
			}
			auditlog.From(r.Context()).SetPrincipal(p.ID, p.Name, p.Scope.String())
			noStore(next).ServeHTTP(w, r.WithContext(auth.WithPrincipal(r.Context(), p)))
		})
	}
}

// noStore keeps what a signed-in page shows out of caches.
func noStore(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "no-store")
		next.ServeHTTP(w, r)
	})
}

// Headers sets the security headers of a page on every response.
func Headers(next http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		h := w.Header()
		h.Set("Content-Security-Policy", CSP)
		h.Set("X-Content-Type-Options", "nosniff")
		h.Set("Referrer-Policy", "same-origin")
		h.Set("X-Frame-Options", "DENY")
		h.Set("Cross-Origin-Opener-Policy", "same-origin")
		next.ServeHTTP(w, r)
	})
}

// Handler returns the dashboard's pages behind sessions: it serves
// /signin and /signout, passes /static/ (style sheets and scripts, no
// data: the sign-in page needs them) to pages as is, and every other
// request through gate (Require and the rate limit). Every response
// carries the security headers.
func (m *Manager) Handler(pages http.Handler, gate func(http.Handler) http.Handler) http.Handler {
	mux := http.NewServeMux()
	mux.HandleFunc("GET "+SignInPath, m.signInForm)
	mux.HandleFunc("POST "+SignInPath, m.signIn)
	mux.HandleFunc("GET "+SignOutPath, m.signOutForm)
	mux.HandleFunc("POST "+SignOutPath, m.signOut)
	mux.Handle("/static/", pages)
	mux.Handle("/", gate(pages))
	return Headers(mux)
}

// LocalPath returns next when it is a path on this server (not
// "//host", no scheme, no backslash or control character: no open
// redirect), else "/".
func LocalPath(next string) string {
	if len(next) == 0 || next[0] != '/' || strings.HasPrefix(next, "//") || len(next) > 2048 {
		return "/"
	}
	for _, c := range []byte(next) {
		if c < 0x20 || c == 0x7f || c == '\\' {
			return "/"
		}
	}
	u, err := url.Parse(next)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" || !strings.HasPrefix(u.Path, "/") {
		return "/"
	}
	if u.Path == SignInPath || u.Path == SignOutPath {
		return "/"
	}
	return next
}
