package npm_test

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/customs-scanner/customs/internal/shareddata"

	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/extract/npm"
	"github.com/customs-scanner/customs/internal/layerfs"
)

// runDir analyses root as one layer and runs the walker with the npm
// extractor, prepared content included, as a scan does.
func runDir(t *testing.T, root string) *extract.Result {
	t.Helper()
	exts := []extract.Extractor{npm.New()}
	l, err := layerfs.AnalyzeDir(t.Context(), root, layerfs.Options{Wants: extract.Wants(exts), Prepare: extract.Prepare(exts)})
	if err != nil {
		t.Fatal(err)
	}
	res, err := extract.Run(t.Context(), []*layerfs.Layer{l}, []extract.LayerInfo{{DiffID: "sha256:a"}}, exts, extract.Options{})
	if err != nil {
		t.Fatal(err)
	}
	return res
}

func TestWalkerTestdataRootfs(t *testing.T) {
	res := runDir(t, filepath.Join("testdata", "rootfs"))
	if len(res.Errors) > 0 {
		t.Errorf("errors: %v", res.Errors)
	}
	if len(res.Packages) != 25 {
		t.Fatalf("got %d packages, want 25", len(res.Packages))
	}
	p := res.Packages[0]
	if p.PURL != "pkg:npm/%40types/busboy@1.5.0" || p.Locations[0].Path != "usr/share/nodejs/@types/busboy/package.json" || p.FoundBy != "lang/npm" {
		t.Errorf("first package = %+v", p)
	}
}

// TestWalkerBenchRootfs runs over the Debian bookworm root filesystem with
// nodejs installed (bench/rootfs/full, git-ignored: CI builds it).
func TestWalkerBenchRootfs(t *testing.T) {
	shareddata.Rootfs(t, "usr/share/nodejs")
	root := shareddata.Rootfs(t, "")
	res := runDir(t, root)
	debian, lockOnly := 0, 0
	for _, p := range res.Packages {
		switch {
		case strings.HasPrefix(p.Locations[0].Path, "usr/share/nodejs/"):
			debian++
		case strings.HasSuffix(p.Locations[0].Path, "package-lock.json"):
			lockOnly++ // scripts/bench.sh installs every locked package
		}
	}
	if debian != 25 || lockOnly != 0 {
		t.Errorf("got %d packages in usr/share/nodejs (want 25) and %d only in a lockfile (want 0, they are installed)", debian, lockOnly)
	}
	for _, e := range res.Errors {
		t.Logf("file error: %v", e)
	}
}
