package layerfs

import (
	"archive/tar"
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/compression"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"

	"github.com/customs-scanner/customs/internal/inventory"
)

func TestAnalyzeDigests(t *testing.T) {
	small := tarBytes(t, dir("etc"), reg("etc/os-release", "ID=test\n"), sym("bin/sh", "/bin/busybox"))
	rnd, err := random.Layer(300<<10, types.DockerLayer)
	if err != nil {
		t.Fatal(err)
	}
	rndTar := func() []byte {
		rc, err := rnd.Uncompressed()
		if err != nil {
			t.Fatal(err)
		}
		defer rc.Close()
		b, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		return b
	}()
	// Several hash buffers' worth of content, to exercise buffer recycling.
	big := tarBytes(t, reg("big", strings.Repeat("0123456789abcdef", 200<<10)), reg("after", "x"))
	tests := []struct {
		name string
		tar  []byte
		opts []tarball.LayerOption
	}{
		{"small gzip", small, nil},
		{"random gzip", rndTar, nil},
		{"big gzip", big, nil},
		{"small zstd", small, []tarball.LayerOption{tarball.WithCompression(compression.ZStd)}},
		{"big zstd", big, []tarball.LayerOption{tarball.WithCompression(compression.ZStd)}},
		{"empty tar", tarBytes(t), nil},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			analyzeLayer(t, ggcrLayer(t, tc.tar, tc.opts...), Options{Wants: wantAll})
		})
	}
	t.Run("random.Layer streams", func(t *testing.T) {
		analyzeLayer(t, rnd, Options{})
	})
}

func TestAnalyzeEntries(t *testing.T) {
	in := tarBytes(t,
		dir("./"),
		dir("./etc/"),
		reg("./etc/passwd", "root:x:0:0\n"),
		tf{name: "/usr/bin/sudo", body: "ELF", mode: 0o4755, uid: 7},
		reg("usr/lib/big", "0123456789abc"),
		reg("usr/lib/unwanted", "secret"),
		sym("usr/lib/libc.so", "../../lib/libc.so.6"),
		hardlink("usr/bin/sudoedit", "/usr/bin/sudo"),
		hardlink("usr/bin/unwanted-link", "usr/lib/unwanted"),
		reg("var/.wh.cache", ""),
		reg("opt/app/.wh..wh..opq", ""),
		reg(".wh.tmp", ""),
		reg("../../etc/shadow", "evil"),
		reg("a/../../escape", "evil"),
		hardlink("usr/bin/evil-link", "../../../etc/shadow"),
		reg("a/b/../c", "cleaned"),
	)
	wants := func(p string, _ fs.FileMode) bool { return !strings.Contains(p, "unwanted") }
	got, err := Analyze(t.Context(), bytes.NewReader(in), Options{Wants: wants, MaxFileSize: 12})
	if err != nil {
		t.Fatal(err)
	}
	got.DiffID, got.Digest = "", ""
	want := &Layer{
		Entries: []Entry{
			{Path: "etc", Mode: fs.ModeDir | 0o755},
			{Path: "etc/passwd", Mode: 0o644, Size: 11},
			{Path: "usr/bin/sudo", Mode: fs.ModeSetuid | 0o755, Size: 3, UID: 7, GID: 7},
			{Path: "usr/lib/big", Mode: 0o644, Size: 13},
			{Path: "usr/lib/unwanted", Mode: 0o644, Size: 6},
			{Path: "usr/lib/libc.so", Mode: fs.ModeSymlink | 0o644, Linkname: "../../lib/libc.so.6"},
			{Path: "usr/bin/sudoedit", Mode: 0o644, Linkname: "usr/bin/sudo", Hardlink: true},
			{Path: "usr/bin/unwanted-link", Mode: 0o644, Linkname: "usr/lib/unwanted", Hardlink: true},
			{Path: "a/c", Mode: 0o644, Size: 7},
		},
		Whiteouts: []string{"var/cache", "tmp"},
		Opaque:    []string{"opt/app"},
		Files: map[string][]byte{
			"etc/passwd":       []byte("root:x:0:0\n"),
			"usr/bin/sudo":     []byte("ELF"),
			"usr/bin/sudoedit": []byte("ELF"),
			"a/c":              []byte("cleaned"),
		},
		Errors: []inventory.FileError{
			{Path: "usr/lib/big", Err: "skipped: larger than 12 bytes (13)"},
			{Path: "../../etc/shadow", Err: "skipped: path escapes the root"},
			{Path: "a/../../escape", Err: "skipped: path escapes the root"},
			{Path: "usr/bin/evil-link", Err: `skipped: hard link target "../../../etc/shadow" escapes the root`},
		},
	}
	if d := cmpLayer(want, got); d != "" {
		t.Errorf("Analyze mismatch (-want +got):\n%s", d)
	}
}

