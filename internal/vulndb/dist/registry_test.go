package dist

import (
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/customs-scanner/customs/internal/vulndb/sqlite"
)

// getManifest reads the manifest at ref.
func getManifest(t *testing.T, ref string) v1.Manifest {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	d, err := remote.Get(r)
	if err != nil {
		t.Fatal(err)
	}
	var m v1.Manifest
	if err := json.Unmarshal(d.Manifest, &m); err != nil {
		t.Fatal(err)
	}
	return m
}

// putManifest pushes m at ref as it is (no blob upload) and returns ref.
func putManifest(t *testing.T, ref string, m v1.Manifest) string {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	b, err := json.Marshal(m)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Put(r, rawManifest(b)); err != nil {
		t.Fatal(err)
	}
	return ref
}

// putBlob uploads b to ref's repository and returns its descriptor.
func putBlob(t *testing.T, ref string, b []byte, mt types.MediaType) v1.Descriptor {
	t.Helper()
	r, err := name.ParseReference(ref)
	if err != nil {
		t.Fatal(err)
	}
	l := static.NewLayer(b, mt)
	if err := remote.WriteLayer(r.Context(), l, remote.WithContext(t.Context())); err != nil {
		t.Fatal(err)
	}
	return descriptor(l)
}

func push(t *testing.T, ref string, db []byte, key ed25519.PrivateKey) string {
	t.Helper()
	p := writeDB(t, t.TempDir(), "src.db", db)
	d, err := Push(t.Context(), ref, p, key, Options{})
	if err != nil {
		t.Fatalf("Push: %v", err)
	}
	return d
}

func TestPushPullRoundTrip(t *testing.T) {
	a, b := realDBs(t)
	key, pub, _ := newKey(t)
	reg := newRegistry(t)
	digestA := push(t, reg.ref("db:v1"), a, key)
	digestB := push(t, reg.ref("db:v1"), b, key) // moves the tag

	m := getManifest(t, reg.ref("db@"+digestB))
	wantMT := []string{LayerMediaType, SignatureMediaType}
	var gotMT []string
	for _, l := range m.Layers {
		gotMT = append(gotMT, string(l.MediaType))
	}
	if diff := cmp.Diff(wantMT, gotMT); diff != "" {
		t.Errorf("layer media types (-want +got):\n%s", diff)
	}
	if m.ArtifactType != ConfigMediaType || string(m.Config.MediaType) != ConfigMediaType {
		t.Errorf("artifactType %q, config mediaType %q; want both %s", m.ArtifactType, m.Config.MediaType, ConfigMediaType)
	}
	if m.Layers[0].Size >= int64(len(b)) {
		t.Errorf("compressed layer %d bytes, DB %d bytes: not compressed", m.Layers[0].Size, len(b))
	}

	tests := []struct {
		name, ref  string
		want       []byte
		wantDigest string
	}{
		{"tag", reg.ref("db:v1"), b, digestB},
		{"pinned digest", reg.ref("db@" + digestA), a, digestA},
		{"tag and digest", reg.ref("db:v1@" + digestA), a, digestA},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "sub", "customs.db")
			o, err := Pull(t.Context(), tt.ref, dst, pub, Options{})
			if err != nil {
				t.Fatalf("Pull: %v", err)
			}
			if got := fileSHA(t, dst); got != sha(tt.want) {
				t.Errorf("installed DB sha256 %s, want %s", got, sha(tt.want))
			}
			if o.ManifestDigest != tt.wantDigest {
				t.Errorf("origin digest %s, want %s", o.ManifestDigest, tt.wantDigest)
			}
			ro, err := ReadOrigin(dst)
			if err != nil || ro == nil {
				t.Fatalf("ReadOrigin = %v, %v; want the sidecar", ro, err)
			}
			if diff := cmp.Diff(o, ro); diff != "" {
				t.Errorf("sidecar (-returned +read):\n%s", diff)
			}
			db, err := sqlite.Open(t.Context(), dst)
			if err != nil {
				t.Fatal(err)
			}
			info, err := db.Info(t.Context())
			db.Close()
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(o.Config.Sources, info.Sources); diff != "" {
				t.Errorf("config sources vs DB (-config +db):\n%s", diff)
			}
		})
	}
}

// dirEntries lists dir, to catch temporary files left behind.
func dirEntries(t *testing.T, dir string) []string {
	t.Helper()
	es, err := os.ReadDir(dir)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, e := range es {
		names = append(names, e.Name())
	}
	return names
}

