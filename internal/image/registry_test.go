package image

import (
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"log"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

const (
	regUser = "scanner"
	regPass = "s3cret"
)

// startRegistry serves ggcr's in-process registry on loopback, wrapped by
// wrap (for auth), and returns its host:port.
func startRegistry(t *testing.T, wrap func(next http.Handler, srvURL func() string) http.Handler) string {
	t.Helper()
	var h http.Handler = registry.New(registry.Logger(log.New(io.Discard, "", 0)))
	srv := httptest.NewUnstartedServer(nil)
	if wrap != nil {
		h = wrap(h, func() string { return srv.URL })
	}
	srv.Config.Handler = h
	srv.Start()
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// basicAuth demands HTTP basic credentials on every request.
func basicAuth(next http.Handler, _ func() string) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if u, p, ok := r.BasicAuth(); !ok || u != regUser || p != regPass {
			w.Header().Set("WWW-Authenticate", `Basic realm="customs-test"`)
			http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}`, http.StatusUnauthorized)
			return
		}
		next.ServeHTTP(w, r)
	})
}

// bearerAuth is a registry with a token service on /token: the token is
// issued for basic credentials and then required as a Bearer token.
func bearerAuth(tokens *atomic.Int32) func(http.Handler, func() string) http.Handler {
	const token = "customs-test-token"
	return func(next http.Handler, srvURL func() string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.URL.Path == "/token" {
				if u, p, ok := r.BasicAuth(); !ok || u != regUser || p != regPass {
					http.Error(w, "bad credentials", http.StatusUnauthorized)
					return
				}
				tokens.Add(1)
				w.Header().Set("Content-Type", "application/json")
				json.NewEncoder(w).Encode(map[string]string{"token": token})
				return
			}
			if r.Header.Get("Authorization") != "Bearer "+token {
				w.Header().Set("WWW-Authenticate", fmt.Sprintf(`Bearer realm="%s/token",service="customs-test",scope="repository:test/img:pull"`, srvURL()))
				http.Error(w, `{"errors":[{"code":"UNAUTHORIZED","message":"token required"}]}`, http.StatusUnauthorized)
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}

// dockerConfig points DOCKER_CONFIG (and HOME, so no real
// ~/.docker/config.json is found) at a temp dir whose config.json holds
// auths for host, when user is not empty.
func dockerConfig(t *testing.T, host, user, pass string) {
	t.Helper()
	home, dir := t.TempDir(), t.TempDir()
	t.Setenv("HOME", home)
	t.Setenv("DOCKER_CONFIG", dir)
	t.Setenv("REGISTRY_AUTH_FILE", "")
	t.Setenv("XDG_RUNTIME_DIR", "")
	t.Setenv("XDG_CONFIG_HOME", home)
	if user == "" {
		return
	}
	auth := base64.StdEncoding.EncodeToString([]byte(user + ":" + pass))
	b, err := json.Marshal(map[string]any{"auths": map[string]any{host: map[string]string{"auth": auth}}})
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, filepath.Join(dir, "config.json"), b)
}

func push(t *testing.T, ref string, img v1.Image) {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(r, img, remote.WithAuth(&authn.Basic{Username: regUser, Password: regPass}), remote.WithContext(t.Context())); err != nil {
		t.Fatalf("push %s: %v", ref, err)
	}
}

func wantRegistry(t *testing.T, host string, img v1.Image) summary {
	t.Helper()
	md, _ := img.Digest()
	cd, _ := img.ConfigName()
	return summary{
		Kind: KindRegistry, ManifestDigest: md.String(), ConfigDigest: cd.String(),
		RepoTags:    []string{host + "/test/img:v1"},
		RepoDigests: []string{host + "/test/img@" + md.String()},
		Layers:      wantLayers(t, img, layerDigest, layerMediaType),
	}
}

// TestRegistryAuth pulls through no auth, basic auth and a bearer token
// flow, with credentials from a docker config.json found via DOCKER_CONFIG
// by authn.DefaultKeychain.
func TestRegistryAuth(t *testing.T) {
	img := testImage(t, 2, true)
	var tokens atomic.Int32
	for _, tc := range []struct {
		name       string
		wrap       func(http.Handler, func() string) http.Handler
		user, pass string
		wantErr    string
		wantTokens bool
	}{
		{name: "anonymous"},
		{name: "basic", wrap: basicAuth, user: regUser, pass: regPass},
		{name: "basic wrong password", wrap: basicAuth, user: regUser, pass: "nope", wantErr: "docker login"},
		{name: "basic no credentials", wrap: basicAuth, wantErr: "docker login"},
		{name: "bearer", wrap: bearerAuth(&tokens), user: regUser, pass: regPass, wantTokens: true},
		{name: "bearer no credentials", wrap: bearerAuth(&tokens), wantErr: "docker login"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			host := startRegistry(t, tc.wrap)
			push(t, host+"/test/img:v1", img)
			dockerConfig(t, host, tc.user, tc.pass)
			tokens.Store(0)

			src, err := Open(t.Context(), "registry:"+host+"/test/img:v1", Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			if id := src.Identity(); id != "" {
				t.Errorf("Identity = %q, want empty", id)
			}
			m, seen, err := tryRead(t.Context(), src)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Read error = %v, want it to contain %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error spans lines: %q", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(wantRegistry(t, host, img), summarize(m)); diff != "" {
				t.Errorf("metadata (-want +got):\n%s", diff)
			}
			checkLayers(t, m, seen)
			for k, s := range seen {
				if s.Digest != k || s.RawSHA != k {
					t.Errorf("blob %s: Digest %q, bytes hash to %s; want both = key", k, s.Digest, s.RawSHA)
				}
			}
			if tc.wantTokens && tokens.Load() == 0 {
				t.Error("no token was issued; the bearer flow was not used")
			}
		})
	}
}

// TestRegistryVerifiesBlobs serves a corrupted layer blob and checks that
// reading it through Blob.Open fails: ggcr's remote layer reader verifies
// the sha256 (internal/verify.ReadCloser), which is why Blob.Digest is set.
func TestRegistryVerifiesBlobs(t *testing.T) {
	img := testImage(t, 1, false)
	ls, _ := img.Layers()
	bad, _ := ls[0].Digest()
	host := startRegistry(t, func(next http.Handler, _ func() string) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.Method != http.MethodGet || !strings.HasSuffix(r.URL.Path, "/blobs/"+bad.String()) {
				next.ServeHTTP(w, r)
				return
			}
			rec := httptest.NewRecorder()
			next.ServeHTTP(rec, r)
			body := rec.Body.Bytes()
			body[len(body)-1] ^= 0xff
			for k, v := range rec.Header() {
				w.Header()[k] = v
			}
			w.WriteHeader(rec.Code)
			w.Write(body)
		})
	})
	push(t, host+"/test/img:v1", img)
	dockerConfig(t, host, "", "")
	src, err := Open(t.Context(), "registry:"+host+"/test/img:v1", Options{})
	if err != nil {
		t.Fatal(err)
	}
	_, _, err = tryRead(t.Context(), src)
	if err == nil || !strings.Contains(err.Error(), "error verifying sha256 checksum") {
		t.Fatalf("Read error = %v, want a checksum verification error", err)
	}
}

func TestRegistryPlatforms(t *testing.T) {
	amd, arm := testImage(t, 1, false), testImage(t, 1, false)
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}},
	)
	host := startRegistry(t, nil)
	ref, err := name.ParseReference(host + "/test/multi:latest")
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.WriteIndex(ref, idx, remote.WithContext(t.Context())); err != nil {
		t.Fatal(err)
	}
	dockerConfig(t, host, "", "")
	amdD, _ := amd.Digest()
	armD, _ := arm.Digest()
	for _, tc := range []struct{ name, platform, want, wantErr string }{
		{"default amd64", "", amdD.String(), ""},
		{"amd64", "linux/amd64", amdD.String(), ""},
		{"arm64", "linux/arm64", armD.String(), ""},
		{"missing", "linux/riscv64", "", "no image for platform linux/riscv64; the index has linux/amd64, linux/arm64"},
		{"bad platform", "linux/arm64/v8/x/y", "", "bad platform"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := Open(t.Context(), "registry:"+ref.String(), Options{Platform: tc.platform})
			if err != nil {
				t.Fatal(err)
			}
			m, seen, err := tryRead(t.Context(), src)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Read error = %v, want it to contain %q", err, tc.wantErr)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error spans lines: %q", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.ManifestDigest != tc.want {
				t.Errorf("ManifestDigest = %s, want %s", m.ManifestDigest, tc.want)
			}
			checkLayers(t, m, seen)
		})
	}
}

// TestReferenceFallsBackToRegistry opens a reference with no scheme: the
// engine is unreachable (or lacks the image), so the registry is used.
func TestReferenceFallsBackToRegistry(t *testing.T) {
	img := testImage(t, 1, false)
	host := startRegistry(t, nil)
	push(t, host+"/test/img:v1", img)
	dockerConfig(t, host, "", "")
	for _, tc := range []struct{ name, dockerHost string }{
		{"no engine", "unix://" + filepath.Join(t.TempDir(), "no.sock")},
		{"engine without the image", ""},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := Open(t.Context(), host+"/test/img:v1", Options{DockerHost: tc.dockerHost})
			if err != nil {
				t.Fatal(err)
			}
			m, seen := readSource(t, src)
			if diff := cmp.Diff(wantRegistry(t, host, img), summarize(m)); diff != "" {
				t.Errorf("metadata (-want +got):\n%s", diff)
			}
			checkLayers(t, m, seen)
		})
	}
}
