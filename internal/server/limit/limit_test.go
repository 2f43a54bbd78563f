package limit_test

import (
	"encoding/json"
	"errors"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/customs-scanner/customs/internal/server/limit"
	"github.com/customs-scanner/customs/internal/server/problem"
)

func TestRate(t *testing.T) {
	now := time.Date(2026, 12, 6, 7, 0, 0, 0, time.UTC)
	l := limit.NewRate(2, 3, func() time.Time { return now })
	for i := range 3 {
		if ok, _ := l.Allow("ci"); !ok {
			t.Fatalf("request %d of the burst refused", i+1)
		}
	}
	ok, wait := l.Allow("ci")
	if ok || wait != 500*time.Millisecond {
		t.Errorf("past the burst: %v, wait %v; want refused, 500ms", ok, wait)
	}
	if ok, _ := l.Allow("harbor"); !ok {
		t.Error("another key was limited by ci's requests")
	}
	now = now.Add(500 * time.Millisecond)
	if ok, _ := l.Allow("ci"); !ok {
		t.Error("refused after the wait it named")
	}
	if ok, _ := l.Allow("ci"); ok {
		t.Error("a second request allowed after half a second at 2/s")
	}
	now = now.Add(time.Hour)
	for i := range 3 {
		if ok, _ := l.Allow("ci"); !ok {
			t.Fatalf("after an hour, request %d refused: the bucket holds no more than the burst", i+1)
		}
	}
	if ok, _ := l.Allow("ci"); ok {
		t.Error("the bucket filled past its burst")
	}
}

// TestRateMiddleware: real HTTP; a key's burst passes, the next request is
// 429 with Retry-After and a problem+json body; concurrent requests never
// pass more than the burst.
func TestRateMiddleware(t *testing.T) {
	l := limit.NewRate(0.5, 20, nil)
	h := l.Middleware(func(r *http.Request) string { return r.Header.Get("X-Key") })(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {}))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	get := func(key string) *http.Response {
		req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL+"/v1/scans/x", nil)
		if key != "" {
			req.Header.Set("X-Key", key)
		}
		resp, err := srv.Client().Do(req)
		if err != nil {
			t.Error(err)
			return nil
		}
		return resp
	}
	var mu sync.Mutex
	codes := map[int]int{}
	var wg sync.WaitGroup
	for range 50 {
		wg.Go(func() {
			resp := get("ci")
			if resp == nil {
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			mu.Lock()
			codes[resp.StatusCode]++
			mu.Unlock()
		})
	}
	wg.Wait()
	if codes[200] != 20 || codes[429] != 30 {
		t.Errorf("50 concurrent requests, burst 20: %v, want 20 OK and 30 429", codes)
	}
	resp := get("ci")
	defer resp.Body.Close()
	var p problem.Details
	if resp.StatusCode != 429 || resp.Header.Get("Retry-After") != "2" || resp.Header.Get("Content-Type") != problem.ContentType ||
		json.NewDecoder(resp.Body).Decode(&p) != nil || p.Status != 429 || p.Instance != "/v1/scans/x" {
		t.Errorf("over the limit: %d, Retry-After %q, %s %+v; want 429, 2 s, problem+json", resp.StatusCode, resp.Header.Get("Retry-After"), resp.Header.Get("Content-Type"), p)
	}
	if r := get(""); r.StatusCode != 200 {
		t.Errorf("a request without a key: %d, want 200 (not limited)", r.StatusCode)
	}
}

func TestBody(t *testing.T) {
	h := limit.Body(16)(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		var mb *http.MaxBytesError
		if errors.As(err, &mb) {
			problem.Write(w, r, http.StatusRequestEntityTooLarge, "too large")
			return
		}
		w.Write(b)
	}))
	srv := httptest.NewServer(h)
	t.Cleanup(srv.Close)
	post := func(body io.Reader) int {
		resp, err := srv.Client().Post(srv.URL, "application/json", body)
		if err != nil {
			t.Fatal(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	if c := post(strings.NewReader(`{"target":"a"}`)); c != 200 {
		t.Errorf("14 bytes: %d, want 200", c)
	}
	if c := post(strings.NewReader(strings.Repeat("x", 17))); c != 413 {
		t.Errorf("17 bytes with Content-Length: %d, want 413", c)
	}
	// Without a Content-Length (chunked), the read fails past the limit.
	if c := post(io.MultiReader(strings.NewReader(strings.Repeat("x", 10)), strings.NewReader(strings.Repeat("y", 10)))); c != 413 {
		t.Errorf("20 bytes chunked: %d, want 413", c)
	}
}