func TestAnalyzeWantsLarge(t *testing.T) {
	in := tarBytes(t, reg("small", "1"), reg("big/warned", "0123456789"), reg("big/ignored", "0123456789"))
	large := func(p string, _ fs.FileMode, size int64) bool { return p == "big/warned" && size == 10 }
	got, err := Analyze(t.Context(), bytes.NewReader(in), Options{Wants: wantAll, MaxFileSize: 9, WantsLarge: large})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string][]byte{"small": []byte("1")}, got.Files); d != "" {
		t.Errorf("Files (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]inventory.FileError{{Path: "big/warned", Err: "skipped: larger than 9 bytes (10)"}}, got.Errors); d != "" {
		t.Errorf("Errors (-want +got):\n%s", d)
	}
}

func TestAnalyzeTotalBudget(t *testing.T) {
	in := tarBytes(t, reg("a", "12345"), reg("b", "12345"), reg("c", "1"))
	got, err := Analyze(t.Context(), bytes.NewReader(in), Options{Wants: wantAll, MaxTotalSize: 7})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmp.Diff(map[string][]byte{"a": []byte("12345"), "c": []byte("1")}, got.Files); d != "" {
		t.Errorf("Files (-want +got):\n%s", d)
	}
	if d := cmp.Diff([]inventory.FileError{{Path: "b", Err: "skipped: captured content of the layer would exceed 2 bytes"}}, got.Errors); d != "" {
		t.Errorf("Errors (-want +got):\n%s", d)
	}
}

func gzipBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	var buf bytes.Buffer
	zw := gzip.NewWriter(&buf)
	zw.Write(b)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return buf.Bytes()
}

func zstdBytes(t testing.TB, b []byte) []byte {
	t.Helper()
	zw, err := zstd.NewWriter(nil)
	if err != nil {
		t.Fatal(err)
	}
	return zw.EncodeAll(b, nil)
}

func TestAnalyzeZstdKlauspost(t *testing.T) {
	in := tarBytes(t, reg("etc/alpine-release", "3.10.4\n"), reg("x", strings.Repeat("z", 1<<20)))
	comp := zstdBytes(t, in)
	got, err := Analyze(t.Context(), bytes.NewReader(comp), Options{Wants: wantAll})
	if err != nil {
		t.Fatal(err)
	}
	plain, err := Analyze(t.Context(), bytes.NewReader(in), Options{Wants: wantAll})
	if err != nil {
		t.Fatal(err)
	}
	if got.DiffID != plain.Digest || got.Digest == got.DiffID {
		t.Errorf("zstd: DiffID %s Digest %s; want DiffID %s and a different Digest", got.DiffID, got.Digest, plain.Digest)
	}
	if string(got.Files["etc/alpine-release"]) != "3.10.4\n" {
		t.Errorf("content: got %q", got.Files["etc/alpine-release"])
	}
}

func TestAnalyzeBadInput(t *testing.T) {
	noise := make([]byte, 3000)
	rand.NewChaCha8([32]byte{1}).Read(noise)
	valid := tarBytes(t, reg("etc/passwd", string(noise)), reg("etc/group", "root:x:0:\n"))
	gz := gzipBytes(t, valid)
	zs := zstdBytes(t, valid)
	tests := []struct {
		name    string
		in      []byte
		wantErr string // substring; "" means success
	}{
		{"truncated tar in body", valid[:1500], `read layer: unexpected EOF in tar entry "etc/passwd"`},
		{"truncated tar in header", valid[:100], "read layer: unexpected EOF in first tar header"},
		{"truncated gzip", gz[:len(gz)/2], "read layer: unexpected EOF in tar entry"},
		{"gzip header only", gz[:5], "read layer: gzip: unexpected EOF"},
		{"corrupt gzip checksum", append(gz[:len(gz)-8:len(gz)-8], 0, 0, 0, 0, 0, 0, 0, 0), "gzip: invalid checksum"},
		{"truncated zstd", zs[:len(zs)/2], "read layer: unexpected EOF"},
		{"garbage", bytes.Repeat([]byte("not a tar "), 100), "read layer: archive/tar: invalid tar header in first tar header"},
		{"empty input is an empty layer", nil, ""},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			l, err := Analyze(t.Context(), bytes.NewReader(tc.in), Options{Wants: wantAll})
			if tc.wantErr == "" {
				if err != nil {
					t.Fatalf("Analyze: %v", err)
				}
				if len(l.Entries) != 0 || l.DiffID != "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855" {
					t.Errorf("got %d entries, DiffID %s; want none and the sha256 of nothing", len(l.Entries), l.DiffID)
				}
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Analyze error = %v; want it to contain %q", err, tc.wantErr)
			}
		})
	}
}

func TestAnalyzeCancelled(t *testing.T) {
	in := tarBytes(t, reg("a", "1"), reg("b", strings.Repeat("2", 2<<20)))
	ctx, cancel := context.WithCancel(t.Context())
	cancel()
	_, err := Analyze(ctx, bytes.NewReader(in), Options{})
	if !errors.Is(err, context.Canceled) {
		t.Fatalf("Analyze with cancelled ctx: err = %v, want context.Canceled", err)
	}
}

// oneByteReader returns one byte per Read, to exercise short reads.
type oneByteReader struct{ r io.Reader }

