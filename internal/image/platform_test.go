package image

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/layout"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// platformImage is a one-layer test image whose config says it is for p.
func platformImage(t *testing.T, p string) v1.Image {
	t.Helper()
	plat, err := v1.ParsePlatform(p)
	if err != nil {
		t.Fatal(err)
	}
	img := testImage(t, 1, false)
	cfg, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cfg = cfg.DeepCopy()
	cfg.OS, cfg.Architecture, cfg.Variant = plat.OS, plat.Architecture, plat.Variant
	img, err = mutate.ConfigFile(img, cfg)
	if err != nil {
		t.Fatal(err)
	}
	return img
}

// readPlatform opens ref for platform and reads it, returning the image's
// config digest or the error; the layers handed out must be the image's
// (an uncompressed archive is indexed first, so only the chosen image's
// are read; Concurrency makes sure of that path on a one-CPU machine).
func readPlatform(t *testing.T, ref, platform string) (string, error) {
	t.Helper()
	src, err := Open(t.Context(), ref, Options{Platform: platform, Concurrency: 4})
	if err != nil {
		return "", err
	}
	defer src.Close()
	m, seen, err := tryRead(t.Context(), src)
	if err != nil {
		return "", err
	}
	checkLayers(t, m, seen)
	return m.ConfigDigest, nil
}

// TestPlatformOfOneImage: a source that holds one image, for linux/arm64,
// gives it for that platform or none, and refuses another platform instead
// of scanning the arm64 image in its place, whatever the kind of source.
func TestPlatformOfOneImage(t *testing.T) {
	img := platformImage(t, "linux/arm64")
	cfgDigest, err := img.ConfigName()
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	tag, err := name.NewTag("example.com/app:arm")
	if err != nil {
		t.Fatal(err)
	}
	archive := filepath.Join(dir, "docker.tar")
	if err := tarball.WriteToFile(archive, tag, img); err != nil {
		t.Fatal(err)
	}
	archiveGz := filepath.Join(dir, "docker.tar.gz")
	gzipFile(t, archive, archiveGz)
	// An OCI layout whose index does not say the image's platform, and
	// one whose index says it.
	plain := filepath.Join(dir, "plain")
	lp, err := layout.Write(plain, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendImage(img); err != nil {
		t.Fatal(err)
	}
	ociTar := filepath.Join(dir, "oci.tar")
	tarDir(t, plain, ociTar, false)
	said := filepath.Join(dir, "said")
	lp, err = layout.Write(said, empty.Index)
	if err != nil {
		t.Fatal(err)
	}
	if err := lp.AppendImage(img, layout.WithPlatform(v1.Platform{OS: "linux", Architecture: "arm64"}), layout.WithAnnotations(map[string]string{annotationRefName: "arm"})); err != nil {
		t.Fatal(err)
	}
	host := startRegistry(t, nil)
	push(t, host+"/test/arm:v1", img)
	dockerConfig(t, host, "", "")

	for _, ref := range []string{
		"docker-archive:" + archive,
		archiveGz, // read in one pass
		"oci-dir:" + plain,
		"oci-archive:" + ociTar,
		"oci-dir:" + said + ":arm",
		"registry:" + host + "/test/arm:v1",
	} {
		t.Run(strings.ReplaceAll(ref, dir, ""), func(t *testing.T) {
			for _, p := range []string{"", "linux/arm64", "linux/arm64/v8"} {
				if got, err := readPlatform(t, ref, p); err != nil || got != cfgDigest.String() {
					t.Errorf("platform %q: config %s, %v; want %s", p, got, err, cfgDigest)
				}
			}
			_, err := readPlatform(t, ref, "linux/amd64")
			want := "no image for platform linux/amd64; the image has only linux/arm64; choose it as the platform, or drop --platform"
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("platform linux/amd64: error %v, want it to contain %q", err, want)
			}
			if _, err := readPlatform(t, ref, "linux/"); err == nil || !strings.Contains(err.Error(), "bad platform") {
				t.Errorf("platform linux/: error %v, want a bad platform", err)
			}
		})
	}
}

// TestPlatformOfSeveralImages: a docker save archive of two images and an
// OCI archive of a multi-platform index give the image asked for, and list
// what they have when it is not there.
func TestPlatformOfSeveralImages(t *testing.T) {
	amd, arm := platformImage(t, "linux/amd64"), platformImage(t, "linux/arm64")
	amdCfg, _ := amd.ConfigName()
	armCfg, _ := arm.ConfigName()
	dir := t.TempDir()
	archive := filepath.Join(dir, "two.tar")
	refs := map[name.Reference]v1.Image{}
	for tag, img := range map[string]v1.Image{"example.com/app:amd": amd, "example.com/app:arm": arm} {
		r, err := name.NewTag(tag)
		if err != nil {
			t.Fatal(err)
		}
		refs[r] = img
	}
	if err := tarball.MultiRefWriteToFile(archive, refs); err != nil {
		t.Fatal(err)
	}
	idx := mutate.AppendManifests(empty.Index,
		mutate.IndexAddendum{Add: amd, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "amd64"}}},
		mutate.IndexAddendum{Add: arm, Descriptor: v1.Descriptor{Platform: &v1.Platform{OS: "linux", Architecture: "arm64"}}},
	)
	multi := filepath.Join(dir, "multi")
	if _, err := layout.Write(multi, idx); err != nil {
		t.Fatal(err)
	}
	ociTar := filepath.Join(dir, "multi.tar")
	tarDir(t, multi, ociTar, false)

	for _, tc := range []struct {
		ref, what string
	}{
		{"docker-archive:" + archive, "archive"},
		{"oci-archive:" + ociTar, "index"},
	} {
		t.Run(tc.what, func(t *testing.T) {
			for p, want := range map[string]string{"linux/amd64": amdCfg.String(), "linux/arm64": armCfg.String()} {
				if got, err := readPlatform(t, tc.ref, p); err != nil || got != want {
					t.Errorf("platform %s: config %s, %v; want %s", p, got, err, want)
				}
			}
			_, err := readPlatform(t, tc.ref, "linux/s390x")
			want := "no image for platform linux/s390x; the " + tc.what + " has linux/amd64, linux/arm64; choose one of them as the platform"
			if err == nil || !strings.Contains(err.Error(), want) {
				t.Errorf("platform linux/s390x: error %v, want it to contain %q", err, want)
			}
		})
	}
}
