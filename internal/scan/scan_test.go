package scan

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"errors"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/vulndb/build"
)

const bookwormOSRelease = `PRETTY_NAME="Debian GNU/Linux 12 (bookworm)"
NAME="Debian GNU/Linux"
VERSION_ID="12"
VERSION="12 (bookworm)"
VERSION_CODENAME=bookworm
ID=debian
`

type file struct {
	name, body string
	link       string // symlink target
	mode       int64  // 0o644 when zero
}

func layerTar(t *testing.T, files []file) v1.Layer {
	t.Helper()
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		mode := f.mode
		if mode == 0 {
			mode = 0o644
		}
		hdr := &tar.Header{Name: f.name, Mode: mode, Size: int64(len(f.body)), Typeflag: tar.TypeReg}
		if f.link != "" {
			hdr = &tar.Header{Name: f.name, Mode: 0o777, Typeflag: tar.TypeSymlink, Linkname: f.link}
		}
		if err := tw.WriteHeader(hdr); err != nil {
			t.Fatal(err)
		}
		if f.link == "" {
			if _, err := tw.Write([]byte(f.body)); err != nil {
				t.Fatal(err)
			}
		}
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	b := buf.Bytes()
	l, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		t.Fatal(err)
	}
	return l
}

func readTestdata(t *testing.T, rel string) string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "..", "testdata", rel))
	if err != nil {
		t.Fatal(err)
	}
	return string(b)
}

// debianImage is a two-layer image with real dpkg databases: a debootstrap
// minbase bookworm, then a layer that installs more packages (the status of
// a fatter debootstrap) and deletes a file of the first.
func debianImage(t *testing.T) (v1.Image, []string) {
	t.Helper()
	l1 := layerTar(t, []file{
		{name: "usr/lib/os-release", body: bookwormOSRelease},
		{name: "etc/os-release", link: "../usr/lib/os-release"},
		{name: "etc/debian_version", body: "12.5\n"},
		{name: "var/lib/dpkg/status", body: readTestdata(t, "pkgdb/debootstrap-bookworm.status")},
		{name: "var/lib/dpkg/info/tar.list", body: "/.\n/bin\n/bin/tar\n"},
		{name: "etc/motd", body: "hello\n"},
	})
	l2 := layerTar(t, []file{
		{name: "var/lib/dpkg/status", body: readTestdata(t, "pkgdb/debootstrap-bookworm-fat.status")},
		{name: "etc/.wh.motd"},
	})
	img, err := mutate.Append(empty.Image,
		mutate.Addendum{Layer: l1, History: v1.History{CreatedBy: "debootstrap --variant=minbase bookworm"}},
		mutate.Addendum{Layer: l2, History: v1.History{CreatedBy: "RUN apt-get install -y openssl curl python3"}},
	)
	if err != nil {
		t.Fatal(err)
	}
	var ids []string
	for _, l := range []v1.Layer{l1, l2} {
		d, err := l.DiffID()
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, d.String())
	}
	return img, ids
}

func writeArchive(t *testing.T, img v1.Image) string {
	t.Helper()
	path := filepath.Join(t.TempDir(), "image.tar")
	tag, err := name.NewTag("example.test/debian:bookworm")
	if err != nil {
		t.Fatal(err)
	}
	if err := tarball.WriteToFile(path, tag, img); err != nil {
		t.Fatal(err)
	}
	return path
}

