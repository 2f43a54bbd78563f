package server_test

import (
	"context"
	"errors"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/customs-scanner/customs/internal/server"
	"github.com/customs-scanner/customs/internal/server/auth"
	"github.com/customs-scanner/customs/internal/server/limit"
	"github.com/customs-scanner/customs/internal/service"
	"github.com/customs-scanner/customs/internal/service/servicetest"
	"github.com/customs-scanner/customs/internal/store"
)

// securedContract is the API behind tokens, the body limit and a rate
// limit of burst requests per token and scope, as customs serve wires
// them (internal/cli/servesec.go), with tokens of each scope.
func securedContract(t *testing.T, burst int, check func(context.Context, store.Subscription) error) (*contract, store.Store, map[string]string) {
	t.Helper()
	e := servicetest.SQLite(t)
	tokens := map[string]string{}
	for _, sc := range []auth.Scope{auth.Read, auth.Scan, auth.Admin} {
		tok, rec, err := auth.Generate(sc.String(), sc, time.Now())
		if err != nil {
			t.Fatal(err)
		}
		if err := e.Store.CreateToken(t.Context(), rec); err != nil {
			t.Fatal(err)
		}
		tokens[sc.String()] = tok
	}
	a := auth.New(e.Store, auth.Options{})
	rl := limit.NewRate(0.001, burst, nil)
	require := func(scope string) func(http.Handler) http.Handler {
		sc, _ := auth.ParseScope(scope)
		rate := rl.Middleware(func(r *http.Request) string {
			p, _ := auth.FromContext(r.Context())
			return p.ID + "/" + scope
		})
		return func(h http.Handler) http.Handler { return a.Require(sc)(rate(h)) }
	}
	srv := server.New(nil, server.Options{Require: require, Middleware: []func(http.Handler) http.Handler{limit.Body(server.MaxBody)},
		CheckWebhook: check})
	svc := servicetest.Start(t, service.Config{DSN: e.DSN, Store: e.Store, Workers: 0, Version: "test", Metrics: srv.Registry(), Scan: e.Scan})
	srv.SetService(svc)
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return newContract(t, hs.URL), e.Store, tokens
}

// TestSubscriptions manages webhooks through /v1/subscriptions with an
// admin token, every answer held against openapi.json: the secret is
// stored but never answered; a URL the guard refuses, a short secret and
// a duplicate URL are refused; other scopes get 403.
func TestSubscriptions(t *testing.T) {
	refuse := func(_ context.Context, s store.Subscription) error {
		if strings.Contains(s.URL, "169.254.169.254") {
			return errors.New("url: 169.254.169.254 is a cloud metadata service")
		}
		return nil
	}
	c, st, tok := securedContract(t, 1000, refuse)
	admin := []string{"Authorization", "Bearer " + tok["admin"]}
	const secret = "a-secret-of-24-characters"
	code, b, h := c.do("POST", "/v1/subscriptions", map[string]any{"url": "https://chat.example/hooks/customs?key=1", "secret": secret,
		"minSeverity": "HIGH", "kevOnly": true, "refs": []string{"registry.example/shop/*"}}, admin...)
	if code != http.StatusCreated || strings.Contains(string(b), secret) || !strings.HasPrefix(h.Get("Location"), "/v1/subscriptions/sub_") {
		t.Fatalf("POST = %d %s, Location %q; want 201 without the secret", code, b, h.Get("Location"))
	}
	sub := decode[struct {
		ID, URL     string
		MinSeverity string
		KEVOnly     bool
	}](t, b)
	stored, err := st.Subscription(t.Context(), sub.ID)
	if err != nil || stored.Secret != secret || stored.MinSeverity != "HIGH" || !stored.KEVOnly {
		t.Errorf("stored %+v %v", stored, err)
	}
	for _, tt := range []struct {
		method, path string
		body         any
		want         int
	}{
		{"GET", "/v1/subscriptions", nil, 200},
		{"GET", "/v1/subscriptions/" + sub.ID, nil, 200},
		{"GET", "/v1/subscriptions/sub_0000000000000000", nil, 404},
		{"POST", "/v1/subscriptions", map[string]any{"url": "https://chat.example/hooks/customs?key=1", "secret": secret}, 409},
		{"POST", "/v1/subscriptions", map[string]any{"url": "http://169.254.169.254/latest", "secret": secret}, 422},
		{"POST", "/v1/subscriptions", map[string]any{"url": "https://pager.example/in", "secret": "short"}, 422},
		{"POST", "/v1/subscriptions", map[string]any{"url": "https://pager.example/in"}, 422},
		{"POST", "/v1/subscriptions", map[string]any{"url": "ftp://pager.example/in", "secret": secret}, 422},
		{"POST", "/v1/subscriptions", map[string]any{"url": "https://user:pw@pager.example/in", "secret": secret}, 422},
		{"POST", "/v1/subscriptions", map[string]any{"url": "https://pager.example/in", "secret": secret, "colour": "red"}, 400},
		// No secret on update keeps the stored one.
		{"PUT", "/v1/subscriptions/" + sub.ID, map[string]any{"url": "https://chat.example/hooks/v2", "fixableOnly": true}, 200},
		{"PUT", "/v1/subscriptions/sub_0000000000000000", map[string]any{"url": "https://x.example/"}, 404},
	} {
		code, b, h := c.do(tt.method, tt.path, tt.body, admin...)
		if code != tt.want || strings.Contains(string(b), secret) {
			t.Errorf("%s %s = %d %s; want %d without the secret", tt.method, tt.path, code, b, tt.want)
		}
		if code >= 400 && h.Get("Content-Type") != "application/problem+json" {
			t.Errorf("%s %s = %d as %q; want application/problem+json", tt.method, tt.path, code, h.Get("Content-Type"))
		}
	}
	if s, err := st.Subscription(t.Context(), sub.ID); err != nil || s.Secret != secret || s.URL != "https://chat.example/hooks/v2" || !s.FixableOnly || s.KEVOnly {
		t.Errorf("after PUT: %+v %v", s, err)
	}
	for _, scope := range []string{"read", "scan"} {
		if code, b, _ := c.do("GET", "/v1/subscriptions", nil, "Authorization", "Bearer "+tok[scope]); code != http.StatusForbidden {
			t.Errorf("GET /v1/subscriptions with a %s token = %d %s; want 403", scope, code, b)
		}
	}
	if code, b, _ := c.do("DELETE", "/v1/subscriptions/"+sub.ID, nil, admin...); code != http.StatusNoContent {
		t.Errorf("DELETE = %d %s", code, b)
	}
	if code, _, _ := c.do("DELETE", "/v1/subscriptions/"+sub.ID, nil, admin...); code != http.StatusNotFound {
		t.Errorf("DELETE twice = %d; want 404", code)
	}
}

