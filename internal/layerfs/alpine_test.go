package layerfs

import (
	"archive/tar"
	"compress/gzip"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"strings"
	"testing"
)

// TestAlpine analyses the single layer of a real docker-save archive
// (alpine:3.10, see testdata/README.md) straight out of the outer tar.
func TestAlpine(t *testing.T) {
	f, err := os.Open("testdata/alpine-310.tar.gz")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	// docker save writes the config before the layer in this archive.
	var diffIDs []string
	var layer *Layer
	wants := func(p string, _ fs.FileMode) bool {
		return p == "etc/alpine-release" || p == "lib/apk/db/installed"
	}
	tr := tar.NewReader(zr)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		switch {
		case strings.HasSuffix(h.Name, ".json") && h.Name != "manifest.json" && !strings.Contains(h.Name, "/"):
			var cfg struct {
				RootFS struct {
					DiffIDs []string `json:"diff_ids"`
				} `json:"rootfs"`
			}
			if err := json.NewDecoder(tr).Decode(&cfg); err != nil {
				t.Fatal(err)
			}
			diffIDs = cfg.RootFS.DiffIDs
		case strings.HasSuffix(h.Name, "/layer.tar"):
			layer, err = Analyze(t.Context(), tr, Options{Wants: wants})
			if err != nil {
				t.Fatalf("Analyze %s: %v", h.Name, err)
			}
		}
	}
	if layer == nil || len(diffIDs) != 1 {
		t.Fatalf("archive: layer found %v, diff_ids %v", layer != nil, diffIDs)
	}
	if layer.DiffID != diffIDs[0] {
		t.Errorf("DiffID = %s, config says %s", layer.DiffID, diffIDs[0])
	}
	fsys := Merge([]*Layer{layer})
	release, err := fsys.ReadFile("etc/alpine-release")
	if err != nil || string(release) != "3.10.4\n" {
		t.Errorf("etc/alpine-release = %q, %v; want 3.10.4", release, err)
	}
	installed, err := fsys.ReadFile("lib/apk/db/installed")
	if err != nil || !strings.Contains(string(installed), "P:musl\n") {
		t.Errorf("lib/apk/db/installed: %d bytes, %v; want the apk db with musl", len(installed), err)
	}
	if len(layer.Files) != 2 || len(layer.Errors) != 0 {
		t.Errorf("captured %d files with errors %v; want exactly the 2 wanted, no errors", len(layer.Files), layer.Errors)
	}
	if _, err := fsys.ReadFile("bin/busybox"); !errorsIsNotCaptured(err) {
		t.Errorf("bin/busybox: err = %v, want ErrNotCaptured", err)
	}
	// /bin/sh is a symlink to /bin/busybox in Alpine.
	if target, err := fsys.ReadLink("bin/sh"); err != nil || target != "/bin/busybox" {
		t.Errorf("ReadLink(bin/sh) = %q, %v", target, err)
	}
	if layer, ok := fsys.Origin("etc/alpine-release"); !ok || layer != 0 {
		t.Errorf("Origin = %d, %v", layer, ok)
	}
}