// bookwormDB builds a DB of the Debian tracker slice in testdata, and of
// the extra sources.
func bookwormDB(t *testing.T, extra ...build.Source) string {
	t.Helper()
	gz, err := os.Open(filepath.Join("..", "..", "testdata", "feeds", "debian-tracker", "bookworm-changelog-derived.json.gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer gz.Close()
	zr, err := gzip.NewReader(gz)
	if err != nil {
		t.Fatal(err)
	}
	dir := t.TempDir()
	js := filepath.Join(dir, "tracker.json")
	out, err := os.Create(js)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := io.Copy(out, zr); err != nil {
		t.Fatal(err)
	}
	out.Close()
	dbPath := filepath.Join(dir, "customs.db")
	if _, err := build.Build(t.Context(), dbPath, append([]build.Source{{Kind: "debian-tracker", Path: js}}, extra...), nil); err != nil {
		t.Fatal(err)
	}
	return dbPath
}

func TestScanDebianLayers(t *testing.T) {
	img, diffIDs := debianImage(t)
	path := writeArchive(t, img)
	dbPath := bookwormDB(t)
	r, err := Scan(t.Context(), "docker-archive:"+path, Options{DBPath: dbPath})
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&inventory.OS{Family: "debian", Version: "12", Codename: "bookworm", Name: "Debian GNU/Linux 12 (bookworm)"}, r.OS); diff != "" {
		t.Errorf("os (-want +got):\n%s", diff)
	}
	if got := len(r.Target.Layers); got != 2 {
		t.Fatalf("layers = %d, want 2", got)
	}
	base := map[string]string{} // name -> version in the first layer's status
	for _, st := range strings.Split(readTestdata(t, "pkgdb/debootstrap-bookworm.status"), "\n\n") {
		var n, v string
		for _, line := range strings.Split(st, "\n") {
			if s, ok := strings.CutPrefix(line, "Package: "); ok {
				n = s
			}
			if s, ok := strings.CutPrefix(line, "Version: "); ok {
				v = s
			}
		}
		if n != "" {
			base[n] = v
		}
	}
	if len(r.Packages) != 207 {
		t.Errorf("packages = %d, want 207 (the installed packages of the fat status)", len(r.Packages))
	}
	fromBase, fromTop := 0, 0
	for _, p := range r.Packages {
		want := diffIDs[1]
		if v, ok := base[p.Name]; ok && v == p.Version {
			want = diffIDs[0]
		}
		if p.Layer != want {
			t.Errorf("%s %s introduced in %s, want %s", p.Name, p.Version, p.Layer, want)
		}
		if p.Layer == diffIDs[0] {
			fromBase++
			if p.CreatedBy != "debootstrap --variant=minbase bookworm" {
				t.Errorf("%s: createdBy %q", p.Name, p.CreatedBy)
			}
		} else {
			fromTop++
		}
		if len(p.Locations) != 1 || p.Locations[0].Path != "var/lib/dpkg/status" || p.Locations[0].Layer != diffIDs[1] {
			t.Errorf("%s: locations %+v", p.Name, p.Locations)
		}
		if p.Ecosystem != "debian:12" || !strings.HasPrefix(p.PURL, "pkg:deb/debian/") {
			t.Errorf("%s: ecosystem %q purl %q", p.Name, p.Ecosystem, p.PURL)
		}
	}
	if fromBase == 0 || fromTop == 0 {
		t.Errorf("packages from base layer %d, from top layer %d; want both > 0", fromBase, fromTop)
	}
	if len(r.Findings) == 0 {
		t.Fatal("no findings; the bookworm point-release packages are vulnerable to records in the tracker slice")
	}
	for _, f := range r.Findings {
		if f.Status != report.StatusFixAvailable {
			t.Errorf("%s in %s: status %s, want fix-available (the slice holds only resolved records)", f.VulnerabilityID, f.PackageName, f.Status)
		}
		if f.Layer != diffIDs[0] && f.Layer != diffIDs[1] {
			t.Errorf("%s: layer %q is not an image layer", f.VulnerabilityID, f.Layer)
		}
		if len(f.Evidence) == 0 || f.Evidence[0].Comparison == "" || f.Evidence[0].Source != "debian-tracker" {
			t.Errorf("%s: evidence %+v", f.VulnerabilityID, f.Evidence)
		}
	}
	t.Logf("%d packages, %d findings", len(r.Packages), len(r.Findings))
}

func TestScanRefusesDiffIDMismatch(t *testing.T) {
	img, _ := debianImage(t)
	cf, err := img.ConfigFile()
	if err != nil {
		t.Fatal(err)
	}
	cf = cf.DeepCopy()
	cf.RootFS.DiffIDs[1] = v1.Hash{Algorithm: "sha256", Hex: strings.Repeat("ab", 32)}
	bad, err := mutate.ConfigFile(img, cf)
	if err != nil {
		t.Fatal(err)
	}
	path := writeArchive(t, bad)
	cache := t.TempDir()
	_, err = Scan(t.Context(), "docker-archive:"+path, Options{CacheDir: cache})
	if !errors.Is(err, ErrLayerMismatch) {
		t.Fatalf("err = %v, want ErrLayerMismatch", err)
	}
	// A second attempt must not be answered from the cache either.
	_, err = Scan(t.Context(), "docker-archive:"+path, Options{CacheDir: cache})
	if !errors.Is(err, ErrLayerMismatch) {
		t.Fatalf("second scan err = %v, want ErrLayerMismatch", err)
	}
}

func TestScanLayerCache(t *testing.T) {
	img, _ := debianImage(t)
	path := writeArchive(t, img)
	cache := t.TempDir()
	scanOnce := func() (*report.Report, []Event) {
		var evs []Event
		r, err := Scan(context.Background(), "docker-archive:"+path, Options{CacheDir: cache, Handler: progressFunc(func(e Event) { evs = append(evs, e) })})
		if err != nil {
			t.Fatal(err)
		}
		return r, evs
	}
	cold, evs := scanOnce()
	if len(evs) == 0 {
		t.Fatal("cold scan read no layers")
	}
	warm, evs := scanOnce()
	if len(evs) != 0 {
		t.Errorf("warm scan read layers: %+v", evs)
	}
	if diff := cmp.Diff(cold.Packages, warm.Packages); diff != "" {
		t.Errorf("cached scan differs (-cold +warm):\n%s", diff)
	}
	// Rewriting the archive (same content, new identity) must re-read it.
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.Remove(path); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, b, 0o644); err != nil {
		t.Fatal(err)
	}
	_, evs = scanOnce()
	if len(evs) == 0 {
		t.Error("scan of a rewritten archive trusted the cache without reading it")
	}
}
