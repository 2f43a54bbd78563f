package notify

import (
	"context"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"github.com/customs-scanner/customs/internal/store"
)

// RFC 4231, test case 2.
func TestSign(t *testing.T) {
	got := Sign([]byte("what do ya want for nothing?"), "Jefe")
	if want := "sha256=5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843"; got != want {
		t.Errorf("Sign = %s, want %s", got, want)
	}
}

func TestFilter(t *testing.T) {
	s := store.Subject{Kind: store.KindImage, Digest: "sha256:ab", Name: "registry.test/shop/app:1.0"}
	c := store.Change{
		Added:    []store.Finding{{VulnerabilityID: "A", Severity: "LOW", FixedVersion: "2"}, {VulnerabilityID: "B", Severity: "CRITICAL"}},
		Resolved: []store.Finding{{VulnerabilityID: "C", Severity: "HIGH", KEV: true, FixedVersion: "3"}},
	}
	for _, tt := range []struct {
		name      string
		w         Webhook
		added     int
		resolved  int
		delivered bool
	}{
		{"all", Webhook{}, 2, 1, true},
		{"min high", Webhook{MinSeverity: "high"}, 1, 1, true},
		{"kev", Webhook{KEVOnly: true}, 0, 1, true},
		{"fixable", Webhook{FixableOnly: true}, 1, 1, true},
		{"refs match", Webhook{Refs: []string{"registry.test/shop/*"}}, 2, 1, true},
		{"refs miss", Webhook{Refs: []string{"registry.test/other/*"}}, 0, 0, false},
		{"kev and critical", Webhook{KEVOnly: true, MinSeverity: "CRITICAL"}, 0, 0, false},
	} {
		got, ok := tt.w.Filter(s, c)
		if ok != tt.delivered || len(got.Added) != tt.added || len(got.Resolved) != tt.resolved {
			t.Errorf("%s: %d added, %d resolved, sent %t; want %d, %d, %t", tt.name, len(got.Added), len(got.Resolved), ok, tt.added, tt.resolved, tt.delivered)
		}
	}
	if err := (Webhook{URL: "ftp://x", Secret: "k"}).Check(); err == nil {
		t.Error("an ftp URL was accepted")
	}
	if err := (Webhook{URL: "https://x", Secret: "k", MinSeverity: "severe"}).Check(); err == nil {
		t.Error("an unknown minSeverity was accepted")
	}
	if err := (Webhook{URL: "https://x"}).Check(); err == nil {
		t.Error("a webhook without a secret was accepted")
	}
}

func TestBackoff(t *testing.T) {
	for n, want := range map[int]time.Duration{1: 30 * time.Second, 2: time.Minute, 3: 2 * time.Minute, 8: time.Hour, 30: time.Hour} {
		if got := Backoff(n); got != want {
			t.Errorf("Backoff(%d) = %s, want %s", n, got, want)
		}
	}
}

// A webhook redirecting to another host is not followed; one redirecting
// on its own host is.
func TestPostRedirects(t *testing.T) {
	other := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		t.Error("the redirect to another host was followed")
	}))
	defer other.Close()
	var hits int
	hook := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/away":
			http.Redirect(w, r, other.URL+"/x", http.StatusTemporaryRedirect)
		case "/here":
			http.Redirect(w, r, "/ok", http.StatusTemporaryRedirect)
		case "/ok":
			hits++
			w.Write([]byte(strings.Repeat("x", 4*MaxResponse)))
		}
	}))
	defer hook.Close()
	c := Client()
	if err := Post(context.Background(), c, hook.URL+"/away", "k", []byte("{}")); err == nil || !strings.Contains(err.Error(), "another host") {
		t.Errorf("redirect away: %v", err)
	}
	if err := Post(context.Background(), c, hook.URL+"/here", "k", []byte("{}")); err != nil || hits != 1 {
		t.Errorf("redirect on the same host: %v, %d hits", err, hits)
	}
}
