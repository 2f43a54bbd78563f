package session_test

import (
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/customs-scanner/customs/internal/server/auth"
	"github.com/customs-scanner/customs/internal/server/session"
	"github.com/customs-scanner/customs/internal/store"
	"github.com/customs-scanner/customs/internal/store/sqlite"
)

type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }
func (c *clock) add(d time.Duration) {
	c.mu.Lock()
	c.t = c.t.Add(d)
	c.mu.Unlock()
}

type fixture struct {
	srv    *httptest.Server
	st     store.Store
	clk    *clock
	tokens map[string]string
	ids    map[string]string
}

// newFixture serves a page "/secret" (and /static/style.css) behind a
// Manager over a real SQLite store holding a token of each scope.
func newFixture(t *testing.T, key []byte, tlsServer bool) *fixture {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	clk := &clock{t: time.Date(2026, 12, 6, 14, 0, 0, 0, time.UTC)}
	a := auth.New(st, auth.Options{Now: clk.now})
	f := &fixture{st: st, clk: clk, tokens: map[string]string{}, ids: map[string]string{}}
	for _, sc := range []auth.Scope{auth.Read, auth.Admin} {
		tok, rec, err := auth.Generate(sc.String()+"-person", sc, clk.now())
		if err != nil {
			t.Fatal(err)
		}
		if err := st.CreateToken(t.Context(), rec); err != nil {
			t.Fatal(err)
		}
		f.tokens[sc.String()], f.ids[sc.String()] = tok, rec.ID
	}
	m, err := session.New(a, session.Options{Key: key, Now: clk.now})
	if err != nil {
		t.Fatal(err)
	}
	pages := http.NewServeMux()
	pages.HandleFunc("GET /secret", func(w http.ResponseWriter, r *http.Request) {
		p, _ := auth.FromContext(r.Context())
		io.WriteString(w, "secret page for "+p.Name)
	})
	pages.HandleFunc("GET /static/style.css", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/css")
		io.WriteString(w, "body{color:#000}")
	})
	h := m.Handler(pages, m.Require(auth.Read))
	if tlsServer {
		f.srv = httptest.NewTLSServer(h)
	} else {
		f.srv = httptest.NewServer(h)
	}
	t.Cleanup(f.srv.Close)
	return f
}

// client is a browser-like client: a cookie jar, no redirects followed.
func (f *fixture) client(t *testing.T) *http.Client {
	jar, _ := cookiejar.New(nil)
	c := f.srv.Client()
	c.Jar = jar
	c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	return c
}

type response struct {
	code int
	h    http.Header
	body string
}

func do(t *testing.T, c *http.Client, method, u string, form url.Values, hdr map[string]string) response {
	t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, _ := http.NewRequestWithContext(t.Context(), method, u, body)
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for k, v := range hdr {
		req.Header.Set(k, v)
	}
	resp, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, _ := io.ReadAll(resp.Body)
	return response{resp.StatusCode, resp.Header, string(b)}
}

var (
	navigate  = map[string]string{"Accept": "text/html,application/xhtml+xml", "Sec-Fetch-Mode": "navigate", "Sec-Fetch-Site": "none"}
	sameOrig  = map[string]string{"Sec-Fetch-Site": "same-origin"}
	csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)
)

// signIn loads the sign-in form and posts tok with its CSRF token.
func (f *fixture) signIn(t *testing.T, c *http.Client, tok, next string) response {
	t.Helper()
	r := do(t, c, "GET", f.srv.URL+"/signin?next="+url.QueryEscape(next), nil, navigate)
	m := csrfInput.FindStringSubmatch(r.body)
	if r.code != 200 || m == nil {
		t.Fatalf("GET /signin: %d %s", r.code, r.body)
	}
	return do(t, c, "POST", f.srv.URL+"/signin", url.Values{"csrf": {m[1]}, "token": {tok}, "next": {next}}, sameOrig)
}

