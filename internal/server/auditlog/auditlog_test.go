package auditlog_test

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/customs-scanner/customs/internal/server/auditlog"
	"github.com/customs-scanner/customs/internal/server/auth"
	"github.com/customs-scanner/customs/internal/store/sqlite"
	"github.com/customs-scanner/customs/internal/store/sqlstore"
)

// syncBuffer is a buffer the server's goroutines write and the test reads.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// dump returns every row of every table of a SQLite store as text.
func dump(t *testing.T, st *sqlstore.Store) string {
	t.Helper()
	rows, err := st.DB().QueryContext(t.Context(), `SELECT name FROM sqlite_master WHERE type = 'table'`)
	if err != nil {
		t.Fatal(err)
	}
	var tables []string
	for rows.Next() {
		var n string
		rows.Scan(&n)
		tables = append(tables, n)
	}
	rows.Close()
	if len(tables) < 5 {
		t.Fatalf("tables %v: want the store's", tables)
	}
	var b strings.Builder
	for _, table := range tables {
		rows, err := st.DB().QueryContext(t.Context(), "SELECT * FROM "+table)
		if err != nil {
			t.Fatal(err)
		}
		cols, _ := rows.Columns()
		for rows.Next() {
			vals := make([]any, len(cols))
			ptrs := make([]any, len(cols))
			for i := range vals {
				ptrs[i] = &vals[i]
			}
			if err := rows.Scan(ptrs...); err != nil {
				t.Fatal(err)
			}
			fmt.Fprintf(&b, "%s: %s\n", table, fmt.Sprint(vals...))
		}
		rows.Close()
	}
	return b.String()
}

// TestAudit: a Harbor-style scan request carrying registry credentials and
// an API token is logged with who, what and how it ended, and neither the
// credentials nor the token are in the log or the store afterwards.
func TestAudit(t *testing.T) {
	st, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "store.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	tok, rec, err := auth.Generate("harbor", auth.Scan, time.Now())
	if err != nil {
		t.Fatal(err)
	}
	if err := st.CreateToken(t.Context(), rec); err != nil {
		t.Fatal(err)
	}
	var logs syncBuffer
	a := auth.New(st, auth.Options{})
	handler := a.Require(auth.Scan)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		var req struct {
			Registry struct{ URL, Authorization string }
			Artifact struct{ Repository, Digest string }
		}
		if err := json.NewDecoder(r.Body).Decode(&req); err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		auditlog.From(r.Context()).SetTarget(req.Registry.URL + "/" + req.Artifact.Repository + "@" + req.Artifact.Digest)
		w.WriteHeader(http.StatusAccepted)
		w.Write([]byte(`{"id":"1"}`))
	}))
	srv := httptest.NewServer(auditlog.New(&logs).Middleware(handler))
	t.Cleanup(srv.Close)

	const robot, secret = "robot$library+scanner", "Zq8-registry-password-7Hk"
	cred := base64.StdEncoding.EncodeToString([]byte(robot + ":" + secret))
	digest := "sha256:" + strings.Repeat("ab", 32)
	body := fmt.Sprintf(`{"registry":{"url":"https://robot:%s@harbor.example","authorization":"Basic %s"},"artifact":{"repository":"library/app","digest":"%s"}}`, secret, cred, digest)
	post := func(set func(*http.Request)) int {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodPost, srv.URL+"/api/v1/scan?token="+tok, strings.NewReader(body))
		req.Header.Set("Content-Type", "application/vnd.scanner.adapter.scan.request+json; version=1.1")
		set(req)
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := post(func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+tok) }); c != 202 {
		t.Fatalf("scan request: %d, want 202", c)
	}
	if c := post(func(r *http.Request) { r.Header.Set("Authorization", "Basic "+cred) }); c != 401 {
		t.Fatalf("scan request with the registry's credentials as the API's: %d, want 401", c)
	}

	lines := strings.Split(strings.TrimSpace(logs.String()), "\n")
	if len(lines) != 2 {
		t.Fatalf("%d audit lines, want 2:\n%s", len(lines), logs.String())
	}
	var first, second map[string]any
	if err := json.Unmarshal([]byte(lines[0]), &first); err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal([]byte(lines[1]), &second); err != nil {
		t.Fatal(err)
	}
	want := map[string]any{"tokenID": rec.ID, "tokenName": "harbor", "scope": "scan", "method": "POST", "path": "/api/v1/scan",
		"target": "https://harbor.example/library/app@" + digest, "status": float64(202), "remote": "127.0.0.1"}
	for k, v := range want {
		if first[k] != v {
			t.Errorf("audit %s = %v, want %v", k, first[k], v)
		}
	}
	if _, ok := first["durationMs"].(float64); !ok || first["msg"] != "request" {
		t.Errorf("audit line %s: want msg request and durationMs", lines[0])
	}
	if second["status"] != float64(401) || second["tokenID"] != "" {
		t.Errorf("refused request logged as %s: want status 401, no token", lines[1])
	}

	stored := dump(t, st)
	if !strings.Contains(stored, rec.ID) {
		t.Fatal("the dump does not hold the token's record: it dumps the wrong store")
	}
	for what, s := range map[string]string{"registry password": secret, "registry credential": cred, "robot account": robot, "API token": tok,
		"API token's secret": tok[len(tok)-43:]} {
		if strings.Contains(logs.String(), s) {
			t.Errorf("the audit log holds the %s", what)
		}
		if strings.Contains(stored, s) {
			t.Errorf("the store holds the %s", what)
		}
	}
}
