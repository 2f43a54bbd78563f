// Package servicetest holds what the service's tests share: real images
// pushed to go-containerregistry's registry on loopback, and a
// vulnerability DB built from the repository's test feeds.
package servicetest

import (
	"compress/gzip"
	"context"
	"crypto/rand"
	"fmt"
	"io"
	"log"
	"net/http/httptest"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/customs-scanner/customs/internal/scan"
	"github.com/customs-scanner/customs/internal/service"
	"github.com/customs-scanner/customs/internal/store"
	"github.com/customs-scanner/customs/internal/store/backend"
	"github.com/customs-scanner/customs/internal/vulndb/build"
)

// Root is the repository's root directory.
func Root() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

// DB builds a vulnerability DB from the Alpine test feed into dir and
// returns its path.
func DB(ctx context.Context, dir string) (string, error) {
	path := filepath.Join(dir, "customs.db")
	_, err := build.Build(ctx, path, []build.Source{
		{Kind: "alpine-secdb", Path: filepath.Join(Root(), "testdata", "feeds", "alpine-secdb")},
	}, nil)
	return path, err
}

// Env is what a single-node service under test runs on: a SQLite store
// and a vulnerability DB in a temporary directory of its own.
type Env struct {
	Dir   string      // the temporary directory holding both
	DSN   string      // the store's DSN
	Store store.Store // the store, closed when the test ends
	Scan  scan.Options
}

// SQLite builds the DB with DB and opens a SQLite store beside it; Scan
// reads that DB and keeps its layer cache in the same directory.
func SQLite(t testing.TB) Env {
	t.Helper()
	dir := t.TempDir()
	db, err := DB(t.Context(), dir)
	if err != nil {
		t.Fatal(err)
	}
	dsn := "sqlite:" + filepath.Join(dir, "store.db")
	st, err := backend.Open(t.Context(), dsn)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { st.Close() })
	return Env{Dir: dir, DSN: dsn, Store: st, Scan: scan.Options{DBPath: db, CacheDir: filepath.Join(dir, "layers")}}
}

// Start creates the service of cfg and starts its workers; when the test
// ends, they are stopped (in-flight jobs get ten seconds) and it is closed.
func Start(t testing.TB, cfg service.Config) *service.Service {
	t.Helper()
	s, err := service.New(t.Context(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	if err := s.Start(context.WithoutCancel(t.Context())); err != nil {
		s.Close()
		t.Fatal(err)
	}
	t.Cleanup(func() {
		ctx, cancel := context.WithTimeout(context.Background(), 10*time.Second)
		defer cancel()
		s.Stop(ctx)
		s.Close()
	})
	return s
}

// Registry starts go-containerregistry's registry on loopback and returns
// its host:port.
func Registry(t testing.TB) string {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	return strings.TrimPrefix(srv.URL, "http://")
}

// Push pushes n images to host as host/app:0 … host/app:N-1: the Alpine
// 3.10 test image with one small layer of its own each, so each has its
// own digest and every package of the Alpine image. It returns the
// references by tag and their digests.
func Push(ctx context.Context, host string, n int) (refs, digests []string, err error) {
	path := filepath.Join(Root(), "testdata", "images", "alpine-310.tar.gz")
	archive, err := tarball.Image(func() (io.ReadCloser, error) { return gunzip(path) }, nil)
	if err != nil {
		return nil, nil, err
	}
	// The base goes to the registry once; the images are built on its
	// remote copy, so pushing each sends only its own layer.
	baseRef, err := name.ParseReference(host + "/base:alpine-310")
	if err != nil {
		return nil, nil, err
	}
	if err := remote.Write(baseRef, archive, remote.WithContext(ctx)); err != nil {
		return nil, nil, fmt.Errorf("push %s: %w", baseRef, err)
	}
	base, err := remote.Image(baseRef, remote.WithContext(ctx))
	if err != nil {
		return nil, nil, err
	}
	for i := range n {
		l, err := random.Layer(256, "application/vnd.docker.image.rootfs.diff.tar.gzip")
		if err != nil {
			return nil, nil, err
		}
		img, err := mutate.AppendLayers(base, l)
		if err != nil {
			return nil, nil, err
		}
		img, err = mutate.CreatedAt(img, v1.Time{Time: time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)})
		if err != nil {
			return nil, nil, err
		}
		ref := fmt.Sprintf("%s/app:%d", host, i)
		r, err := name.ParseReference(ref)
		if err != nil {
			return nil, nil, err
		}
		if err := remote.Write(r, img, remote.WithContext(ctx)); err != nil {
			return nil, nil, fmt.Errorf("push %s: %w", ref, err)
		}
		d, err := img.Digest()
		if err != nil {
			return nil, nil, err
		}
		refs, digests = append(refs, ref), append(digests, d.String())
	}
	return refs, digests, nil
}

// Key is a random deployment key.
func Key() []byte {
	k := make([]byte, 32)
	rand.Read(k)
	return k
}

// gunzip opens a gzipped file.
func gunzip(path string) (io.ReadCloser, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, err
	}
	z, err := gzip.NewReader(f)
	if err != nil {
		f.Close()
		return nil, err
	}
	return struct {
		io.Reader
		io.Closer
	}{z, f}, nil
}