func TestSignIn(t *testing.T) {
	for _, tlsServer := range []bool{false, true} {
		t.Run(map[bool]string{false: "http", true: "https"}[tlsServer], func(t *testing.T) {
			f := newFixture(t, []byte("0123456789abcdef0123456789abcdef"), tlsServer)
			c := f.client(t)

			// A browser without a session is sent to sign in, with the page it wanted.
			r := do(t, c, "GET", f.srv.URL+"/secret?x=1", nil, navigate)
			if r.code != http.StatusSeeOther || r.h.Get("Location") != "/signin?next="+url.QueryEscape("/secret?x=1") {
				t.Fatalf("page without a session: %d Location %q", r.code, r.h.Get("Location"))
			}
			// A script gets a 401.
			r = do(t, c, "GET", f.srv.URL+"/secret", nil, nil)
			if r.code != 401 || !strings.HasPrefix(r.h.Get("WWW-Authenticate"), "Bearer") {
				t.Errorf("script without a token: %d %q", r.code, r.h.Get("WWW-Authenticate"))
			}
			// Static files need nothing.
			if r = do(t, c, "GET", f.srv.URL+"/static/style.css", nil, nil); r.code != 200 {
				t.Errorf("style sheet: %d", r.code)
			}

			// A wrong token is refused, the form shown again.
			r = f.signIn(t, c, f.tokens["read"][:len(f.tokens["read"])-2]+"xx", "/secret?x=1")
			if r.code != 401 || !strings.Contains(r.body, "not valid") || strings.Contains(r.body, f.tokens["read"][:30]) {
				t.Errorf("wrong token: %d %s", r.code, r.body)
			}
			r = f.signIn(t, c, f.tokens["read"], "/secret?x=1")
			if r.code != http.StatusSeeOther || r.h.Get("Location") != "/secret?x=1" {
				t.Fatalf("sign in: %d Location %q %s", r.code, r.h.Get("Location"), r.body)
			}
			var sess *http.Cookie
			for _, ck := range (&http.Response{Header: r.h}).Cookies() {
				if ck.Name == session.CookieName {
					sess = ck
				}
			}
			if sess == nil {
				t.Fatal("no session cookie")
			}
			if !sess.HttpOnly || sess.SameSite != http.SameSiteStrictMode || sess.Path != "/" || sess.Secure != tlsServer ||
				sess.MaxAge != int(session.DefaultMaxAge.Seconds()) || sess.Expires.IsZero() {
				t.Errorf("session cookie %+v: want HttpOnly, SameSite=Strict, Path=/, Secure=%v, an expiry", sess, tlsServer)
			}
			tok := f.tokens["read"]
			if strings.Contains(sess.Value, tok[len(tok)-43:]) || strings.Contains(sess.Value, auth.Hash(tok)) {
				t.Errorf("session cookie %q holds the token or its hash", sess.Value)
			}
			r = do(t, c, "GET", f.srv.URL+"/secret", nil, navigate)
			if r.code != 200 || r.body != "secret page for read-person" || r.h.Get("Cache-Control") != "no-store" {
				t.Errorf("page with a session: %d %q (Cache-Control %q)", r.code, r.body, r.h.Get("Cache-Control"))
			}
			for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "Referrer-Policy", "X-Frame-Options"} {
				if r.h.Get(h) == "" {
					t.Errorf("no %s", h)
				}
			}
			if got := r.h.Get("Content-Security-Policy"); !strings.Contains(got, "default-src 'none'") || !strings.Contains(got, "frame-ancestors 'none'") {
				t.Errorf("CSP %q", got)
			}

			// A tampered cookie (another token's ID, a changed expiry) is no session.
			for name, v := range map[string]string{
				"other ID":     strings.Replace(sess.Value, f.ids["read"], f.ids["admin"], 1),
				"later expiry": regexp.MustCompile(`\.(\d+)\.`).ReplaceAllString(sess.Value, ".9999999999."),
				"no MAC":       sess.Value[:strings.LastIndex(sess.Value, ".")],
				"garbage":      "v1.x.y.z.w",
			} {
				c2 := f.client(t)
				u, _ := url.Parse(f.srv.URL)
				c2.Jar.SetCookies(u, []*http.Cookie{{Name: session.CookieName, Value: v}})
				if r := do(t, c2, "GET", f.srv.URL+"/secret", nil, nil); r.code != 401 {
					t.Errorf("%s: %d, want 401", name, r.code)
				}
			}

			// Bearer works on a page without any cookie; a bad one is a 401 even for a browser.
			if r := do(t, f.srv.Client(), "GET", f.srv.URL+"/secret", nil, map[string]string{"Authorization": "Bearer " + f.tokens["admin"]}); r.code != 200 || r.body != "secret page for admin-person" {
				t.Errorf("bearer: %d %q", r.code, r.body)
			}
			bad := map[string]string{"Authorization": "Bearer nope", "Accept": "text/html"}
			if r := do(t, f.srv.Client(), "GET", f.srv.URL+"/secret", nil, bad); r.code != 401 {
				t.Errorf("bad bearer: %d", r.code)
			}

			// The session expires.
			f.clk.add(session.DefaultMaxAge)
			if r := do(t, c, "GET", f.srv.URL+"/secret", nil, navigate); r.code != http.StatusSeeOther {
				t.Errorf("expired session: %d, want a redirect to sign in", r.code)
			}
		})
	}
}

