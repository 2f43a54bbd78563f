package layerfs

import (
	"archive/tar"
	"bytes"
	"context"
	"errors"
	"io"
	"io/fs"
	"testing"

	"github.com/google/go-cmp/cmp"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// tf is one tar entry for test layers.
type tf struct {
	name string
	typ  byte // 0 means tar.TypeReg
	body string
	link string
	mode int64
	uid  int
}

func dir(name string) tf              { return tf{name: name, typ: tar.TypeDir, mode: 0o755} }
func reg(name, body string) tf        { return tf{name: name, body: body} }
func sym(name, target string) tf      { return tf{name: name, typ: tar.TypeSymlink, link: target} }
func hardlink(name, target string) tf { return tf{name: name, typ: tar.TypeLink, link: target} }

// tarBytes builds an uncompressed tar.
func tarBytes(t testing.TB, files ...tf) []byte {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		h := &tar.Header{Name: f.name, Typeflag: f.typ, Linkname: f.link, Mode: f.mode, Uid: f.uid, Gid: f.uid, Format: tar.FormatPAX}
		if h.Typeflag == 0 {
			h.Typeflag = tar.TypeReg
		}
		if h.Mode == 0 {
			h.Mode = 0o644
		}
		if h.Typeflag == tar.TypeReg {
			h.Size = int64(len(f.body))
		}
		if err := tw.WriteHeader(h); err != nil {
			t.Fatalf("write header %s: %v", f.name, err)
		}
		if _, err := io.WriteString(tw, f.body); err != nil {
			t.Fatalf("write body %s: %v", f.name, err)
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

// ggcrLayer wraps tar bytes as a go-containerregistry layer (gzip unless opts say otherwise).
func ggcrLayer(t testing.TB, tb []byte, opts ...tarball.LayerOption) v1.Layer {
	t.Helper()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) {
		return io.NopCloser(bytes.NewReader(tb)), nil
	}, opts...)
	if err != nil {
		t.Fatal(err)
	}
	return l
}

// analyzeLayer analyses both the compressed and the uncompressed stream of l,
// checks Digest and DiffID against go-containerregistry, and returns the
// analysis of the compressed stream.
func analyzeLayer(t testing.TB, l v1.Layer, opts Options) *Layer {
	t.Helper()
	diffID, err := l.DiffID()
	if err != nil {
		t.Fatal(err)
	}
	digest, err := l.Digest()
	if err != nil {
		t.Fatal(err)
	}
	rc, err := l.Compressed()
	if err != nil {
		t.Fatal(err)
	}
	comp, err := Analyze(context.Background(), rc, opts)
	rc.Close()
	if err != nil {
		t.Fatalf("Analyze(compressed): %v", err)
	}
	if comp.DiffID != diffID.String() || comp.Digest != digest.String() {
		t.Errorf("compressed stream: got DiffID %s Digest %s, want %s %s", comp.DiffID, comp.Digest, diffID, digest)
	}
	rc, err = l.Uncompressed()
	if err != nil {
		t.Fatal(err)
	}
	unc, err := Analyze(context.Background(), rc, opts)
	rc.Close()
	if err != nil {
		t.Fatalf("Analyze(uncompressed): %v", err)
	}
	if unc.DiffID != diffID.String() || unc.Digest != diffID.String() {
		t.Errorf("uncompressed stream: got DiffID %s Digest %s, want both %s", unc.DiffID, unc.Digest, diffID)
	}
	unc.DiffID, unc.Digest = comp.DiffID, comp.Digest
	if d := cmpLayer(comp, unc); d != "" {
		t.Errorf("compressed and uncompressed analyses differ (-compressed +uncompressed):\n%s", d)
	}
	return comp
}

func wantAll(string, fs.FileMode) bool { return true }

// cmpLayer diffs two layers, treating nil and empty alike and comparing
// file contents with bytes.Equal (cmp's element-wise diff is slow on MBs).
func cmpLayer(want, got *Layer) string {
	return cmp.Diff(normLayer(want), normLayer(got), cmp.Comparer(bytes.Equal))
}

func normLayer(l *Layer) *Layer {
	if l == nil {
		return nil
	}
	c := *l
	if len(c.Entries) == 0 {
		c.Entries = nil
	}
	if len(c.Whiteouts) == 0 {
		c.Whiteouts = nil
	}
	if len(c.Opaque) == 0 {
		c.Opaque = nil
	}
	if len(c.Files) == 0 {
		c.Files = nil
	}
	if len(c.Errors) == 0 {
		c.Errors = nil
	}
	return &c
}

func errorsIsNotCaptured(err error) bool { return errors.Is(err, ErrNotCaptured) }
