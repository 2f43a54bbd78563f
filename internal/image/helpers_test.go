package image

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/compression"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/zstd"
)

// seenLayer is what a test LayerFunc learnt about one blob.
type seenLayer struct {
	Calls  int
	Digest string // Blob.Digest
	// RawSHA is the sha256 of the bytes as stored, DiffSHA after
	// decompression.
	RawSHA, DiffSHA string
}

// readSource reads src, reading every blob fully.
func readSource(t *testing.T, src Source) (*Metadata, map[string]*seenLayer) {
	t.Helper()
	m, seen, err := tryRead(t.Context(), src)
	if err != nil {
		t.Fatalf("Read: %v", err)
	}
	return m, seen
}

func tryRead(ctx context.Context, src Source) (*Metadata, map[string]*seenLayer, error) {
	var mu sync.Mutex
	seen := map[string]*seenLayer{}
	m, err := src.Read(ctx, func(ctx context.Context, b Blob) error {
		rc, err := b.Open()
		if err != nil {
			return err
		}
		defer rc.Close()
		raw, err := io.ReadAll(rc)
		if err != nil {
			return err
		}
		diff, err := decompress(raw)
		if err != nil {
			return err
		}
		mu.Lock()
		defer mu.Unlock()
		s := seen[b.Key]
		if s == nil {
			s = &seenLayer{}
			seen[b.Key] = s
		}
		s.Calls++
		s.Digest = b.Digest
		s.RawSHA = sha(raw)
		s.DiffSHA = sha(diff)
		return nil
	})
	return m, seen, err
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256:" + hex.EncodeToString(s[:])
}

// decompress undoes gzip or zstd by magic; plain bytes pass through.
func decompress(b []byte) ([]byte, error) {
	switch {
	case bytes.HasPrefix(b, gzipMagic):
		zr, err := gzip.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		return io.ReadAll(zr)
	case bytes.HasPrefix(b, zstdMagic):
		zr, err := zstd.NewReader(bytes.NewReader(b))
		if err != nil {
			return nil, err
		}
		defer zr.Close()
		return io.ReadAll(zr)
	}
	return b, nil
}

// checkLayers checks that every layer of m was handed out exactly once
// and decompresses to its claimed DiffID.
func checkLayers(t *testing.T, m *Metadata, seen map[string]*seenLayer) {
	t.Helper()
	keys := map[string]bool{}
	for _, l := range m.Layers {
		keys[l.Key] = true
	}
	if len(seen) != len(keys) {
		t.Errorf("LayerFunc saw %d blobs, metadata has %d distinct layers", len(seen), len(keys))
	}
	for i, l := range m.Layers {
		s, ok := seen[l.Key]
		if !ok {
			t.Errorf("layer %d (%s): LayerFunc never called", i, l.Key)
			continue
		}
		if s.Calls != 1 {
			t.Errorf("layer %d (%s): LayerFunc called %d times, want 1", i, l.Key, s.Calls)
		}
		if s.DiffSHA != l.ClaimedDiffID {
			t.Errorf("layer %d (%s): stream decompresses to %s, config claims %s", i, l.Key, s.DiffSHA, l.ClaimedDiffID)
		}
	}
}

// testImage builds an image of n random gzip layers (or one zstd layer
// when zstdLayer), with history: an empty_layer entry first, then one
// "RUN step i" per layer.
func testImage(t *testing.T, n int, zstdLayer bool) v1.Image {
	t.Helper()
	img := empty.Image
	for i := range n {
		var l v1.Layer
		var err error
		if zstdLayer && i == n-1 {
			lt := layerTar(t, "etc/zstd.txt", fmt.Sprintf("zstd layer %d", i))
			l, err = tarball.LayerFromReader(bytes.NewReader(lt), tarball.WithCompression(compression.ZStd), tarball.WithMediaType(types.OCILayerZStd))
		} else {
			l, err = random.Layer(512, types.DockerLayer)
		}
		if err != nil {
			t.Fatal(err)
		}
		img, err = mutate.Append(img, mutate.Addendum{Layer: l, History: v1.History{CreatedBy: fmt.Sprintf("RUN step %d", i)}})
		if err != nil {
			t.Fatal(err)
		}
	}
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture = "linux", "amd64"
	cfg.History = append([]v1.History{{CreatedBy: "LABEL x=y", EmptyLayer: true}}, cfg.History...)
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// wantLayers is the LayerMeta list expected for img, with keys from key.
func wantLayers(t *testing.T, img v1.Image, key func(i int, l v1.Layer) string, mediaType func(l v1.Layer) string) []LayerMeta {
	t.Helper()
	ls, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var out []LayerMeta
	for i, l := range ls {
		d, err := l.DiffID()
		if err != nil {
			t.Fatal(err)
		}
		out = append(out, LayerMeta{Key: key(i, l), ClaimedDiffID: d.String(), MediaType: mediaType(l), CreatedBy: fmt.Sprintf("RUN step %d", i)})
	}
	return out
}

func layerDigest(_ int, l v1.Layer) string {
	d, err := l.Digest()
	if err != nil {
		panic(err)
	}
	return d.String()
}

func layerMediaType(l v1.Layer) string {
	mt, err := l.MediaType()
	if err != nil {
		panic(err)
	}
	return string(mt)
}

// tarEntry is one file of a hand-made archive.
type tarEntry struct {
	Name     string
	Body     []byte
	Linkname string // makes a symlink
}

// makeTar writes entries as a tar, gzipped when gz.
func makeTar(t testing.TB, entries []tarEntry, gz bool) []byte {
	t.Helper()
	var buf bytes.Buffer
	var w io.Writer = &buf
	var zw *gzip.Writer
	if gz {
		zw = gzip.NewWriter(&buf)
		w = zw
	}
	tw := tar.NewWriter(w)
	for _, e := range entries {
		h := &tar.Header{Name: e.Name, Mode: 0o644, Size: int64(len(e.Body)), Typeflag: tar.TypeReg}
		if e.Linkname != "" {
			h.Typeflag, h.Linkname, h.Size = tar.TypeSymlink, e.Linkname, 0
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatal(err)
		}
		if _, err := tw.Write(e.Body); err != nil {
			t.Fatal(err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	if zw != nil {
		if err := zw.Close(); err != nil {
			t.Fatal(err)
		}
	}
	return buf.Bytes()
}

// tarDir tars a directory tree (an OCI layout) into a file.
func tarDir(t *testing.T, dir, out string, gz bool, extra ...tarEntry) {
	t.Helper()
	entries := extra
	err := filepath.WalkDir(dir, func(p string, d os.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, err := filepath.Rel(dir, p)
		if err != nil {
			return err
		}
		entries = append(entries, tarEntry{Name: filepath.ToSlash(rel), Body: b})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	// Blobs first, as in a typical archive, then the index: the reader
	// must not depend on order.
	sort.SliceStable(entries, func(i, j int) bool {
		return strings.HasPrefix(entries[i].Name, "blobs/") && !strings.HasPrefix(entries[j].Name, "blobs/")
	})
	writeFile(t, out, makeTar(t, entries, gz))
}

func writeFile(t testing.TB, p string, b []byte) {
	t.Helper()
	if err := os.WriteFile(p, b, 0o644); err != nil {
		t.Fatal(err)
	}
}

// layerTar is a small uncompressed layer holding one file.
func layerTar(t testing.TB, name, content string) []byte {
	t.Helper()
	return makeTar(t, []tarEntry{{Name: name, Body: []byte(content)}}, false)
}

func sortedKeys[M ~map[string]V, V any](m M) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	slices.Sort(ks)
	return ks
}
