package image

import (
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// waitLimit bounds every wait in these tests, so a broken fan-out fails
// instead of hanging.
const waitLimit = 20 * time.Second

// parallelRef is one image reference whose layers can be read at once.
type parallelRef struct {
	name, ref string
	// parallel is whether Concurrency > 1 reads several blobs at once.
	parallel bool
}

// multiLayerRefs writes one 6-layer image (the last layer zstd) in every
// form a source reads, plus the hand-made archive with a symlinked repeated
// layer and the sparse archives, and serves it from a registry.
func multiLayerRefs(t *testing.T) []parallelRef {
	t.Helper()
	img := testImage(t, 6, true)
	dir := t.TempDir()
	tag, err := name.NewTag("example.com/test/img:v1")
	if err != nil {
		t.Fatal(err)
	}
	dockerTar := filepath.Join(dir, "docker.tar")
	if err := tarball.WriteToFile(dockerTar, tag, img); err != nil {
		t.Fatal(err)
	}
	dockerTgz := filepath.Join(dir, "docker.tar.gz")
	gzipFile(t, dockerTar, dockerTgz)
	ociDir := filepath.Join(dir, "oci")
	if _, err := layout.Write(ociDir, mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: img})); err != nil {
		t.Fatal(err)
	}
	ociTar := filepath.Join(dir, "oci.tar")
	tarDir(t, ociDir, ociTar, false)
	hand := filepath.Join(dir, "hand.tar")
	writeFile(t, hand, handArchive(t, nil))

	host := startRegistry(t, nil)
	push(t, host+"/test/img:v1", img)
	dockerConfig(t, host, "", "")

	return []parallelRef{
		{"docker-archive plain", "docker-archive:" + dockerTar, true},
		{"docker-archive gzip", "docker-archive:" + dockerTgz, false},
		{"oci-archive plain", "oci-archive:" + ociTar, true},
		{"oci-dir", "oci-dir:" + ociDir, true},
		{"registry", "registry:" + host + "/test/img:v1", true},
		{"hand archive with symlinked layer", hand, true},
		{"sparse pax archive", "testdata/sparse-pax.tar", false},
		{"sparse gnu archive", "testdata/sparse-gnu.tar", false},
	}
}

func gzipFile(t *testing.T, src, dst string) {
	t.Helper()
	b, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	if _, err := zw.Write(b); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	writeFile(t, dst, buf.Bytes())
}

func openWith(t *testing.T, ref string, concurrency int) Source {
	t.Helper()
	src, err := Open(t.Context(), ref, Options{Concurrency: concurrency})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { src.Close() })
	return src
}

// TestConcurrencySameResults reads every source sequentially and with
// Concurrency 4: the metadata and the bytes of every blob handed out must
// be the same, and each blob handed out once.
func TestConcurrencySameResults(t *testing.T) {
	for _, r := range multiLayerRefs(t) {
		t.Run(r.name, func(t *testing.T) {
			m1, seen1 := readSource(t, openWith(t, r.ref, 1))
			m4, seen4 := readSource(t, openWith(t, r.ref, 4))
			checkLayers(t, m1, seen1)
			checkLayers(t, m4, seen4)
			if diff := cmp.Diff(summarize(m1), summarize(m4)); diff != "" {
				t.Errorf("metadata, Concurrency 1 (-) vs 4 (+):\n%s", diff)
			}
			if diff := cmp.Diff(seen1, seen4); diff != "" {
				t.Errorf("blobs handed out, Concurrency 1 (-) vs 4 (+):\n%s", diff)
			}
			if len(m4.Layers) < 2 || len(seen4) < 2 {
				if r.parallel {
					t.Errorf("%d layers, %d blobs: too few to read at once", len(m4.Layers), len(seen4))
				}
			}
		})
	}
}

// TestConcurrentCallbacks checks that with Concurrency 4 the LayerFunc
// really runs for two blobs at the same time: every call waits at a
// barrier of two (with a time limit) before it reads its blob. With
// Concurrency 1, and for sources that can only stream, calls never
// overlap.
func TestConcurrentCallbacks(t *testing.T) {
	for _, r := range multiLayerRefs(t) {
		t.Run(r.name, func(t *testing.T) {
			if r.parallel {
				var arrived atomic.Int32
				both := make(chan struct{})
				_, err := openWith(t, r.ref, 4).Read(t.Context(), func(ctx context.Context, b Blob) error {
					if arrived.Add(1) == 2 {
						close(both)
					}
					select {
					case <-both:
					case <-time.After(waitLimit):
						return errors.New("no other LayerFunc call started while this one waited")
					}
					return drain(b)
				})
				if err != nil {
					t.Fatalf("Concurrency 4: %v", err)
				}
			}
			for _, conc := range []int{1, 4} {
				if r.parallel && conc > 1 {
					continue
				}
				var inFlight, most atomic.Int32
				_, err := openWith(t, r.ref, conc).Read(t.Context(), func(ctx context.Context, b Blob) error {
					n := inFlight.Add(1)
					defer inFlight.Add(-1)
					for {
						m := most.Load()
						if n <= m || most.CompareAndSwap(m, n) {
							break
						}
					}
					return drain(b)
				})
				if err != nil {
					t.Fatalf("Concurrency %d: %v", conc, err)
				}
				if got := most.Load(); got != 1 {
					t.Errorf("Concurrency %d: up to %d LayerFunc calls at once, want 1", conc, got)
				}
			}
		})
	}
}

