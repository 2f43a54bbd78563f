package layerfs

import (
	"archive/tar"
	"bytes"
	"crypto/sha256"
	"fmt"
	"io"
	"io/fs"
	"math/rand/v2"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/klauspost/compress/gzip"
	"github.com/klauspost/compress/zstd"
)

var benchData struct {
	once          sync.Once
	tar, gz, zstd []byte
}

// benchLayer builds a ~50 MB layer resembling a distro image: a few
// thousand text-like files of 1-64 KiB, some larger binaries-like blobs,
// symlinks and directories. It compresses to roughly a third with gzip.
func benchLayer(b *testing.B) (tarB, gzB, zstdB []byte) {
	b.Helper()
	benchData.once.Do(func() {
		rng := rand.New(rand.NewPCG(1, 2))
		words := strings.Fields("the quick brown fox jumps over lazy dog lib usr bin share doc package version license copyright " +
			"error warning config data value true false 0x7f454c46 amd64 arm64 musl glibc openssl zlib libc python node java")
		var buf bytes.Buffer
		tw := tar.NewWriter(&buf)
		body := make([]byte, 0, 1<<20)
		for i := 0; buf.Len() < 50<<20; i++ {
			dir := fmt.Sprintf("usr/share/pkg%03d", i/50)
			if i%50 == 0 {
				tw.WriteHeader(&tar.Header{Name: dir + "/", Typeflag: tar.TypeDir, Mode: 0o755})
			}
			size := 1<<10 + rng.IntN(64<<10)
			if i%200 == 0 {
				size = 1 << 20
			}
			body = body[:0]
			for len(body) < size {
				if i%7 == 0 { // incompressible, like an already-compressed blob
					body = append(body, byte(rng.Uint32()))
					continue
				}
				body = append(body, words[rng.IntN(len(words))]...)
				body = append(body, ' ')
			}
			body = body[:size]
			name := fmt.Sprintf("%s/file%05d", dir, i)
			tw.WriteHeader(&tar.Header{Name: name, Typeflag: tar.TypeReg, Mode: 0o644, Size: int64(size)})
			tw.Write(body)
			if i%10 == 0 {
				tw.WriteHeader(&tar.Header{Name: name + ".link", Typeflag: tar.TypeSymlink, Linkname: "file", Mode: 0o777})
			}
		}
		tw.WriteHeader(&tar.Header{Name: "lib/apk/db/installed", Typeflag: tar.TypeReg, Mode: 0o644, Size: 5})
		tw.Write([]byte("P:x\n\n"))
		tw.Close()
		benchData.tar = buf.Bytes()

		var gz bytes.Buffer
		zw := gzip.NewWriter(&gz)
		zw.Write(benchData.tar)
		zw.Close()
		benchData.gz = gz.Bytes()

		enc, _ := zstd.NewWriter(nil)
		benchData.zstd = enc.EncodeAll(benchData.tar, nil)
	})
	return benchData.tar, benchData.gz, benchData.zstd
}

func benchWants(p string, _ fs.FileMode) bool {
	return p == "lib/apk/db/installed" || strings.HasSuffix(p, "00")
}

func BenchmarkAnalyze(b *testing.B) {
	tarB, gzB, zstdB := benchLayer(b)
	b.Logf("tar %d MB, gzip %d MB, zstd %d MB", len(tarB)>>20, len(gzB)>>20, len(zstdB)>>20)
	run := func(name string, in []byte, f func(r io.Reader) error) {
		b.Run(name, func(b *testing.B) {
			b.SetBytes(int64(len(tarB)))
			b.ReportAllocs()
			for b.Loop() {
				if err := f(bytes.NewReader(in)); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
	analyze := func(r io.Reader) error {
		_, err := Analyze(b.Context(), r, Options{Wants: benchWants})
		return err
	}
	readTar := func(r io.Reader) error {
		tr := tar.NewReader(r)
		for {
			_, err := tr.Next()
			if err == io.EOF {
				return nil
			}
			if err != nil {
				return err
			}
			if _, err := io.Copy(io.Discard, tr); err != nil {
				return err
			}
		}
	}
	run("tar/baseline-tar-read", tarB, readTar)
	run("tar/baseline-sha256-only", tarB, func(r io.Reader) error {
		_, err := io.Copy(sha256.New(), r)
		return err
	})
	run("tar/baseline-tar-read+sha256", tarB, func(r io.Reader) error {
		return readTar(io.TeeReader(r, sha256.New()))
	})
	run("tar/analyze", tarB, analyze)
	run("gzip/baseline-gunzip", gzB, func(r io.Reader) error {
		zr, err := gzip.NewReader(r)
		if err != nil {
			return err
		}
		_, err = io.Copy(io.Discard, zr)
		return err
	})
	run("gzip/analyze", gzB, analyze)
	run("zstd/baseline-unzstd", zstdB, func(r io.Reader) error {
		zr, err := zstd.NewReader(r, zstd.WithDecoderConcurrency(1))
		if err != nil {
			return err
		}
		defer zr.Close()
		_, err = io.Copy(io.Discard, zr)
		return err
	})
	run("zstd/analyze", zstdB, analyze)
}

// BenchmarkSortPaths sorts the paths of the Debian root filesystem
// scripts/bench.sh builds (absent unless the script ran: skipped), as
// FS.Entries does once per scan.
func BenchmarkSortPaths(b *testing.B) {
	root := filepath.Join("..", "..", "bench", "rootfs", "full")
	var paths []string
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if rel, _ := filepath.Rel(root, p); err == nil && rel != "." {
			paths = append(paths, filepath.ToSlash(rel))
		}
		return nil
	})
	if err != nil || len(paths) == 0 {
		b.Skip("no bench rootfs")
	}
	rand.New(rand.NewPCG(1, 2)).Shuffle(len(paths), func(i, j int) { paths[i], paths[j] = paths[j], paths[i] })
	for b.Loop() {
		sortPaths(slices.Clone(paths))
	}
}
