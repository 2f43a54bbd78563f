package extract_test

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/extract/apk"
	"github.com/customs-scanner/customs/internal/extract/npm"
	"github.com/customs-scanner/customs/internal/layerfs"
)

// layer makes an analysed layer holding the given files.
func layer(files map[string]string, whiteouts ...string) *layerfs.Layer {
	l := &layerfs.Layer{Files: map[string][]byte{}, Whiteouts: whiteouts}
	for p, body := range files {
		l.Entries = append(l.Entries, layerfs.Entry{Path: p, Mode: 0o644, Size: int64(len(body))})
		l.Files[p] = []byte(body)
	}
	return l
}

// TestRunAttributesLayers follows one real apk database through layers that
// install it, keep it, delete it and install it again.
func TestRunAttributesLayers(t *testing.T) {
	db, err := os.ReadFile(filepath.Join("apk", "testdata", "trivy-image_alpine-310_installed"))
	if err != nil {
		t.Fatal(err)
	}
	const dbPath = "lib/apk/db/installed"
	const osRelease = "ID=alpine\nVERSION_ID=3.10.4\n"
	tests := []struct {
		name   string
		layers []*layerfs.Layer
		// wantCount packages are reported, each attributed to layer
		// wantLayer and located in the copy of layer wantLocLay.
		wantCount  int
		wantLayer  int
		wantLocLay int
	}{
		{"installed in the base", []*layerfs.Layer{layer(map[string]string{dbPath: string(db), "etc/os-release": osRelease}), layer(map[string]string{"app/x": "1"})}, 14, 0, 0},
		{"rewritten unchanged keeps the base", []*layerfs.Layer{layer(map[string]string{dbPath: string(db), "etc/os-release": osRelease}), layer(map[string]string{dbPath: string(db)})}, 14, 0, 1},
		{"deleted", []*layerfs.Layer{layer(map[string]string{dbPath: string(db)}), layer(nil, dbPath)}, 0, 0, 0},
		{"deleted then reinstalled", []*layerfs.Layer{layer(map[string]string{dbPath: string(db)}), layer(nil, "lib"), layer(map[string]string{dbPath: string(db)})}, 14, 2, 2},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			infos := make([]extract.LayerInfo, len(tc.layers))
			for i := range infos {
				infos[i] = extract.LayerInfo{DiffID: "sha256:" + string(rune('a'+i)), CreatedBy: "step " + string(rune('a'+i))}
			}
			res, err := extract.Run(t.Context(), tc.layers, infos, []extract.Extractor{apk.New()}, extract.Options{})
			if err != nil {
				t.Fatal(err)
			}
			if len(res.Packages) != tc.wantCount {
				t.Fatalf("packages = %d, want %d", len(res.Packages), tc.wantCount)
			}
			for _, p := range res.Packages {
				got := []string{p.Layer, p.CreatedBy, p.Locations[0].Path, p.Locations[0].Layer}
				want := []string{infos[tc.wantLayer].DiffID, infos[tc.wantLayer].CreatedBy, dbPath, infos[tc.wantLocLay].DiffID}
				if diff := cmp.Diff(want, got); diff != "" {
					t.Errorf("%s (-want +got):\n%s", p.Name, diff)
				}
				if p.ID == "" {
					t.Errorf("%s: no ID", p.Name)
				}
			}
		})
	}
}

func TestWantsAndSignature(t *testing.T) {
	exts := []extract.Extractor{apk.New()}
	w := extract.Wants(exts)
	for p, want := range map[string]bool{"lib/apk/db/installed": true, "etc/os-release": true, "usr/bin/env": false} {
		if got := w(p, fs.FileMode(0o644)); got != want {
			t.Errorf("Wants(%q) = %v, want %v", p, got, want)
		}
	}
	if got := extract.Signature(exts); got != "os/apk@1,osrelease" {
		t.Errorf("Signature = %q", got)
	}
}

// TestDedupeLockfileAndInstalled: a package declared by a lockfile and
// installed below it is one package with both locations; the same package
// in another project stays separate.
func TestDedupeLockfileAndInstalled(t *testing.T) {
	lock := `{"name":"app","lockfileVersion":3,"requires":true,"packages":{"":{"name":"app","version":"1.0.0"},"node_modules/ms":{"version":"2.1.3","license":"MIT"}}}`
	l := layer(map[string]string{
		"srv/app/package-lock.json":              lock,
		"srv/app/node_modules/ms/package.json":   `{"name":"ms","version":"2.1.3","license":"MIT"}`,
		"srv/other/node_modules/ms/package.json": `{"name":"ms","version":"2.1.3","license":"MIT"}`,
	})
	res, err := extract.Run(t.Context(), []*layerfs.Layer{l}, []extract.LayerInfo{{DiffID: "sha256:aa"}}, []extract.Extractor{npm.New()}, extract.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got [][]string
	for _, p := range res.Packages {
		var locs []string
		for _, loc := range p.Locations {
			locs = append(locs, loc.Path)
		}
		got = append(got, locs)
	}
	want := [][]string{
		{"srv/app/node_modules/ms/package.json", "srv/app/package-lock.json"},
		{"srv/other/node_modules/ms/package.json"},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("locations (-want +got):\n%s", diff)
	}
}