// TestRevokeEndsSession: a revoked token's session stops working once the
// token's record is read again.
func TestRevokeEndsSession(t *testing.T) {
	f := newFixture(t, nil, false)
	c := f.client(t)
	if r := f.signIn(t, c, f.tokens["read"], "/secret"); r.code != http.StatusSeeOther {
		t.Fatalf("sign in: %d", r.code)
	}
	if r := do(t, c, "GET", f.srv.URL+"/secret", nil, nil); r.code != 200 {
		t.Fatalf("page: %d", r.code)
	}
	if err := f.st.RevokeToken(t.Context(), f.ids["read"], f.clk.now()); err != nil {
		t.Fatal(err)
	}
	f.clk.add(auth.DefaultCacheTTL)
	if r := do(t, c, "GET", f.srv.URL+"/secret", nil, nil); r.code != 401 {
		t.Errorf("revoked token's session: %d, want 401", r.code)
	}
}

// TestSessionKey: sessions signed with one deployment key hold on another
// server with the same key and on no server with another key.
func TestSessionKey(t *testing.T) {
	key := []byte("0123456789abcdef0123456789abcdef")
	f := newFixture(t, key, false)
	c := f.client(t)
	if r := f.signIn(t, c, f.tokens["read"], "/"); r.code != http.StatusSeeOther {
		t.Fatalf("sign in: %d", r.code)
	}
	u, _ := url.Parse(f.srv.URL)
	var value string
	for _, ck := range c.Jar.Cookies(u) {
		if ck.Name == session.CookieName {
			value = ck.Value
		}
	}
	for _, other := range []struct {
		key  []byte
		want int
	}{{key, 200}, {[]byte("another key, another deployment!"), 401}} {
		st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "store.db"))
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		rec, _ := f.st.Token(t.Context(), f.ids["read"])
		st.CreateToken(t.Context(), rec)
		m, _ := session.New(auth.New(st, auth.Options{Now: f.clk.now}), session.Options{Key: other.key, Now: f.clk.now})
		h := m.Handler(http.NotFoundHandler(), m.Require(auth.Read))
		req := httptest.NewRequest("GET", "/secret", nil)
		req.AddCookie(&http.Cookie{Name: session.CookieName, Value: value})
		rr := httptest.NewRecorder()
		h.ServeHTTP(rr, req)
		if got := rr.Code; (other.want == 200) != (got == 404) {
			t.Errorf("key %q: %d, want the page (404 here) %v", other.key, got, other.want == 200)
		}
	}
}

