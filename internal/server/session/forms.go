package session

import (
	"bytes"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	_ "embed"
	"errors"
	"html/template"
	"net/http"
	"strings"

	"github.com/customs-scanner/customs/internal/server/auditlog"
	"github.com/customs-scanner/customs/internal/server/auth"
)

//go:embed pages.html
var pagesHTML string

var pages = template.Must(template.New("pages").Parse(pagesHTML))

// page is what the sign-in and sign-out pages show.
type page struct {
	Title, Error, CSRF, Next string
}

// set sets a cookie of the dashboard: the whole site, HttpOnly,
// SameSite=Strict, Secure over TLS; maxAge < 0 deletes it, 0 makes it
// last as long as the browser.
func (m *Manager) set(w http.ResponseWriter, r *http.Request, name, value string, maxAge int) {
	c := &http.Cookie{Name: name, Value: value, Path: "/", MaxAge: maxAge, HttpOnly: true, Secure: r.TLS != nil, SameSite: http.SameSiteStrictMode}
	if maxAge > 0 {
		c.Expires = m.opts.Now().Add(m.opts.MaxAge).UTC()
	}
	http.SetCookie(w, c)
}

func (m *Manager) clear(w http.ResponseWriter, r *http.Request, name string) {
	m.set(w, r, name, "", -1)
}

// csrfValue returns the request's CSRF cookie value, setting a new one
// when it has none (or renew is set).
func (m *Manager) csrfValue(w http.ResponseWriter, r *http.Request, renew bool) string {
	if c, err := r.Cookie(CSRFCookie); err == nil && !renew {
		if b, err := b64.DecodeString(c.Value); err == nil && len(b) == 32 {
			return c.Value
		}
	}
	b := make([]byte, 32)
	rand.Read(b)
	v := b64.EncodeToString(b)
	m.set(w, r, CSRFCookie, v, 0)
	return v
}

// FormToken returns the CSRF token a form that changes state carries in
// its hidden field CSRFField, setting the CSRF cookie it is signed over
// when the request has none. Call it before writing the response.
func (m *Manager) FormToken(w http.ResponseWriter, r *http.Request) string {
	return b64.EncodeToString(m.mac("csrf", []byte(m.csrfValue(w, r, false))))
}

// Errors of CheckForm.
var (
	ErrCrossOrigin = errors.New("a form from another site")
	ErrCSRF        = errors.New("the form's CSRF token does not match its cookie")
)

// CheckForm refuses a state-changing request that the browser says comes
// from another origin (Sec-Fetch-Site, else Origin against Host) or
// whose form's CSRF token is not the one signed over its CSRF cookie.
func (m *Manager) CheckForm(r *http.Request) error {
	if err := m.cop.Check(r); err != nil {
		return ErrCrossOrigin
	}
	c, err := r.Cookie(CSRFCookie)
	if err != nil {
		return ErrCSRF
	}
	got, err := b64.DecodeString(r.PostFormValue(CSRFField))
	if err != nil || !hmac.Equal(got, m.mac("csrf", []byte(c.Value))) {
		return ErrCSRF
	}
	return nil
}

func (m *Manager) render(w http.ResponseWriter, status int, name string, p page) {
	var b bytes.Buffer
	if err := pages.ExecuteTemplate(&b, name, p); err != nil {
		m.opts.Logger.Error("render", "page", name, "err", err)
		http.Error(w, "internal error", http.StatusInternalServerError)
		return
	}
	w.Header().Set("Content-Type", "text/html; charset=utf-8")
	w.Header().Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	w.Write(b.Bytes())
}

func (m *Manager) signInForm(w http.ResponseWriter, r *http.Request) {
	m.render(w, http.StatusOK, "signin", page{Title: "Sign in", CSRF: m.FormToken(w, r), Next: LocalPath(r.URL.Query().Get("next"))})
}

// signIn checks the form and the token, and on a good token sets the
// session cookie and sends the browser where it was going.
func (m *Manager) signIn(w http.ResponseWriter, r *http.Request) {
	next := LocalPath(r.PostFormValue("next"))
	if err := m.CheckForm(r); err != nil {
		m.refused(w, r, "signin", "Sign in", next, err)
		return
	}
	tok := strings.TrimSpace(r.PostFormValue(TokenField))
	p, err := m.a.Verify(r.Context(), tok)
	switch {
	case errors.Is(err, auth.ErrUnauthenticated) || err == nil && !p.Scope.Allows(auth.Read):
		m.render(w, http.StatusUnauthorized, "signin", page{Title: "Sign in", Error: "That token is not valid: it may be mistyped, revoked or unknown to this server.",
			CSRF: m.FormToken(w, r), Next: next})
		return
	case err != nil:
		m.opts.Logger.Error("sign in", "err", err)
		m.render(w, http.StatusServiceUnavailable, "signin", page{Title: "Sign in", Error: "The token store cannot be read; try again.", CSRF: m.FormToken(w, r), Next: next})
		return
	}
	auditlog.From(r.Context()).SetPrincipal(p.ID, p.Name, p.Scope.String())
	hash := sha256.Sum256([]byte(tok))
	m.set(w, r, CookieName, m.sessionValue(p.ID, hash[:], m.opts.Now().Add(m.opts.MaxAge)), int(m.opts.MaxAge.Seconds()))
	m.csrfValue(w, r, true) // a new CSRF value for the signed-in browser
	http.Redirect(w, r, next, http.StatusSeeOther)
}

// refused answers a form that failed CheckForm: a cross-origin post is
// refused outright; a stale or missing CSRF token gets the form again.
func (m *Manager) refused(w http.ResponseWriter, r *http.Request, name, title, next string, err error) {
	if errors.Is(err, ErrCrossOrigin) {
		http.Error(w, "refused: "+err.Error(), http.StatusForbidden)
		return
	}
	m.render(w, http.StatusForbidden, name, page{Title: title, Error: "The form had expired; please send it again.", CSRF: m.FormToken(w, r), Next: next})
}

func (m *Manager) signOutForm(w http.ResponseWriter, r *http.Request) {
	m.render(w, http.StatusOK, "signout", page{Title: "Sign out", CSRF: m.FormToken(w, r)})
}

// signOut deletes the session cookie. The session's value stays valid
// until it expires (nothing is kept on the server); revoking the token
// ends every session made with it.
func (m *Manager) signOut(w http.ResponseWriter, r *http.Request) {
	if err := m.CheckForm(r); err != nil {
		m.refused(w, r, "signout", "Sign out", "", err)
		return
	}
	m.clear(w, r, CookieName)
	m.csrfValue(w, r, true)
	http.Redirect(w, r, SignInPath, http.StatusSeeOther)
}
