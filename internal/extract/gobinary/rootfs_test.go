package gobinary

import (
	"os"
	"testing"
	"time"

	"github.com/customs-scanner/customs/internal/shareddata"

	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/extract/cargo"
	"github.com/customs-scanner/customs/internal/layerfs"
)

// TestRootfs runs the extractor over the benchmark Debian root filesystem
// (scripts/bench.sh --prepare builds it; CI does): how many files the path
// rule captures, how small the records are, what is found.
func TestRootfs(t *testing.T) {
	root := shareddata.Rootfs(t, "")
	exts := []extract.Extractor{New(), cargo.New()}
	wanted := 0
	wants := extract.Wants(exts)
	start := time.Now()
	l, err := layerfs.AnalyzeDir(t.Context(), root, layerfs.Options{
		Wants: func(p string, m os.FileMode) bool {
			w := wants(p, m)
			if w {
				wanted++
			}
			return w
		},
		Prepare: extract.Prepare(exts),
	})
	if err != nil {
		t.Fatal(err)
	}
	kept := 0
	for p, b := range l.Files {
		kept += len(b)
		t.Logf("kept %s: %d bytes", p, len(b))
	}
	res, err := extract.Run(t.Context(), []*layerfs.Layer{l}, []extract.LayerInfo{{DiffID: "sha256:a"}}, exts, extract.Options{})
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d files wanted, %d kept (%d bytes), %d packages, %d file errors, %v", wanted, len(l.Files), kept, len(res.Packages), len(res.Errors), time.Since(start))
	for _, p := range res.Packages {
		t.Logf("  %s %s %s (%s)", p.Locations[0].Path, p.Name, p.Version, p.Ecosystem)
	}
	if len(res.Packages) == 0 {
		t.Errorf("no packages: restic is a Go binary")
	}
}
