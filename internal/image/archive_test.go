package image

import (
	"compress/gzip"
	"context"
	"encoding/json"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

const alpineGz = "testdata/alpine-310.tar.gz"

// summary is the part of Metadata compared in tests (Config is checked
// through the fields derived from it).
type summary struct {
	Kind, ManifestDigest, ConfigDigest string
	RepoTags, RepoDigests              []string
	Layers                             []LayerMeta
	RootDir                            string
}

func summarize(m *Metadata) summary {
	return summary{
		Kind: m.Kind, ManifestDigest: m.ManifestDigest, ConfigDigest: m.ConfigDigest,
		RepoTags: m.RepoTags, RepoDigests: m.RepoDigests, Layers: m.Layers, RootDir: m.RootDir,
	}
}

// gunzipTo writes the decompressed copy of a gzip file.
func gunzipTo(t *testing.T, src, dst string) {
	t.Helper()
	f, err := os.Open(src)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, dst, b)
}

func TestAlpineDockerArchive(t *testing.T) {
	plain := filepath.Join(t.TempDir(), "alpine.tar")
	gunzipTo(t, alpineGz, plain)
	want := summary{
		Kind:         KindDockerArchive,
		ConfigDigest: "sha256:af341ccd2df8b0e2d67cf8dd32e087bfda4e5756ebd1c76bbf3efa0dc246590e",
		RepoTags:     []string{"alpine:3.10"},
		Layers: []LayerMeta{{
			Key:           "71dba1fabbde4baabcdebcde4895d3f3887e388b09cef162f8159cf7daffa1b8/layer.tar",
			ClaimedDiffID: "sha256:531743b7098cb2aaf615641007a129173f63ed86ca32fe7b5a246a1c47286028",
			MediaType:     string(types.DockerUncompressedLayer),
			CreatedBy:     "/bin/sh -c #(nop) ADD file:d48cac34fac385cbc1de6adfdd88300f76f9bbe346cd17e64fd834d042a98326 in / ",
		}},
	}
	for _, tc := range []struct{ name, ref string }{
		{"gzipped with scheme", "docker-archive:" + alpineGz},
		{"gzipped detected", alpineGz},
		{"plain with scheme", "docker-archive:" + plain},
		{"plain detected", plain},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := Open(t.Context(), tc.ref, Options{})
			if err != nil {
				t.Fatal(err)
			}
			defer src.Close()
			m, seen := readSource(t, src)
			if diff := cmp.Diff(want, summarize(m)); diff != "" {
				t.Errorf("metadata (-want +got):\n%s", diff)
			}
			checkLayers(t, m, seen)
			if m.Config == nil || m.Config.Config.Cmd[0] != "/bin/sh" {
				t.Errorf("Config.Config.Cmd = %v, want [/bin/sh]", m.Config)
			}
			if want := strings.TrimPrefix(tc.ref, "docker-archive:"); m.Ref != want {
				t.Errorf("Ref = %q, want %q", m.Ref, want)
			}
		})
	}
}

