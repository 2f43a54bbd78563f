package auth_test

import (
	"context"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/customs-scanner/customs/internal/server/auth"
	"github.com/customs-scanner/customs/internal/server/problem"
	"github.com/customs-scanner/customs/internal/store"
	"github.com/customs-scanner/customs/internal/store/sqlite"
)

func openStore(t *testing.T) store.Store {
	t.Helper()
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return st
}

func create(t *testing.T, st store.Tokens, name string, scope auth.Scope, now time.Time) (string, store.Token) {
	t.Helper()
	tok, rec, err := auth.Generate(name, scope, now)
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateToken(t.Context(), rec); err != nil {
		t.Fatal(err)
	}
	return tok, rec
}

// clock is a settable clock.
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

func TestTokenForm(t *testing.T) {
	tok, rec, err := auth.Generate("ci", auth.Scan, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	id, ok := auth.ID(tok)
	if !ok || id != rec.ID || rec.Hash != auth.Hash(tok) || strings.Contains(rec.Hash, tok) || rec.Scope != "scan" {
		t.Errorf("token %q, record %+v: want its ID, hash and scope", tok, rec)
	}
	other, _, _ := auth.Generate("ci", auth.Scan, time.Now())
	if other == tok {
		t.Error("two tokens are equal")
	}
	for _, bad := range []string{"", "customs_", tok[:len(tok)-1], strings.Replace(tok, "customs_", "custom5_", 1), "customs_zzzzzzzzzzzzzzzz_" + tok[len(tok)-43:]} {
		if _, ok := auth.ID(bad); ok {
			t.Errorf("ID(%q) accepted", bad)
		}
	}
	for _, s := range []string{"read", "scan", "admin"} {
		sc, err := auth.ParseScope(s)
		if err != nil || sc.String() != s {
			t.Errorf("ParseScope(%s) = %v, %v", s, sc, err)
		}
	}
	if _, err := auth.ParseScope("root"); err == nil {
		t.Error("scope root accepted")
	}
	if !auth.Admin.Allows(auth.Scan) || !auth.Scan.Allows(auth.Read) || auth.Read.Allows(auth.Scan) || auth.Scan.Allows(auth.Admin) {
		t.Error("scopes are not ordered read < scan < admin")
	}
}

// TestRequire runs real HTTP over loopback: each credential form, each
// scope against each need, missing, forged and revoked tokens.
func TestRequire(t *testing.T) {
	st := openStore(t)
	clk := &clock{t: time.Date(2026, 12, 6, 7, 0, 0, 0, time.UTC)}
	a := auth.New(st, auth.Options{Now: clk.now})
	read, _ := create(t, st, "dashboard", auth.Read, clk.now())
	scan, scanRec := create(t, st, "ci", auth.Scan, clk.now())
	admin, _ := create(t, st, "ops", auth.Admin, clk.now())

	mux := http.NewServeMux()
	for _, need := range []auth.Scope{auth.Read, auth.Scan, auth.Admin} {
		mux.Handle("/"+need.String(), a.Require(need)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			p, _ := auth.FromContext(r.Context())
			io.WriteString(w, p.Name)
		})))
	}
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	do := func(path string, set func(*http.Request)) (int, string, *http.Response) {
		t.Helper()
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+path, nil)
		if set != nil {
			set(req)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer resp.Body.Close()
		b, _ := io.ReadAll(resp.Body)
		return resp.StatusCode, string(b), resp
	}
	bearer := func(tok string) func(*http.Request) {
		return func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }
	}
	for _, tt := range []struct {
		tok  string
		want map[string]int
	}{
		{read, map[string]int{"/read": 200, "/scan": 403, "/admin": 403}},
		{scan, map[string]int{"/read": 200, "/scan": 200, "/admin": 403}},
		{admin, map[string]int{"/read": 200, "/scan": 200, "/admin": 200}},
	} {
		for path, want := range tt.want {
			if got, body, _ := do(path, bearer(tt.tok)); got != want {
				t.Errorf("GET %s with a %s token: %d %s, want %d", path, path, got, body, want)
			}
		}
	}
	// Harbor's three ways of sending the scanner's credential.
	forms := map[string]func(*http.Request){
		"Basic":                    func(r *http.Request) { r.SetBasicAuth("harbor", scan) },
		"Basic, token as the user": func(r *http.Request) { r.SetBasicAuth(scan, "") },
		"X-ScannerAdapter-API-Key": func(r *http.Request) { r.Header.Set("X-ScannerAdapter-API-Key", scan) },
		"bearer in lower case":     func(r *http.Request) { r.Header.Set("Authorization", "bearer "+scan) },
	}
	for name, set := range forms {
		if got, body, _ := do("/scan", set); got != 200 || body != "ci" {
			t.Errorf("%s: %d %q, want 200 ci", name, got, body)
		}
	}
	forged := scan[:len(scan)-4] + "AAAA"
	if forged == scan {
		forged = scan[:len(scan)-4] + "BBBB"
	}
	for name, set := range map[string]func(*http.Request){
		"none":             nil,
		"forged secret":    bearer(forged),
		"unknown ID":       bearer("customs_0000000000000000_" + scan[len(scan)-43:]),
		"not a token":      bearer("hunter2"),
		"Basic, no token":  func(r *http.Request) { r.SetBasicAuth("harbor", "") },
		"unknown scheme":   func(r *http.Request) { r.Header.Set("Authorization", "Token "+scan) },
		"empty bearer":     bearer(""),
		"empty API key":    func(r *http.Request) { r.Header.Set("X-ScannerAdapter-API-Key", " ") },
		"token in a query": func(r *http.Request) { r.URL.RawQuery = "token=" + scan },
	} {
		code, body, resp := do("/read", set)
		var p problem.Details
		if code != 401 || resp.Header.Get("Content-Type") != problem.ContentType || json.Unmarshal([]byte(body), &p) != nil || p.Status != 401 ||
			!strings.HasPrefix(resp.Header.Get("WWW-Authenticate"), "Bearer") {
			t.Errorf("%s: %d %s %q (WWW-Authenticate %q), want 401 problem+json with WWW-Authenticate", name, code, resp.Header.Get("Content-Type"), body, resp.Header.Get("WWW-Authenticate"))
		}
	}

	// Last use: written on first use, then not again within UsedEvery.
	got, err := st.Token(t.Context(), scanRec.ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.LastUsed.Equal(clk.now()) {
		t.Errorf("last used %v, want %v", got.LastUsed, clk.now())
	}

	// Revocation takes effect once the cached record is older than the TTL.
	if err := st.RevokeToken(t.Context(), scanRec.ID, clk.now()); err != nil {
		t.Fatal(err)
	}
	clk.add(auth.DefaultCacheTTL)
	if code, _, _ := do("/read", bearer(scan)); code != 401 {
		t.Errorf("revoked token: %d, want 401", code)
	}
	if code, _, _ := do("/read", bearer(read)); code != 200 {
		t.Errorf("another token after a revocation: %d, want 200", code)
	}
	got, _ = st.Token(t.Context(), scanRec.ID)
	if got.LastUsed.Equal(clk.now()) {
		t.Error("the revoked token's use was recorded")
	}
}

// erring is a token store that cannot be read.
type erring struct{}

func (erring) Token(context.Context, string) (store.Token, error) {
	return store.Token{}, context.DeadlineExceeded
}
func (erring) TokenUsed(context.Context, string, time.Time) error { return nil }

func TestStoreDown(t *testing.T) {
	a := auth.New(erring{}, auth.Options{})
	tok, _, _ := auth.Generate("ci", auth.Scan, time.Now())
	h := a.Require(auth.Read)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	rec := httptest.NewRecorder()
	req := httptest.NewRequest(http.MethodGet, "/v1/db", nil)
	req.Header.Set("Authorization", "Bearer "+tok)
	h.ServeHTTP(rec, req)
	if rec.Code != http.StatusServiceUnavailable {
		t.Errorf("store down: %d, want 503", rec.Code)
	}
}