func TestPullRefuses(t *testing.T) {
	a, b := realDBs(t)
	key, pub, _ := newKey(t)
	_, otherPub, _ := newKey(t)
	reg := newRegistry(t)
	push(t, reg.ref("db:a"), a, key)
	push(t, reg.ref("db:b"), b, key)
	manA, manB := getManifest(t, reg.ref("db:a")), getManifest(t, reg.ref("db:b"))

	tests := []struct {
		name    string
		ref     func(t *testing.T) string
		pub     ed25519.PublicKey
		wantIs  error
		wantMsg string
	}{
		{
			name:    "wrong key",
			ref:     func(*testing.T) string { return reg.ref("db:a") },
			pub:     otherPub,
			wantIs:  ErrVerify,
			wantMsg: "bad signature (signed by key " + KeyID(pub) + ", verifying with key " + KeyID(otherPub) + ")",
		},
		{
			name: "unsigned artifact",
			ref: func(t *testing.T) string {
				m := manA
				m.Layers = m.Layers[:1]
				return putManifest(t, reg.ref("db:unsigned"), m)
			},
			pub:     pub,
			wantIs:  ErrUnsigned,
			wantMsg: "is not signed",
		},
		{
			// Someone with push rights but without the key swaps the DB
			// layer (and config) under A's signature.
			name: "forged manifest: other DB layer under A's signature",
			ref: func(t *testing.T) string {
				m := manA
				m.Layers = []v1.Descriptor{manB.Layers[0], manA.Layers[1]}
				return putManifest(t, reg.ref("db:forged-layer"), m)
			},
			pub:     pub,
			wantIs:  ErrVerify,
			wantMsg: "signed size",
		},
		{
			name: "forged manifest: other config under A's signature",
			ref: func(t *testing.T) string {
				m := manA
				m.Config = manB.Config
				return putManifest(t, reg.ref("db:forged-config"), m)
			},
			pub:     pub,
			wantIs:  ErrVerify,
			wantMsg: "disagrees with the signed payload",
		},
		{
			name: "layer tampered in transit",
			ref: func(t *testing.T) string {
				reg.mu.Lock()
				reg.damage[manA.Layers[0].Digest.String()] = func(b []byte) []byte { b[len(b)/2] ^= 0x40; return b }
				reg.mu.Unlock()
				t.Cleanup(func() { reg.mu.Lock(); clear(reg.damage); reg.mu.Unlock() })
				return reg.ref("db:a")
			},
			pub:    pub,
			wantIs: ErrVerify,
		},
		{
			name: "truncated download",
			ref: func(t *testing.T) string {
				reg.mu.Lock()
				reg.cut[manA.Layers[0].Digest.String()] = true
				reg.mu.Unlock()
				t.Cleanup(func() { reg.mu.Lock(); clear(reg.cut); reg.mu.Unlock() })
				return reg.ref("db:a")
			},
			pub:    pub,
			wantIs: ErrVerify,
		},
		{
			name: "signed payload with another schema version",
			ref: func(t *testing.T) string {
				var cfg Config
				cfgJSON := fetchTest(t, reg.ref("db:a"), manA.Config)
				if err := json.Unmarshal(cfgJSON, &cfg); err != nil {
					t.Fatal(err)
				}
				cfg.SchemaVersion = 99
				sig, err := sign(key, cfg.payload())
				if err != nil {
					t.Fatal(err)
				}
				cb, _ := json.Marshal(cfg)
				sb, _ := json.Marshal(sig)
				m := manA
				m.Config = putBlob(t, reg.ref("db:a"), cb, ConfigMediaType)
				m.Layers = []v1.Descriptor{manA.Layers[0], putBlob(t, reg.ref("db:a"), sb, SignatureMediaType)}
				return putManifest(t, reg.ref("db:schema99"), m)
			},
			pub:     pub,
			wantMsg: fmt.Sprintf("DB schema version 99, this customs reads version %d", vulndb.SchemaVersion),
		},
		{
			name: "not a DB artifact",
			ref: func(t *testing.T) string {
				img, err := random.Image(64, 1)
				if err != nil {
					t.Fatal(err)
				}
				r, _ := name.ParseReference(reg.ref("db:image"))
				if err := remote.Write(r, img); err != nil {
					t.Fatal(err)
				}
				return reg.ref("db:image")
			},
			pub:     pub,
			wantMsg: "not a customs DB",
		},
		{
			name:    "no such tag",
			ref:     func(*testing.T) string { return reg.ref("db:nope") },
			pub:     pub,
			wantMsg: "check the DB reference",
		},
		{
			name:    "no public key",
			ref:     func(*testing.T) string { return reg.ref("db:a") },
			wantMsg: "no public key",
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// The previous DB is B, pulled and verified, with its sidecar.
			dir := t.TempDir()
			dst := filepath.Join(dir, "customs.db")
			if _, err := Pull(t.Context(), reg.ref("db:b"), dst, pub, Options{}); err != nil {
				t.Fatal(err)
			}
			before := []string{fileSHA(t, dst), fileSHA(t, OriginPath(dst))}
			beforeDir := dirEntries(t, dir)

			_, err := Pull(t.Context(), tt.ref(t), dst, tt.pub, Options{})
			if err == nil {
				t.Fatal("Pull succeeded, want an error")
			}
			t.Logf("error: %v", err)
			if tt.wantIs != nil && !errors.Is(err, tt.wantIs) {
				t.Errorf("Pull error %q does not wrap %q", err, tt.wantIs)
			}
			if !strings.Contains(err.Error(), tt.wantMsg) {
				t.Errorf("Pull error %q does not say %q", err, tt.wantMsg)
			}
			if diff := cmp.Diff(before, []string{fileSHA(t, dst), fileSHA(t, OriginPath(dst))}); diff != "" {
				t.Errorf("previous DB or sidecar changed (-before +after):\n%s", diff)
			}
			if diff := cmp.Diff(beforeDir, dirEntries(t, dir)); diff != "" {
				t.Errorf("DB directory (-before +after):\n%s", diff)
			}
		})
	}
}

