package image

import (
	"bytes"
	"compress/gzip"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

func handArchive(t testing.TB, mutateEntries func([]tarEntry) []tarEntry) []byte {
	t.Helper()
	l1 := layerTar(t, "etc/os-release", "ID=test\n")
	l2 := layerTar(t, "usr/bin/x", "x")
	cfg := v1.ConfigFile{
		OS: "linux", Architecture: "amd64",
		RootFS: v1.RootFS{Type: "layers", DiffIDs: []v1.Hash{mustHash(sha(l1)), mustHash(sha(l2)), mustHash(sha(l1))}},
		History: []v1.History{
			{CreatedBy: "ADD os-release"}, {CreatedBy: "ENV a=b", EmptyLayer: true},
			{CreatedBy: "ADD x"}, {CreatedBy: "ADD os-release again"},
		},
	}
	cfgRaw, _ := json.Marshal(cfg)
	manifest := `[{"Config":"cfg.json","RepoTags":["hand:1"],"Layers":["a/layer.tar","b/layer.tar","c/layer.tar"]}]`
	entries := []tarEntry{
		{Name: "a/layer.tar", Body: l1},
		{Name: "b/layer.tar", Body: l2},
		{Name: "c/layer.tar", Linkname: "../a/layer.tar"},
		{Name: "a/VERSION", Body: []byte("1.0")},
		{Name: "cfg.json", Body: cfgRaw},
		{Name: "manifest.json", Body: []byte(manifest)},
	}
	if mutateEntries != nil {
		entries = mutateEntries(entries)
	}
	return makeTar(t, entries, false)
}

func mustHash(s string) v1.Hash {
	h, err := v1.NewHash(s)
	if err != nil {
		panic(err)
	}
	return h
}

func TestBadArchives(t *testing.T) {
	alpine, err := os.ReadFile(alpineGz)
	if err != nil {
		t.Fatal(err)
	}
	zr, err := gzip.NewReader(bytes.NewReader(alpine))
	if err != nil {
		t.Fatal(err)
	}
	alpinePlain, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	replace := func(name string, body string) func([]tarEntry) []tarEntry {
		return func(es []tarEntry) []tarEntry {
			for i := range es {
				if es[i].Name == name {
					es[i].Body = []byte(body)
				}
			}
			return es
		}
	}
	for _, tc := range []struct {
		name    string
		data    []byte
		openErr string // error expected from Open, else from Read
		readErr string
	}{
		{name: "empty file", data: nil, openErr: "empty file"},
		{name: "text file", data: []byte(strings.Repeat("hello, not a tar\n", 64)), openErr: "not a docker-archive or OCI archive (not a tar file); name the kind with a scheme prefix"},
		{name: "short text", data: []byte("hi"), openErr: "too short for a tar file"},
		{name: "truncated gzip", data: alpine[:len(alpine)/2], readErr: "truncated"},
		{name: "truncated tar", data: alpinePlain[:len(alpinePlain)/2], readErr: "truncated"},
		{name: "tar without image", data: makeTar(t, []tarEntry{{Name: "hello.txt", Body: []byte("hi")}}, false),
			readErr: "not a docker-archive or OCI archive (no manifest.json or index.json); name the kind with a scheme prefix"},
		{name: "missing layer", data: handArchive(t, func(es []tarEntry) []tarEntry { return es[1:] }),
			readErr: `layer "a/layer.tar" named by the manifest is missing from the archive`},
		{name: "layer not a tar", data: handArchive(t, replace("b/layer.tar", "plain text")),
			readErr: `layer "b/layer.tar" named by the manifest is not a tar, gzip or zstd stream`},
		{name: "garbage manifest.json", data: handArchive(t, replace("manifest.json", "{not json")),
			readErr: "parse manifest.json"},
		{name: "empty manifest.json", data: handArchive(t, replace("manifest.json", "[]")),
			readErr: "manifest.json lists no images"},
		{name: "garbage config", data: handArchive(t, replace("cfg.json", `{"rootfs": 7}`)),
			readErr: "parse image config"},
		{name: "missing config", data: handArchive(t, replace("manifest.json", `[{"Config":"nope.json","Layers":[]}]`)),
			readErr: `manifest.json names config "nope.json", which the archive does not hold`},
		{name: "diff_ids mismatch", data: handArchive(t, replace("manifest.json", `[{"Config":"cfg.json","Layers":["a/layer.tar"]}]`)),
			readErr: "image config lists 3 layer diff_ids but the manifest 1 layers"},
	} {
		for _, conc := range []int{1, 4} {
			t.Run(fmt.Sprintf("%s/concurrency %d", tc.name, conc), func(t *testing.T) {
				p := filepath.Join(t.TempDir(), "bad.tar")
				writeFile(t, p, tc.data)
				src, err := Open(t.Context(), p, Options{Concurrency: conc})
				if tc.openErr != "" {
					if err == nil || !strings.Contains(err.Error(), tc.openErr) {
						t.Fatalf("Open error = %v, want it to contain %q", err, tc.openErr)
					}
					if !strings.HasPrefix(err.Error(), `open image "`+p+`": `) {
						t.Errorf("Open error = %q, want it to start with the image name", err)
					}
					return
				}
				if err != nil {
					t.Fatalf("Open: %v", err)
				}
				_, _, err = tryRead(t.Context(), src)
				if err == nil || !strings.Contains(err.Error(), tc.readErr) {
					t.Fatalf("Read error = %v, want it to contain %q", err, tc.readErr)
				}
				if strings.Contains(err.Error(), "\n") {
					t.Errorf("error spans lines: %q", err)
				}
			})
		}
	}
}

func TestOpenErrors(t *testing.T) {
	wd, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ name, ref, wantErr string }{
		{"empty", "", "empty image reference"},
		{"missing file", "./nope.tar", "nope.tar does not exist (./nope.tar is resolved from the working directory "},
		{"missing file, near name", "./testdata/alpine-310.tar", "/testdata/alpine-310.tar does not exist (./testdata/alpine-310.tar is resolved from the working directory "},
		{"missing file, near name 2", "./testdata/alpine-310.tar", "); did you mean " + filepath.Join(wd, "testdata", "alpine-310.tar.gz") + "?"},
		{"missing archive", "docker-archive:/nonexistent/a.tar", "file /nonexistent/a.tar does not exist; neither does its directory /nonexistent: check the path"},
		{"scheme typo", "dockr:foo", `unknown scheme "dockr:", did you mean docker:? (for an image named dockr, write registry:dockr:foo)`},
		{"scheme swap", "regsitry:ghcr.io/org/app:1", `unknown scheme "regsitry:", did you mean registry:?`},
		{"scheme case", "Docker-Archive:x.tar", `unknown scheme "Docker-Archive:", did you mean docker-archive:?`},
		{"oci-dir missing", "oci-dir:/nonexistent/dir", "no such directory"},
		{"oci-dir not layout", "oci-dir:" + t.TempDir(), "has no index.json, so it is not an OCI layout"},
		{"archive is a dir", "docker-archive:" + t.TempDir(), "is a directory, not an archive"},
		{"bad reference", "registry:UPPER/Case::x", "not a file, directory or valid image reference"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			_, err := Open(t.Context(), tc.ref, Options{})
			if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
				t.Fatalf("Open error = %v, want it to contain %q", err, tc.wantErr)
			}
		})
	}
}

