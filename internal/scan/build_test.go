package scan

import (
	"crypto/sha256"
	"encoding/hex"
	"os"
	"path/filepath"
	"runtime/debug"
	"testing"

	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/image"
	"github.com/customs-scanner/customs/internal/layerfs"
)

func TestBuildInfoKey(t *testing.T) {
	info := func(version string, settings ...string) *debug.BuildInfo {
		bi := &debug.BuildInfo{GoVersion: "go1.26.8", Path: "github.com/customs-scanner/customs/cmd/customs"}
		bi.Main = debug.Module{Path: "github.com/customs-scanner/customs", Version: version}
		bi.Deps = []*debug.Module{{Path: "golang.org/x/mod", Version: "v0.43.0"}}
		for i := 0; i+1 < len(settings); i += 2 {
			bi.Settings = append(bi.Settings, debug.BuildSetting{Key: settings[i], Value: settings[i+1]})
		}
		return bi
	}
	const rev = "c6babbf00849e0728918cc0dc8cbbe64987a904c"
	clean := info("(devel)", "vcs.revision", rev, "vcs.modified", "false")
	tests := []struct {
		name  string
		bi    *debug.BuildInfo
		exact bool
	}{
		{"clean checkout", clean, true},
		{"dirty checkout", info("(devel)", "vcs.revision", rev, "vcs.modified", "true"), false},
		{"dirty checkout with a derived version", info("v1.2.4-0.20261206032607-c6babbf00849+dirty", "vcs.revision", rev, "vcs.modified", "true"), false},
		{"no VCS information (-buildvcs=false, go test)", info("(devel)"), false},
		{"module version (go install ...@v1.2.3)", info("v1.2.3"), true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			id, ok := buildInfoKey(tt.bi)
			if ok != tt.exact || ok && id == "" {
				t.Errorf("buildInfoKey = %q, %v; want exact = %v", id, ok, tt.exact)
			}
		})
	}
	// What else the build information holds (the code's revision, a
	// dependency, the toolchain) changes the ID.
	base, _ := buildInfoKey(clean)
	other := info("(devel)", "vcs.revision", "0000000000000000000000000000000000000001", "vcs.modified", "false")
	dep := info("(devel)", "vcs.revision", rev, "vcs.modified", "false")
	dep.Deps[0].Version = "v0.44.0"
	tool := info("(devel)", "vcs.revision", rev, "vcs.modified", "false")
	tool.GoVersion = "go1.27.0"
	for name, bi := range map[string]*debug.BuildInfo{"revision": other, "dependency": dep, "toolchain": tool} {
		if id, _ := buildInfoKey(bi); id == base {
			t.Errorf("another %s gives the same build ID %s", name, id)
		}
	}
}

func TestExeID(t *testing.T) {
	dir := t.TempDir()
	cache, err := layerfs.OpenCache(filepath.Join(dir, "cache"))
	if err != nil {
		t.Fatal(err)
	}
	exe := filepath.Join(dir, "customs")
	write := func(body string) string {
		if err := os.WriteFile(exe, []byte(body), 0o755); err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256([]byte(body))
		return "exe:" + hex.EncodeToString(h[:])
	}
	want := write("one build")
	for _, run := range []string{"first", "remembered"} {
		got, err := exeID(cache, exe)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Errorf("%s: exeID = %s, want %s", run, got, want)
		}
	}
	// A rebuilt executable has another identity, so it is hashed again.
	if ident := image.FileIdentity(exe); ident == "" {
		t.Skip("no file identity on this platform: every call hashes the executable")
	}
	want = write("another build, a little longer")
	if got, err := exeID(cache, exe); err != nil || got != want {
		t.Errorf("rebuilt executable: exeID = %s, %v; want %s", got, err, want)
	}
	if _, err := exeID(cache, filepath.Join(dir, "missing")); err == nil {
		t.Error("exeID of a missing executable: no error")
	}
}

// TestLayerCacheKeyHasBuild: results another build stored are not served,
// whatever versions the extractors report; the same results stored under
// this build's keys are (so the key, not chance, tells them apart).
func TestLayerCacheKeyHasBuild(t *testing.T) {
	img, _ := debianImage(t)
	path := "docker-archive:" + writeArchive(t, img)
	cold, err := Scan(t.Context(), path, Options{CacheDir: t.TempDir()})
	if err != nil {
		t.Fatal(err)
	}
	if len(cold.Packages) == 0 {
		t.Fatal("cold scan found no packages")
	}
	src, err := image.Open(t.Context(), path, image.Options{})
	if err != nil {
		t.Fatal(err)
	}
	ident := src.Identity()
	src.Close()
	if ident == "" {
		t.Skip("no file identity on this platform")
	}
	for _, tt := range []struct {
		name   string
		build  func(*layerfs.Cache) string
		served bool
	}{
		{"another build", func(*layerfs.Cache) string { return "exe:" + hex.EncodeToString(make([]byte, 32)) }, false},
		{"this build", func(c *layerfs.Cache) string { id, _ := buildID(c); return id }, true},
	} {
		t.Run(tt.name, func(t *testing.T) {
			dir := t.TempDir()
			cache, err := layerfs.OpenCache(dir)
			if err != nil {
				t.Fatal(err)
			}
			// What a build whose dpkg extractor found nothing would have
			// stored, extractor versions unchanged.
			a := &analyser{cache: cache, build: tt.build(cache), sig: extract.Signature(Extractors())}
			meta := cold.Target
			var diffIDs []string
			imeta := &image.Metadata{Ref: meta.Ref, Kind: meta.Kind}
			for _, l := range meta.Layers {
				diffIDs = append(diffIDs, l.DiffID)
				imeta.Layers = append(imeta.Layers, image.LayerMeta{Key: l.DiffID, CreatedBy: l.CreatedBy})
				a.store(scanned{layer: &layerfs.Layer{DiffID: l.DiffID, Files: map[string][]byte{}}}, "")
			}
			if err := cache.PutRecord(layerfs.Key("image", analyserVersion, a.build, a.sig, ident), imageRecord{Meta: imeta, DiffIDs: diffIDs}); err != nil {
				t.Fatal(err)
			}
			var read int
			r, err := Scan(t.Context(), path, Options{CacheDir: dir, Handler: progressFunc(func(e Event) {
				if !e.Cached && e.Done {
					read++
				}
			})})
			if err != nil {
				t.Fatal(err)
			}
			if served := read == 0 && len(r.Packages) == 0; served != tt.served {
				t.Errorf("layers read %d, packages %d: stored results served = %v, want %v", read, len(r.Packages), served, tt.served)
			}
		})
	}
}