func TestArchiveIdentity(t *testing.T) {
	p := filepath.Join(t.TempDir(), "alpine.tar.gz")
	b, err := os.ReadFile(alpineGz)
	if err != nil {
		t.Fatal(err)
	}
	writeFile(t, p, b)
	src, err := Open(t.Context(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	id1 := src.Identity()
	if id1 == "" || id1 != src.Identity() {
		t.Fatalf("Identity = %q then %q, want a stable non-empty string", id1, src.Identity())
	}
	if err := os.Chtimes(p, time.Now(), time.Now().Add(-time.Hour)); err != nil {
		t.Fatal(err)
	}
	if id2 := src.Identity(); id2 == id1 {
		t.Errorf("Identity did not change after mtime changed: %q", id2)
	}
	// A named pipe has no identity.
	fifo := filepath.Join(t.TempDir(), "fifo")
	if err := mkfifo(fifo); err == nil {
		if id := FileIdentity(fifo); id != "" {
			t.Errorf("fifo Identity = %q, want empty", id)
		}
	}
}

// TestGGCRImages opens images built with go-containerregistry and written
// in each on-disk format.
func TestGGCRImages(t *testing.T) {
	for _, zstdLayer := range []bool{false, true} {
		img := testImage(t, 2, zstdLayer)
		mdigest, err := img.Digest()
		if err != nil {
			t.Fatal(err)
		}
		cdigest, err := img.ConfigName()
		if err != nil {
			t.Fatal(err)
		}
		tag, err := name.NewTag("example.com/test/img:v1")
		if err != nil {
			t.Fatal(err)
		}
		dir := t.TempDir()

		// docker-archive, as tarball.Write lays it out.
		dockerTar := filepath.Join(dir, "docker.tar")
		if err := tarball.WriteToFile(dockerTar, tag, img); err != nil {
			t.Fatal(err)
		}
		tm, err := tarball.ComputeManifest(map[name.Reference]v1.Image{tag: img})
		if err != nil {
			t.Fatal(err)
		}

		// oci-dir with the image tagged "v1", another one tagged "other".
		ociDir := filepath.Join(dir, "oci")
		lp, err := layout.Write(ociDir, empty.Index)
		if err != nil {
			t.Fatal(err)
		}
		if err := lp.AppendImage(testImage(t, 1, false), layout.WithAnnotations(map[string]string{annotationRefName: "other"})); err != nil {
			t.Fatal(err)
		}
		if err := lp.AppendImage(img, layout.WithAnnotations(map[string]string{annotationRefName: "v1"})); err != nil {
			t.Fatal(err)
		}
		// oci-archive: a tar of a layout holding only img.
		single := filepath.Join(dir, "single")
		if _, err := layout.Write(single, mutate.AppendManifests(empty.Index, mutate.IndexAddendum{Add: img})); err != nil {
			t.Fatal(err)
		}
		ociTar := filepath.Join(dir, "oci.tar")
		tarDir(t, single, ociTar, false)
		ociTgz := filepath.Join(dir, "oci.tar.gz")
		tarDir(t, single, ociTgz, true)
		// Docker 25+ docker save: an OCI layout plus manifest.json
		// naming blobs/sha256/... paths.
		docker25 := filepath.Join(dir, "docker25.tar")
		d25 := []dockerManifest{{Config: "blobs/sha256/" + cdigest.Hex, RepoTags: []string{tag.String()}}}
		ls, err := img.Layers()
		if err != nil {
			t.Fatal(err)
		}
		for _, l := range ls {
			d, _ := l.Digest()
			d25[0].Layers = append(d25[0].Layers, "blobs/sha256/"+d.Hex)
		}
		d25raw, _ := json.Marshal(d25)
		tarDir(t, single, docker25, false, tarEntry{Name: "manifest.json", Body: d25raw})

		dockerKey := func(i int, _ v1.Layer) string { return tm[0].Layers[i] }
		dockerMT := func(l v1.Layer) string {
			if layerMediaType(l) == string(types.OCILayerZStd) {
				return string(types.OCILayerZStd)
			}
			return string(types.DockerLayer)
		}
		for _, tc := range []struct {
			name string
			ref  string
			want summary
		}{
			{"docker-archive", "docker-archive:" + dockerTar, summary{
				Kind: KindDockerArchive, ConfigDigest: cdigest.String(), RepoTags: []string{tag.String()},
				Layers: wantLayers(t, img, dockerKey, dockerMT),
			}},
			{"docker-archive detected", dockerTar, summary{
				Kind: KindDockerArchive, ConfigDigest: cdigest.String(), RepoTags: []string{tag.String()},
				Layers: wantLayers(t, img, dockerKey, dockerMT),
			}},
			{"docker-archive docker 25", docker25, summary{
				Kind: KindDockerArchive, ManifestDigest: mdigest.String(), ConfigDigest: cdigest.String(), RepoTags: []string{tag.String()},
				Layers: wantLayers(t, img, layerDigest, layerMediaType),
			}},
			{"oci-archive of docker 25 save", "oci-archive:" + docker25, summary{
				Kind: KindOCIArchive, ManifestDigest: mdigest.String(), ConfigDigest: cdigest.String(),
				Layers: wantLayers(t, img, layerDigest, layerMediaType),
			}},
			{"oci-dir tag", "oci-dir:" + ociDir + ":v1", summary{
				Kind: KindOCIDir, ManifestDigest: mdigest.String(), ConfigDigest: cdigest.String(), RepoTags: []string{"v1"},
				Layers: wantLayers(t, img, layerDigest, layerMediaType),
			}},
			{"oci-dir digest", "oci-dir:" + ociDir + "@" + mdigest.String(), summary{
				Kind: KindOCIDir, ManifestDigest: mdigest.String(), ConfigDigest: cdigest.String(), RepoTags: []string{"v1"},
				Layers: wantLayers(t, img, layerDigest, layerMediaType),
			}},
			{"oci-dir detected, only image", single, summary{
				Kind: KindOCIDir, ManifestDigest: mdigest.String(), ConfigDigest: cdigest.String(),
				Layers: wantLayers(t, img, layerDigest, layerMediaType),
			}},
			{"oci-archive", "oci-archive:" + ociTar, summary{
				Kind: KindOCIArchive, ManifestDigest: mdigest.String(), ConfigDigest: cdigest.String(),
				Layers: wantLayers(t, img, layerDigest, layerMediaType),
			}},
			{"oci-archive gzipped detected", ociTgz, summary{
				Kind: KindOCIArchive, ManifestDigest: mdigest.String(), ConfigDigest: cdigest.String(),
				Layers: wantLayers(t, img, layerDigest, layerMediaType),
			}},
		} {
			name := tc.name
			if zstdLayer {
				name += " zstd"
			}
			t.Run(name, func(t *testing.T) {
				src, err := Open(t.Context(), tc.ref, Options{})
				if err != nil {
					t.Fatal(err)
				}
				defer src.Close()
				m, seen := readSource(t, src)
				if diff := cmp.Diff(tc.want, summarize(m)); diff != "" {
					t.Errorf("metadata (-want +got):\n%s", diff)
				}
				checkLayers(t, m, seen)
				for k, s := range seen {
					if s.Digest != "" {
						t.Errorf("blob %s: Digest = %q, want empty (not verified by this source)", k, s.Digest)
					}
					if strings.HasPrefix(k, "sha256:") && s.RawSHA != k {
						t.Errorf("blob %s: bytes as stored hash to %s, want the key", k, s.RawSHA)
					}
				}
			})
		}
	}
}

// TestOCIDirPlatform resolves a nested multi-platform index in a layout.
func TestOCIDirPlatform(t *testing.T) {
	amd, arm := testImage(t, 1, false), testImage(t, 1, false)
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64", Variant: "v8"}}},
	)
	dir := t.TempDir()
	lp, err := layout.Write(dir, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendIndex(idx, layout.WithAnnotations(map[string]string{annotationRefName: "multi"})); err != nil {
		t.Fatal(err)
	}
	amdDigest, _ := amd.Digest()
	armDigest, _ := arm.Digest()
	for _, tc := range []struct {
		name, platform, want, wantErr string
	}{
		{"default is amd64", "", amdDigest.String(), ""},
		{"arm64", "linux/arm64", armDigest.String(), ""},
		{"arm64/v8", "linux/arm64/v8", armDigest.String(), ""},
		{"missing", "linux/s390x", "", "no image for platform linux/s390x; the index has linux/amd64, linux/arm64/v8"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := Open(t.Context(), "oci-dir:"+dir+":multi", Options{Platform: tc.platform})
			if err != nil {
				t.Fatal(err)
			}
			m, _, err := tryRead(t.Context(), src)
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Read error = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if m.ManifestDigest != tc.want {
				t.Errorf("ManifestDigest = %s, want %s", m.ManifestDigest, tc.want)
			}
		})
	}
}

// handArchive builds a small legacy docker save archive by hand; mutate
// lets a test break one part.
// TestHandArchive covers a repeated layer stored as a symlink, as docker
// save writes it.
func TestHandArchive(t *testing.T) {
	p := filepath.Join(t.TempDir(), "hand.tar")
	writeFile(t, p, handArchive(t, nil))
	src, err := Open(t.Context(), p, Options{})
	if err != nil {
		t.Fatal(err)
	}
	m, seen := readSource(t, src)
	got := summarize(m)
	got.ConfigDigest = ""
	mt := string(types.DockerUncompressedLayer)
	want := summary{
		Kind: KindDockerArchive, RepoTags: []string{"hand:1"},
		Layers: []LayerMeta{
			{Key: "a/layer.tar", ClaimedDiffID: m.Config.RootFS.DiffIDs[0].String(), MediaType: mt, CreatedBy: "ADD os-release"},
			{Key: "b/layer.tar", ClaimedDiffID: m.Config.RootFS.DiffIDs[1].String(), MediaType: mt, CreatedBy: "ADD x"},
			{Key: "a/layer.tar", ClaimedDiffID: m.Config.RootFS.DiffIDs[0].String(), MediaType: mt, CreatedBy: "ADD os-release again"},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("metadata (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"a/layer.tar", "b/layer.tar"}, sortedKeys(seen)); diff != "" {
		t.Errorf("blobs handed out (-want +got):\n%s", diff)
	}
}

// TestOneShotBlob checks the streaming contract: a blob opens once, and
// only during its LayerFunc call.
func TestOneShotBlob(t *testing.T) {
	src, err := Open(t.Context(), alpineGz, Options{})
	if err != nil {
		t.Fatal(err)
	}
	var saved Blob
	_, err = src.Read(t.Context(), func(ctx context.Context, b Blob) error {
		saved = b
		rc, err := b.Open()
		if err != nil {
			return err
		}
		rc.Close()
		if _, err := b.Open(); err == nil {
			t.Error("second Open succeeded, want an error")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := saved.Open(); err == nil {
		t.Error("Open after the LayerFunc returned succeeded, want an error")
	}
}

// archiveOf tars a layout dir and returns an oci-archive: reference to it.
// TestArchiveFromPipe reads a docker save stream from a named pipe: one
// pass, no identity.
func TestArchiveFromPipe(t *testing.T) {
	fifo := filepath.Join(t.TempDir(), "image.fifo")
	if err := mkfifo(fifo); err != nil {
		t.Skipf("mkfifo: %v", err)
	}
	data, err := os.ReadFile(alpineGz)
	if err != nil {
		t.Fatal(err)
	}
	done := make(chan error, 1)
	go func() {
		w, err := os.OpenFile(fifo, os.O_WRONLY, 0)
		if err != nil {
			done <- err
			return
		}
		_, err = w.Write(data)
		if cerr := w.Close(); err == nil {
			err = cerr
		}
		done <- err
	}()
	src, err := Open(t.Context(), fifo, Options{})
	if err != nil {
		t.Fatal(err)
	}
	if id := src.Identity(); id != "" {
		t.Errorf("Identity = %q, want empty for a pipe", id)
	}
	m, seen := readSource(t, src)
	checkLayers(t, m, seen)
	if diff := cmp.Diff([]string{"alpine:3.10"}, m.RepoTags); diff != "" {
		t.Errorf("RepoTags (-want +got):\n%s", diff)
	}
	if err := <-done; err != nil {
		t.Errorf("writer: %v", err)
	}
}