func drain(b Blob) error {
	rc, err := b.Open()
	if err != nil {
		return err
	}
	defer rc.Close()
	_, err = io.Copy(io.Discard, rc)
	return err
}

// TestConcurrentErrorCancels makes the first LayerFunc call fail once a
// second one is running: the second must see its context cancelled, no
// further call may start, and Read must return the first error.
func TestConcurrentErrorCancels(t *testing.T) {
	errBoom := errors.New("boom")
	errNotCancelled := errors.New("context not cancelled after another layer failed")
	for _, r := range multiLayerRefs(t) {
		if !r.parallel || r.name == "hand archive with symlinked layer" {
			continue // the hand archive has only two blobs
		}
		t.Run(r.name, func(t *testing.T) {
			var calls atomic.Int32
			var cancelled atomic.Bool
			second := make(chan struct{})
			_, err := openWith(t, r.ref, 2).Read(t.Context(), func(ctx context.Context, b Blob) error {
				switch calls.Add(1) {
				case 1:
					select {
					case <-second:
						return errBoom
					case <-time.After(waitLimit):
						return errors.New("the second call never started")
					}
				case 2:
					close(second)
				}
				select {
				case <-ctx.Done():
					cancelled.Store(true)
					return ctx.Err()
				case <-time.After(waitLimit):
					return errNotCancelled
				}
			})
			if !errors.Is(err, errBoom) {
				t.Fatalf("Read error = %v, want the first call's %v", err, errBoom)
			}
			if !cancelled.Load() {
				t.Error("the second call's context was not cancelled")
			}
			if n := calls.Load(); n != 2 {
				t.Errorf("LayerFunc called %d times, want 2 (no call after the failure)", n)
			}
		})
	}
}

// TestCancelledRead checks that a Read whose context is cancelled by the
// LayerFunc returns the cancellation.
func TestCancelledRead(t *testing.T) {
	for _, r := range multiLayerRefs(t) {
		t.Run(r.name, func(t *testing.T) {
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			_, err := openWith(t, r.ref, 2).Read(ctx, func(ctx context.Context, b Blob) error {
				cancel()
				return nil
			})
			if !errors.Is(err, context.Canceled) {
				t.Fatalf("Read error = %v, want context.Canceled", err)
			}
		})
	}
}

// countingSeeker counts the bytes read through it.
type countingSeeker struct {
	io.ReadSeeker
	n int64
}

func (c *countingSeeker) Read(p []byte) (int, error) {
	n, err := c.ReadSeeker.Read(p)
	c.n += int64(n)
	return n, err
}

// TestIndexArchiveSeeks indexes archives with large layers and checks that
// archive/tar seeks past the layer bodies instead of reading them, and
// that each recorded offset and size holds exactly the blob: its sha256
// is its digest.
func TestIndexArchiveSeeks(t *testing.T) {
	if testing.Short() {
		t.Skip("builds 12 MiB of layers")
	}
	img := empty.Image
	for _, size := range []int64{4 << 20, 8 << 20} {
		l, err := random.Layer(size, types.OCIUncompressedLayer)
		if err != nil {
			t.Fatal(err)
		}
		if img, err = mutate.AppendLayers(img, l); err != nil {
			t.Fatal(err)
		}
	}
	dir := t.TempDir()
	if _, err := layout.Write(filepath.Join(dir, "oci"), mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: img})); err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(dir, "oci.tar")
	tarDir(t, filepath.Join(dir, "oci"), p, false)
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	fi, err := f.Stat()
	if err != nil {
		t.Fatal(err)
	}
	cs := &countingSeeker{ReadSeeker: f}
	_, blobs, err := indexArchive(t.Context(), cs)
	if err != nil {
		t.Fatal(err)
	}
	if cs.n > 64<<10 {
		t.Errorf("indexing read %d of %d bytes, want under 64 KiB: archive/tar did not seek", cs.n, fi.Size())
	}
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var want []string
	for _, l := range ls {
		d, _ := l.Digest()
		want = append(want, d.String())
	}
	var got []string
	for _, b := range blobs {
		got = append(got, b.key)
		if sum := sha(sectionBytes(t, f, b)); sum != b.key {
			t.Errorf("blob %s at %d+%d hashes to %s", b.key, b.off, b.size, sum)
		}
	}
	if diff := cmp.Diff(sortedKeys(setOf(want)), sortedKeys(setOf(got))); diff != "" {
		t.Errorf("layer blobs indexed (-want +got):\n%s", diff)
	}
}

