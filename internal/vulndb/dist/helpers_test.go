package dist

import (
	"bytes"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"log"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/google/go-containerregistry/pkg/registry"

	"github.com/customs-scanner/customs/internal/vulndb/build"
)

// secdb is the Alpine 3.10 secdb slice at the repo root (real feed data).
var secdb = filepath.Join("..", "..", "..", "testdata", "feeds", "alpine-secdb", "v3.10")

var (
	dbOnce sync.Once
	dbA    []byte // built from all of secdb
	dbB    []byte // built from secdb/main.yaml only
	dbErr  error
)

// realDBs builds two different real DBs once per test binary and returns
// their bytes.
func realDBs(t testing.TB) (a, b []byte) {
	t.Helper()
	dbOnce.Do(func() {
		dir, err := os.MkdirTemp("", "dist-test")
		if err != nil {
			dbErr = err
			return
		}
		defer os.RemoveAll(dir)
		log := slog.New(slog.DiscardHandler)
		for _, c := range []struct {
			out  *[]byte
			path string
		}{{&dbA, secdb}, {&dbB, filepath.Join(secdb, "main.yaml")}} {
			p := filepath.Join(dir, "db")
			if _, err := build.Build(t.Context(), p, []build.Source{{Kind: "alpine-secdb", Path: c.path}}, log); err != nil {
				dbErr = err
				return
			}
			if *c.out, err = os.ReadFile(p); err != nil {
				dbErr = err
				return
			}
		}
	})
	if dbErr != nil {
		t.Fatalf("build test DBs: %v", dbErr)
	}
	return dbA, dbB
}

// writeDB writes b at dir/name and returns the path.
func writeDB(t testing.TB, dir, name string, b []byte) string {
	t.Helper()
	p := filepath.Join(dir, name)
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

// newKey makes a key pair with GenerateKey and loads both halves.
func newKey(t testing.TB) (ed25519.PrivateKey, ed25519.PublicKey, string) {
	t.Helper()
	keyPath, pubPath, err := GenerateKey(filepath.Join(t.TempDir(), "k"))
	if err != nil {
		t.Fatal(err)
	}
	priv, err := LoadPrivateKey(keyPath)
	if err != nil {
		t.Fatal(err)
	}
	pub, err := LoadPublicKey(pubPath)
	if err != nil {
		t.Fatal(err)
	}
	return priv, pub, pubPath
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// fileSHA returns the sha256 of the file at p, or "missing".
func fileSHA(t testing.TB, p string) string {
	t.Helper()
	b, err := os.ReadFile(p)
	if err != nil {
		return "missing"
	}
	return sha(b)
}

// testRegistry is ggcr's in-process registry on loopback, with a hook that
// damages one blob on its way out.
type testRegistry struct {
	srv      *httptest.Server
	host     string
	requests atomic.Int64

	mu     sync.Mutex
	damage map[string]func([]byte) []byte // blob digest -> damage
	cut    map[string]bool                // blob digest -> send half, claim all
	stall  map[string]chan struct{}       // blob digest -> send half, signal, wait for the client to go
}

func newRegistry(t *testing.T) *testRegistry {
	t.Helper()
	r := &testRegistry{damage: map[string]func([]byte) []byte{}, cut: map[string]bool{}, stall: map[string]chan struct{}{}}
	reg := registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	r.srv = httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, req *http.Request) {
		r.requests.Add(1)
		i := strings.LastIndex(req.URL.Path, "/blobs/")
		if req.Method != http.MethodGet || i < 0 {
			reg.ServeHTTP(w, req)
			return
		}
		d := req.URL.Path[i+len("/blobs/"):]
		r.mu.Lock()
		dmg, cut, stall := r.damage[d], r.cut[d], r.stall[d]
		r.mu.Unlock()
		if dmg == nil && !cut && stall == nil {
			reg.ServeHTTP(w, req)
			return
		}
		rec := httptest.NewRecorder()
		reg.ServeHTTP(rec, req)
		body := rec.Body.Bytes()
		if dmg != nil {
			body = dmg(bytes.Clone(body))
		}
		w.Header().Set("Content-Length", strconv.Itoa(len(body)))
		w.Header().Set("Content-Type", "application/octet-stream")
		w.WriteHeader(rec.Code)
		if stall != nil {
			w.Write(body[:len(body)/2])
			w.(http.Flusher).Flush()
			close(stall)
			<-req.Context().Done()
			return
		}
		if cut {
			// Send half and hang up: the client sees a short body.
			w.Write(body[:len(body)/2])
			if hj, ok := w.(http.Hijacker); ok {
				if c, _, err := hj.Hijack(); err == nil {
					c.Close()
				}
			}
			return
		}
		w.Write(body)
	}))
	t.Cleanup(r.srv.Close)
	r.host = strings.TrimPrefix(r.srv.URL, "http://")
	return r
}

func (r *testRegistry) ref(s string) string { return r.host + "/" + s }