func TestCSRF(t *testing.T) {
	f := newFixture(t, nil, false)
	c := f.client(t)
	r := do(t, c, "GET", f.srv.URL+"/signin", nil, navigate)
	m := csrfInput.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no CSRF field in %s", r.body)
	}
	for name, tt := range map[string]struct {
		form url.Values
		hdr  map[string]string
	}{
		"no CSRF token":         {url.Values{"token": {f.tokens["read"]}}, sameOrig},
		"a made-up CSRF token":  {url.Values{"token": {f.tokens["read"]}, "csrf": {strings.Repeat("A", 43)}}, sameOrig},
		"cross-site":            {url.Values{"token": {f.tokens["read"]}, "csrf": {m[1]}}, map[string]string{"Sec-Fetch-Site": "cross-site"}},
		"another Origin":        {url.Values{"token": {f.tokens["read"]}, "csrf": {m[1]}}, map[string]string{"Origin": "https://evil.example"}},
		"same-site, not origin": {url.Values{"token": {f.tokens["read"]}, "csrf": {m[1]}}, map[string]string{"Sec-Fetch-Site": "same-site"}},
	} {
		r := do(t, c, "POST", f.srv.URL+"/signin", tt.form, tt.hdr)
		if r.code != http.StatusForbidden || r.h.Get("Set-Cookie") != "" && strings.Contains(r.h.Get("Set-Cookie"), session.CookieName+"=v1") {
			t.Errorf("%s: %d, want 403 and no session", name, r.code)
		}
	}
	// A token from another browser's cookie does not do.
	other := f.client(t)
	do(t, other, "GET", f.srv.URL+"/signin", nil, navigate)
	r = do(t, other, "POST", f.srv.URL+"/signin", url.Values{"token": {f.tokens["read"]}, "csrf": {m[1]}}, sameOrig)
	if r.code != http.StatusForbidden {
		t.Errorf("another browser's CSRF token: %d, want 403", r.code)
	}

	// Sign out needs the CSRF token too.
	if r := f.signIn(t, c, f.tokens["read"], "/secret"); r.code != http.StatusSeeOther {
		t.Fatalf("sign in: %d", r.code)
	}
	if r := do(t, c, "POST", f.srv.URL+"/signout", url.Values{}, sameOrig); r.code != http.StatusForbidden {
		t.Errorf("sign out without a CSRF token: %d, want 403", r.code)
	}
	if r := do(t, c, "GET", f.srv.URL+"/secret", nil, nil); r.code != 200 {
		t.Errorf("after a refused sign out: %d, want 200", r.code)
	}
	r = do(t, c, "GET", f.srv.URL+"/signout", nil, navigate)
	m = csrfInput.FindStringSubmatch(r.body)
	if m == nil {
		t.Fatalf("no CSRF field in %s", r.body)
	}
	if r := do(t, c, "POST", f.srv.URL+"/signout", url.Values{"csrf": {m[1]}}, sameOrig); r.code != http.StatusSeeOther || r.h.Get("Location") != "/signin" {
		t.Errorf("sign out: %d %q", r.code, r.h.Get("Location"))
	}
	if r := do(t, c, "GET", f.srv.URL+"/secret", nil, nil); r.code != 401 {
		t.Errorf("after signing out: %d, want 401", r.code)
	}
}

func TestLocalPath(t *testing.T) {
	for in, want := range map[string]string{
		"/images/sha256:abc?x=1#f": "/images/sha256:abc?x=1#f",
		"/":                        "/",
		"":                         "/",
		"//evil.example/x":         "/",
		"/\\evil.example":          "/",
		"https://evil.example/":    "/",
		"javascript:alert(1)":      "/",
		"evil.example":             "/",
		"/ok\r\nSet-Cookie: x=1":   "/",
		"/%2F%2Fevil.example":      "/%2F%2Fevil.example",
		"/signin":                  "/",
		"/signout?x":               "/",
		"/\t/evil.example":         "/",
	} {
		if got := session.LocalPath(in); got != want {
			t.Errorf("LocalPath(%q) = %q, want %q", in, got, want)
		}
	}
}