// TestPullInterrupted cancels a pull in the middle of the DB layer.
func TestPullInterrupted(t *testing.T) {
	a, b := realDBs(t)
	key, pub, _ := newKey(t)
	reg := newRegistry(t)
	push(t, reg.ref("db:a"), a, key)
	dir := t.TempDir()
	dst := writeDB(t, dir, "customs.db", b)
	before := dirEntries(t, dir)

	stalled := make(chan struct{})
	reg.mu.Lock()
	reg.stall[getManifest(t, reg.ref("db:a")).Layers[0].Digest.String()] = stalled
	reg.mu.Unlock()
	ctx, cancel := context.WithCancel(t.Context())
	go func() {
		<-stalled
		cancel()
	}()
	_, err := Pull(ctx, reg.ref("db:a"), dst, pub, Options{})
	if !errors.Is(err, context.Canceled) {
		t.Errorf("Pull error %v, want context.Canceled", err)
	}
	if got := fileSHA(t, dst); got != sha(b) {
		t.Errorf("previous DB changed")
	}
	if diff := cmp.Diff(before, dirEntries(t, dir)); diff != "" {
		t.Errorf("DB directory (-before +after):\n%s", diff)
	}
}

func fetchTest(t *testing.T, ref string, d v1.Descriptor) []byte {
	t.Helper()
	r, _ := name.ParseReference(ref)
	b, err := fetchSmall(r.Context(), d, Options{}.remote(t.Context()))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

func TestEnsureDB(t *testing.T) {
	a, b := realDBs(t)
	key, pub, pubPath := newKey(t)
	_, otherPub, _ := newKey(t)
	reg := newRegistry(t)
	digestA := push(t, reg.ref("db:v1"), a, key)
	log := slog.New(slog.DiscardHandler)
	dst := filepath.Join(t.TempDir(), "customs.db")
	pinned := reg.ref("db@" + digestA)

	// step runs EnsureDB and reports the registry requests it made and
	// the DB installed afterwards.
	type outcome struct {
		Requests int64
		DB       string
	}
	step := func(t *testing.T, ref string, pub ed25519.PublicKey) outcome {
		t.Helper()
		n := reg.requests.Load()
		got, err := ensure(t.Context(), ref, dst, pub, Options{}, log)
		if err != nil {
			t.Fatalf("ensure: %v", err)
		}
		if got != dst {
			t.Errorf("ensure returned %s, want %s", got, dst)
		}
		return outcome{reg.requests.Load() - n, fileSHA(t, dst)}
	}
	if o := step(t, pinned, pub); o.Requests == 0 || o.DB != sha(a) {
		t.Fatalf("first ensure: %+v; want a pull of A", o)
	}
	if diff := cmp.Diff(outcome{0, sha(a)}, step(t, pinned, pub)); diff != "" {
		t.Errorf("pinned and installed: no request expected (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(outcome{2, sha(a)}, step(t, reg.ref("db:v1"), pub)); diff != "" {
		t.Errorf("tag at the installed digest: only the ping and a HEAD expected (-want +got):\n%s", diff)
	}
	// Another key: the recorded signature does not verify, so pull again
	// (which then fails verification, leaving A).
	if _, err := ensure(t.Context(), pinned, dst, otherPub, Options{}, log); !errors.Is(err, ErrVerify) {
		t.Errorf("ensure with another key: %v, want ErrVerify", err)
	}
	// A DB built over the pulled one invalidates the sidecar.
	writeDB(t, filepath.Dir(dst), "customs.db", b)
	if o := step(t, pinned, pub); o.Requests == 0 || o.DB != sha(a) {
		t.Errorf("after a local rebuild: %+v; want a pull of A again", o)
	}

	// The exported wrapper: key file handling.
	if _, err := EnsureDB(t.Context(), pinned, dst, "", log); !errors.Is(err, ErrNoPublicKey) {
		t.Errorf("EnsureDB without a key: %v, want ErrNoPublicKey", err)
	}
	if got, err := EnsureDB(t.Context(), pinned, dst, pubPath, log); err != nil || got != dst {
		t.Errorf("EnsureDB = %q, %v; want %q", got, err, dst)
	}
}
