package binary

import (
	"io/fs"
	"os"
	"path/filepath"
	"runtime"
	"strings"
	"testing"
	"time"

	"github.com/customs-scanner/customs/internal/shareddata"
)

// TestRootfs runs the extractor over a real root filesystem (the Debian
// bookworm one at bench/rootfs/full, git-ignored, or CUSTOMS_ROOTFS) and
// logs every finding and the throughput. It checks that nothing is
// reported twice for a file and that every finding names a known product;
// precision is checked by hand from the log (see testdata/README.md).
func TestRootfs(t *testing.T) {
	root := shareddata.Rootfs(t, "")
	runtime.LockOSThread()
	defer runtime.UnlockOSThread()
	e := New()
	var files, bytes int64
	var elapsed, cpu time.Duration
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return nil
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if !e.Wants(rel, info.Mode()) || info.Size() > MaxSize {
			return nil
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return nil
		}
		start, startCPU := time.Now(), threadCPU()
		out, err := e.Prepare(rel, b)
		elapsed += time.Since(start)
		cpu += threadCPU() - startCPU
		files++
		bytes += int64(len(b))
		if err != nil {
			t.Errorf("%s: %v", rel, err)
		}
		fs, _, err := decode(out)
		if err != nil {
			t.Errorf("%s: %v", rel, err)
		}
		seen := map[string]bool{}
		for _, f := range fs {
			k := f.Product + "@" + f.Version
			if seen[k] {
				t.Errorf("%s: %s twice", rel, k)
			}
			seen[k] = true
			if _, ok := products[f.Product]; !ok {
				t.Errorf("%s: unknown product %q", rel, f.Product)
			}
			t.Logf("%-60s %-10s %-12s %q", rel, f.Product, f.Version, strings.ReplaceAll(f.Match, "\n", " "))
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	mb := float64(bytes) / 1e6
	t.Logf("%d files, %.1f MB in %v: %.0f MB/s wall, %.0f MB/s of CPU time (%v)", files, mb, elapsed, mb/elapsed.Seconds(), mb/cpu.Seconds(), cpu)
}