// TestSecurityResponses holds the answers of the security middleware
// against openapi.json on every operation it documents them for: 401
// without a token, 403 for a lower scope, 413 for a body over the limit,
// 429 past the rate limit.
func TestSecurityResponses(t *testing.T) {
	c, _, tok := securedContract(t, 3, nil)
	big := map[string]any{"target": strings.Repeat("a", server.MaxBody+1)}
	ops := []struct {
		method, path string
		need         string
		body         any
	}{
		{"POST", "/v1/scans", "scan", map[string]any{"target": "registry.example/app:1"}},
		{"GET", "/v1/scans/1", "read", nil},
		{"GET", "/v1/images/sha256:00", "read", nil},
		{"GET", "/v1/images/sha256:00/report", "read", nil},
		{"GET", "/v1/vulnerabilities/CVE-2024-1/exposure", "read", nil},
		{"GET", "/v1/packages/musl/spread", "read", nil},
		{"GET", "/v1/db", "read", nil},
		{"GET", "/v1/openapi.json", "read", nil},
		{"GET", "/v1/subscriptions", "admin", nil},
		{"POST", "/v1/subscriptions", "admin", map[string]any{"url": "https://x.example/"}},
		{"GET", "/v1/subscriptions/sub_00", "admin", nil},
		{"PUT", "/v1/subscriptions/sub_00", "admin", map[string]any{"url": "https://x.example/"}},
		{"DELETE", "/v1/subscriptions/sub_00", "admin", nil},
	}
	lower := map[string]string{"scan": "read", "admin": "scan"}
	for _, op := range ops {
		if code, b, h := c.do(op.method, op.path, op.body); code != 401 || h.Get("WWW-Authenticate") == "" {
			t.Errorf("%s %s without a token = %d %s", op.method, op.path, code, b)
		}
		if l, ok := lower[op.need]; ok {
			if code, b, _ := c.do(op.method, op.path, op.body, "Authorization", "Bearer "+tok[l]); code != 403 {
				t.Errorf("%s %s with a %s token = %d %s; want 403", op.method, op.path, l, code, b)
			}
		}
		if op.body != nil {
			if code, b, _ := c.do(op.method, op.path, big, "Authorization", "Bearer "+tok["admin"]); code != 413 {
				t.Errorf("%s %s with a 1 MiB body = %d %.200s; want 413", op.method, op.path, code, b)
			}
		}
	}
	// Past its buckets (3 requests each, refilled in 1000 s), the admin
	// token gets 429 with Retry-After, for reads, scans and admin alike.
	for _, op := range ops {
		code, b, h := 0, []byte(nil), http.Header(nil)
		for range 4 {
			if code, b, h = c.do(op.method, op.path, op.body, "Authorization", "Bearer "+tok["admin"]); code == 429 {
				break
			}
		}
		if code != 429 || h.Get("Retry-After") == "" {
			t.Errorf("%s %s past the admin token's %s bucket = %d %s, Retry-After %q; want 429", op.method, op.path, op.need, code, b, h.Get("Retry-After"))
		}
	}
}
