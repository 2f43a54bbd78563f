package cli

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/customs-scanner/customs/internal/server/auth"
	"github.com/customs-scanner/customs/internal/store/backend"
)

// TestToken creates tokens, lists them, checks one against the store as
// the server does, and revokes them by ID and by the whole token.
func TestToken(t *testing.T) {
	eachStore(t, func(t *testing.T, dsn string) {
		r := run(t, "token", "create", "--scope", "scan", "--name", "ci", "--store", dsn)
		tok := strings.TrimSpace(r.stdout)
		id, ok := auth.ID(tok)
		if r.code != 0 || !ok || strings.Count(r.stdout, "\n") != 1 || !strings.Contains(r.stderr, "created token "+id+" (ci, scope scan)") {
			t.Fatalf("token create: exit %d, stdout %q, stderr %q; want the token alone on stdout", r.code, r.stdout, r.stderr)
		}
		r2 := run(t, "token", "create", "--scope", "read", "--store", dsn)
		tok2 := strings.TrimSpace(r2.stdout)
		id2, _ := auth.ID(tok2)
		if r2.code != 0 || tok2 == tok {
			t.Fatalf("second token create: exit %d, %q", r2.code, r2.stderr)
		}
		if r := run(t, "token", "create", "--scope", "root", "--store", dsn); r.code == 0 || !strings.Contains(r.stderr, "read, scan or admin") {
			t.Errorf("--scope root: exit %d, stderr %q", r.code, r.stderr)
		}
		if r := run(t, "token", "create", "--store", dsn); r.code == 0 || !strings.Contains(r.stderr, "scope") {
			t.Errorf("no --scope: exit %d, stderr %q", r.code, r.stderr)
		}

		// The server's check accepts the printed token.
		st, err := backend.Open(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		p, err := auth.New(st, auth.Options{}).Verify(t.Context(), tok)
		st.Close()
		if err != nil || p.Name != "ci" || p.Scope != auth.Scan {
			t.Errorf("Verify: %+v, %v; want ci with scope scan", p, err)
		}

		list := run(t, "token", "list", "--store", dsn)
		if list.code != 0 || !strings.Contains(list.stdout, id) || !strings.Contains(list.stdout, id2) || strings.Contains(list.stdout, tok) {
			t.Errorf("token list: exit %d\n%s", list.code, list.stdout)
		}
		js := run(t, "token", "list", "-o", "json", "--store", dsn)
		var doc struct {
			Tokens []map[string]any `json:"tokens"`
		}
		if err := json.Unmarshal([]byte(js.stdout), &doc); err != nil || len(doc.Tokens) != 2 || doc.Tokens[0]["id"] != id ||
			doc.Tokens[0]["lastUsed"] == nil || doc.Tokens[1]["lastUsed"] != nil || strings.Contains(js.stdout, tok[len(tok)-43:]) || strings.Contains(js.stdout, auth.Hash(tok)) {
			t.Errorf("token list -o json (%v):\n%s", err, js.stdout)
		}

		if r := run(t, "token", "revoke", id, tok2, "--store", dsn); r.code != 0 || !strings.Contains(r.stdout, "revoked token "+id) || !strings.Contains(r.stdout, "revoked token "+id2) {
			t.Errorf("token revoke: exit %d, stdout %q, stderr %q", r.code, r.stdout, r.stderr)
		}
		if r := run(t, "token", "revoke", "0000000000000000", "--store", dsn); r.code == 0 || !strings.Contains(r.stderr, "no such token") {
			t.Errorf("revoking an unknown token: exit %d, stderr %q", r.code, r.stderr)
		}
		st, err = backend.Open(t.Context(), dsn)
		if err != nil {
			t.Fatal(err)
		}
		defer st.Close()
		if _, err := auth.New(st, auth.Options{}).Verify(t.Context(), tok); err == nil {
			t.Error("a revoked token is accepted")
		}
	})
}
