package harbor

import (
	"encoding/base64"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/customs-scanner/customs/internal/image"
	"github.com/customs-scanner/customs/internal/scan"
	"github.com/customs-scanner/customs/internal/server/auth"
	"github.com/customs-scanner/customs/internal/server/guard"
	"github.com/customs-scanner/customs/internal/service"
	"github.com/customs-scanner/customs/internal/service/servicetest"
	"github.com/customs-scanner/customs/internal/store"
	"github.com/customs-scanner/customs/internal/store/backend"
)

// served is the adapter as customs serve runs it: the service with a
// worker on a SQLite store, the handler behind the API tokens and the
// SSRF guard, which allow-lists the test registry.
type served struct {
	url   string
	token string // an API token of scope scan
	svc   *service.Service
}

func serve(t *testing.T, registryHost string) served {
	t.Helper()
	ctx := t.Context()
	dir := t.TempDir()
	dsn := "sqlite:" + filepath.Join(dir, "store.db")
	st, err := backend.Open(ctx, dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	g, err := guard.New(guard.Options{Allow: []string{registryHost}})
	if err != nil {
		t.Fatal(err)
	}
	svc := servicetest.Start(t, service.Config{DSN: dsn, Store: st, Workers: 1, Version: "test", Key: servicetest.Key(), MaxAttempts: 1, CheckTarget: g.CheckTarget,
		Scan: scan.Options{DBPath: bookwormDB(t), CacheDir: filepath.Join(dir, "layers"), Image: image.Options{Transport: g.Transport()}}})
	tokens, ok := st.(store.Tokens)
	if !ok {
		t.Fatal("the SQLite store keeps no API tokens")
	}
	token, rec, err := auth.Generate("harbor", auth.Scan, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := tokens.CreateToken(ctx, rec); err != nil {
		t.Fatal(err)
	}
	mux := http.NewServeMux()
	h := NewHandler(svc, Options{Version: "test"})
	mux.Handle(Prefix+"/", auth.New(tokens, auth.Options{}).RequireFunc(auth.Scan, Fail)(h))
	srv := httptest.NewServer(mux)
	t.Cleanup(srv.Close)
	return served{url: srv.URL, token: token, svc: svc}
}

// TestConformance plays Harbor against the adapter served as customs
// serve serves it: the real service (River on SQLite, a worker running
// scan.Run) scanning the bookworm test image from go-containerregistry's
// registry behind Basic auth, every request and response checked against
// the spec's OpenAPI document.
func TestConformance(t *testing.T) {
	if testing.Short() {
		t.Skip("scans an image through the service; -short skips it")
	}
	reg := authRegistry(t)
	p := pushBookworm(t, reg)
	u, err := url.Parse(reg.URL)
	if err != nil {
		t.Fatal(err)
	}
	s := serve(t, u.Host)
	info, err := s.svc.DB(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	// Harbor's registration with auth "Basic" and the credential
	// "harbor:TOKEN".
	c := newHarborClient(t, s.url, http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("harbor:"+s.token))}})
	conformance(t, c, p, pushBroken(t, reg, p), info.Built)
}

// TestAuth checks the three ways Harbor's registration sends the token,
// and that a request without one is refused in the spec's error format
// (the spec lists no 401; its security schemes are Basic and Bearer).
func TestAuth(t *testing.T) {
	reg := authRegistry(t)
	u, err := url.Parse(reg.URL)
	if err != nil {
		t.Fatal(err)
	}
	s := serve(t, u.Host)
	for _, tc := range []struct {
		name   string
		header http.Header
		status int
	}{
		{"Basic", http.Header{"Authorization": {"Basic " + base64.StdEncoding.EncodeToString([]byte("harbor:"+s.token))}}, http.StatusOK},
		{"Bearer", http.Header{"Authorization": {"Bearer " + s.token}}, http.StatusOK},
		{"X-ScannerAdapter-API-Key", http.Header{"X-Scanneradapter-Api-Key": {s.token}}, http.StatusOK},
		{"none", http.Header{}, http.StatusUnauthorized},
		{"wrong token", http.Header{"Authorization": {"Bearer " + s.token + "x"}}, http.StatusUnauthorized},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, err := http.NewRequestWithContext(t.Context(), "GET", s.url+Prefix+"/metadata", nil)
			if err != nil {
				t.Fatal(err)
			}
			req.Header = tc.header
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			resp.Body.Close()
			if resp.StatusCode != tc.status {
				t.Errorf("status %d, want %d", resp.StatusCode, tc.status)
			}
			if tc.status != http.StatusOK && !strings.HasPrefix(resp.Header.Get("Content-Type"), "application/vnd.scanner.adapter.error+json") {
				t.Errorf("Content-Type %q, want the spec's error type", resp.Header.Get("Content-Type"))
			}
		})
	}
}