func sectionBytes(t *testing.T, f *os.File, b blobAt) []byte {
	t.Helper()
	out := make([]byte, b.size)
	if _, err := f.ReadAt(out, b.off); err != nil {
		t.Fatal(err)
	}
	return out
}

func setOf(ss []string) map[string]bool {
	m := map[string]bool{}
	for _, s := range ss {
		m[s] = true
	}
	return m
}

// TestSectionBlob checks the contract for blobs of an indexed archive:
// Open works any number of times during the LayerFunc call, and neither
// Open nor Read works after it; a file that shrank after indexing gives a
// truncation error, not a short blob.
func TestSectionBlob(t *testing.T) {
	p := filepath.Join(t.TempDir(), "hand.tar")
	writeFile(t, p, handArchive(t, nil))
	var mu sync.Mutex
	var saved []Blob
	var readers []io.ReadCloser
	_, err := openWith(t, p, 2).Read(t.Context(), func(ctx context.Context, b Blob) error {
		for range 2 {
			if err := drain(b); err != nil {
				return fmt.Errorf("open and read: %w", err)
			}
		}
		rc, err := b.Open()
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		saved = append(saved, b)
		readers = append(readers, rc)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(saved) != 2 {
		t.Fatalf("%d blobs handed out, want 2", len(saved))
	}
	for i, b := range saved {
		if _, err := b.Open(); err == nil {
			t.Errorf("%s: Open after the LayerFunc returned succeeded, want an error", b.Key)
		}
		if _, err := readers[i].Read(make([]byte, 1)); err == nil {
			t.Errorf("%s: Read after the LayerFunc returned succeeded, want an error", b.Key)
		}
	}

	// The file loses its tail between indexing and reading.
	raw := handArchive(t, nil)
	f := &shrinking{ReaderAt: bytes.NewReader(raw), cut: 1024 + 512}
	s := &sectionBlob{blobAt: blobAt{key: "a/layer.tar", off: 512, size: 2048}, r: f}
	rc, err := s.open()
	if err != nil {
		t.Fatal(err)
	}
	_, err = io.ReadAll(rc)
	if !errors.Is(err, io.ErrUnexpectedEOF) {
		t.Errorf("read of a shrunk file: error %v, want io.ErrUnexpectedEOF", err)
	}
}

// shrinking is a ReaderAt that ends at cut.
type shrinking struct {
	io.ReaderAt
	cut int64
}

func (s *shrinking) ReadAt(p []byte, off int64) (int, error) {
	if off >= s.cut {
		return 0, io.EOF
	}
	if rem := s.cut - off; int64(len(p)) > rem {
		n, err := s.ReaderAt.ReadAt(p[:rem], off)
		if err == nil {
			err = io.EOF
		}
		return n, err
	}
	return s.ReaderAt.ReadAt(p, off)
}

// TestOptionsLimit checks the Concurrency default.
func TestOptionsLimit(t *testing.T) {
	for _, tc := range []struct {
		conc, want int
	}{{1, 1}, {3, 3}, {0, runtime.GOMAXPROCS(0)}, {-1, runtime.GOMAXPROCS(0)}} {
		if got := (Options{Concurrency: tc.conc}).limit(); got != tc.want {
			t.Errorf("Options{Concurrency: %d}.limit() = %d, want %d", tc.conc, got, tc.want)
		}
	}
}

// TestRepeatedLayerOnce reads an image that holds the same layer blob
// twice: every source hands it out once, also when reading several blobs
// at once.
func TestRepeatedLayerOnce(t *testing.T) {
	l1, err := random.Layer(2048, types.DockerLayer)
	if err != nil {
		t.Fatal(err)
	}
	l2, err := random.Layer(1024, types.DockerLayer)
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, l1, l2, l1)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tag, _ := name.NewTag("example.com/test/rep:v1")
	dockerTar := filepath.Join(dir, "docker.tar")
	if err := tarball.WriteToFile(dockerTar, tag, img); err != nil {
		t.Fatal(err)
	}
	ociDir := filepath.Join(dir, "oci")
	if _, err := layout.Write(ociDir, mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: img})); err != nil {
		t.Fatal(err)
	}
	ociTar := filepath.Join(dir, "oci.tar")
	tarDir(t, ociDir, ociTar, false)
	host := startRegistry(t, nil)
	push(t, host+"/test/rep:v1", img)
	dockerConfig(t, host, "", "")
	for _, ref := range []string{"docker-archive:" + dockerTar, "oci-archive:" + ociTar, "oci-dir:" + ociDir, "registry:" + host + "/test/rep:v1"} {
		for _, conc := range []int{1, 4} {
			t.Run(fmt.Sprintf("%s/concurrency %d", ref[:strings.Index(ref, ":")], conc), func(t *testing.T) {
				m, seen := readSource(t, openWith(t, ref, conc))
				if len(m.Layers) != 3 {
					t.Fatalf("%d layers, want 3", len(m.Layers))
				}
				checkLayers(t, m, seen)
			})
		}
	}
}
