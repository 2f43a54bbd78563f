package secrets

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"
)

// corpusFile is one file Wants accepted, as the walker hands it to Prepare.
type corpusFile struct {
	path    string
	content []byte
}

// loadCorpus reads every regular file under root that Wants accepts and
// that is at most DefaultMaxSize (larger ones cost Prepare one comparison),
// with the path as the walker sees it (root-relative, no leading slash).
func loadCorpus(b *testing.B, root string, skip func(rel string) bool) ([]corpusFile, int64) {
	b.Helper()
	s := New(DefaultRules())
	var files []corpusFile
	var total int64
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return nil // unreadable trees are left out
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." && skip != nil && skip(rel) {
				return filepath.SkipDir
			}
			return nil
		}
		info, err := d.Info()
		if err != nil || !s.Wants(rel, info.Mode()) || info.Size() > DefaultMaxSize {
			return nil
		}
		content, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		files = append(files, corpusFile{rel, content})
		total += int64(len(content))
		return nil
	})
	if err != nil {
		b.Fatal(err)
	}
	if len(files) == 0 {
		b.Skipf("no files under %s", root)
	}
	return files, total
}

// BenchmarkPrepare runs Prepare, as the layer walk does, over every file
// Wants accepts in three real trees: this repository (sources, docs,
// testdata), the shared data beside it (lockfiles and package databases;
// absent on a fresh clone) and the Debian root filesystem scripts/bench.sh
// builds (text and binaries, as in the benchmark image; absent unless the
// script ran). MB/s counts every byte offered, binaries included.
func BenchmarkPrepare(b *testing.B) {
	trees := []struct {
		name, root string
		skip       func(rel string) bool
	}{
		{"repo", filepath.Join("..", "..", ".."), func(rel string) bool { return rel == ".git" || rel == "bench" }},
		{"shared", filepath.Join("..", "..", "..", "..", "shared", "data", "pkgdb"), nil},
		{"rootfs", filepath.Join("..", "..", "..", "bench", "rootfs", "full"), func(rel string) bool { return rel == "proc" || rel == "sys" || rel == "dev" }},
	}
	for _, tr := range trees {
		b.Run(tr.name, func(b *testing.B) {
			if _, err := os.Stat(tr.root); err != nil {
				b.Skipf("%s not present", tr.root)
			}
			files, total := loadCorpus(b, tr.root, tr.skip)
			s := New(DefaultRules())
			b.SetBytes(total)
			b.ResetTimer()
			for b.Loop() {
				ls := s.Layer()
				for _, f := range files {
					if _, err := ls.Prepare(f.path, f.content); err != nil {
						b.Fatal(err)
					}
				}
			}
		})
	}
}