func (o oneByteReader) Read(p []byte) (int, error) {
	if len(p) == 0 {
		return 0, nil
	}
	return o.r.Read(p[:1])
}

func TestAnalyzeShortReads(t *testing.T) {
	in := tarBytes(t, reg("a", "hello"), dir("d"), reg("d/b", strings.Repeat("x", 10000)))
	want, err := Analyze(t.Context(), bytes.NewReader(gzipBytes(t, in)), Options{Wants: wantAll})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Analyze(t.Context(), oneByteReader{bytes.NewReader(gzipBytes(t, in))}, Options{Wants: wantAll})
	if err != nil {
		t.Fatal(err)
	}
	if d := cmpLayer(want, got); d != "" {
		t.Errorf("short reads changed the result (-want +got):\n%s", d)
	}
}

func FuzzAnalyze(f *testing.F) {
	seeds := [][]byte{
		tarBytes(f, dir("etc"), reg("etc/passwd", "root"), sym("l", "/etc/passwd"), hardlink("h", "etc/passwd"),
			reg("x/.wh.y", ""), reg("z/.wh..wh..opq", ""), reg("../up", "u")),
		tarBytes(f),
		nil,
	}
	for _, s := range seeds {
		f.Add(s)
		f.Add(gzipBytes(f, s))
		f.Add(zstdBytes(f, s))
	}
	f.Fuzz(func(t *testing.T, in []byte) {
		l, err := Analyze(t.Context(), bytes.NewReader(in), Options{Wants: wantAll, MaxFileSize: 1 << 20, MaxTotalSize: 4 << 20})
		if err != nil {
			return
		}
		for _, e := range l.Entries {
			if e.Path == "" || e.Path == "." || strings.HasPrefix(e.Path, "/") || e.Path == ".." || strings.HasPrefix(e.Path, "../") {
				t.Fatalf("unsafe entry path %q", e.Path)
			}
		}
		fsys := Merge([]*Layer{l})
		fsys.Entries(func(p string, _ Entry, _ int) bool {
			fsys.ReadFile(p)
			fsys.Stat(p)
			return true
		})
	})
}

var _ = tar.TypeReg

func TestAnalyzeHashesTrailingBytes(t *testing.T) {
	in := append(tarBytes(t, reg("a", "1")), make([]byte, 9000)...) // record padding after the end marker
	for name, stream := range map[string][]byte{"tar": in, "gzip": gzipBytes(t, in), "zstd": zstdBytes(t, in)} {
		t.Run(name, func(t *testing.T) {
			l, err := Analyze(t.Context(), bytes.NewReader(stream), Options{})
			if err != nil {
				t.Fatal(err)
			}
			want := fmt.Sprintf("sha256:%x", sha256.Sum256(in))
			wantDigest := fmt.Sprintf("sha256:%x", sha256.Sum256(stream))
			if l.DiffID != want || l.Digest != wantDigest {
				t.Errorf("DiffID %s Digest %s; want %s %s", l.DiffID, l.Digest, want, wantDigest)
			}
		})
	}
}

func TestAnalyzeSkipDigest(t *testing.T) {
	in := tarBytes(t, reg("etc/os-release", "ID=debian\n"))
	plain, err := Analyze(t.Context(), bytes.NewReader(in), Options{Wants: wantAll, SkipDigest: true})
	if err != nil {
		t.Fatal(err)
	}
	got, err := Analyze(t.Context(), bytes.NewReader(gzipBytes(t, in)), Options{Wants: wantAll, SkipDigest: true})
	if err != nil {
		t.Fatal(err)
	}
	if got.DiffID != plain.DiffID || got.Digest != "" || plain.Digest != plain.DiffID {
		t.Errorf("gzip: DiffID %s Digest %q; plain: DiffID %s Digest %s", got.DiffID, got.Digest, plain.DiffID, plain.Digest)
	}
	if string(got.Files["etc/os-release"]) != "ID=debian\n" {
		t.Errorf("content not captured: %q", got.Files["etc/os-release"])
	}
}

func TestAnalyzePrepare(t *testing.T) {
	in := tarBytes(t, reg("app/big.jar", strings.Repeat("x", 5000)), reg("app/skip.jar", "y"), reg("app/bad.jar", "z"))
	prepare := func(p string, _ fs.FileMode, b []byte) ([]byte, error) {
		switch p {
		case "app/skip.jar":
			return nil, nil
		case "app/bad.jar":
			return nil, errors.New("not a zip file")
		}
		return []byte(fmt.Sprintf("%d bytes", len(b))), nil
	}
	l, err := Analyze(t.Context(), bytes.NewReader(in), Options{Wants: wantAll, Prepare: prepare, MaxTotalSize: 100})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(map[string][]byte{"app/big.jar": []byte("5000 bytes")}, l.Files); diff != "" {
		t.Errorf("files (-want +got):\n%s", diff)
	}
	if len(l.Errors) != 1 || !strings.Contains(l.Errors[0].Err, "not a zip file") || l.Errors[0].Path != "app/bad.jar" {
		t.Errorf("errors = %+v", l.Errors)
	}
}