func TestBadLayouts(t *testing.T) {
	img := testImage(t, 2, false)
	ls, _ := img.Layers()
	layer0, _ := ls[0].Digest()
	mdigest, _ := img.Digest()
	newLayout := func(t *testing.T) string {
		dir := t.TempDir()
		if _, err := layout.Write(dir, mutate.AppendManifests(empty.Index, mutate.IndexAddendum{
			Add: img, Descriptor: v1.Descriptor{Annotations: map[string]string{annotationRefName: "v1"}},
		})); err != nil {
			t.Fatal(err)
		}
		return dir
	}
	blob := func(dir string, h v1.Hash) string { return filepath.Join(dir, "blobs", h.Algorithm, h.Hex) }
	for _, tc := range []struct {
		name    string
		breakIt func(t *testing.T, dir string)
		ref     func(dir string) string
		wantErr string
	}{
		{"oci-dir missing layer", func(t *testing.T, dir string) { os.Remove(blob(dir, layer0)) },
			func(dir string) string { return "oci-dir:" + dir },
			"layer blob " + layer0.String() + " named by manifest " + mdigest.String() + " is missing from the layout"},
		{"oci-dir missing manifest", func(t *testing.T, dir string) { os.Remove(blob(dir, mdigest)) },
			func(dir string) string { return "oci-dir:" + dir },
			"blob " + mdigest.String() + " is missing from the layout"},
		{"oci-dir garbage index", func(t *testing.T, dir string) { writeFile(t, filepath.Join(dir, "index.json"), []byte("{nope")) },
			func(dir string) string { return "oci-dir:" + dir }, "parse index.json"},
		{"oci-dir unknown tag", nil,
			func(dir string) string { return "oci-dir:" + dir + ":v2" }, `no image tagged "v2"; the layout has: v1`},
		{"oci-dir unknown digest", nil,
			func(dir string) string { return "oci-dir:" + dir + "@sha256:" + strings.Repeat("0", 64) }, "blob sha256:" + strings.Repeat("0", 64) + " is missing from the layout"},
		{"oci-archive missing layer", func(t *testing.T, dir string) { os.Remove(blob(dir, layer0)) },
			func(dir string) string { return archiveOf(t, dir) },
			`layer "` + layer0.String() + `" named by the manifest is missing from the archive`},
		{"oci-archive missing manifest", func(t *testing.T, dir string) { os.Remove(blob(dir, mdigest)) },
			func(dir string) string { return archiveOf(t, dir) },
			"blob " + mdigest.String() + " named by the index is missing from the archive"},
		{"oci-archive empty index", func(t *testing.T, dir string) {
			writeFile(t, filepath.Join(dir, "index.json"), []byte(`{"schemaVersion":2,"manifests":[]}`))
		}, func(dir string) string { return archiveOf(t, dir) }, "index.json lists no images"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			dir := newLayout(t)
			if tc.breakIt != nil {
				tc.breakIt(t, dir)
			}
			ref := tc.ref(dir)
			for _, conc := range []int{1, 4} {
				src, err := Open(t.Context(), ref, Options{Concurrency: conc})
				if err == nil {
					_, _, err = tryRead(t.Context(), src)
				}
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Concurrency %d: error = %v, want it to contain %q", conc, err, tc.wantErr)
				}
			}
		})
	}
}

func archiveOf(t *testing.T, dir string) string {
	p := filepath.Join(t.TempDir(), "oci.tar")
	tarDir(t, dir, p, false)
	return "oci-archive:" + p
}
