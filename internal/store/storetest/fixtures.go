package storetest

import (
	"archive/tar"
	"bytes"
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"sync"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"

	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/scan"
	"github.com/customs-scanner/customs/internal/vulndb/build"
)

// Reports are real scans the suite records, made once per test binary.
type Reports struct {
	// Alpine is testdata/images/alpine-310.tar.gz; AlpineApp is the same
	// image with a layer of the quick start's Python packages on top (it
	// shares Alpine's base layer); AlpineApp2 another such image whose top
	// layer differs.
	Alpine, AlpineApp, AlpineApp2 *report.Report
	// Debian is testdata/images/debian-bookworm-dpkg.tar.gz, DebianApp it
	// with the Python layer on top.
	Debian, DebianApp *report.Report
}

var (
	fixturesOnce sync.Once
	fixtures     *Reports
	fixturesErr  error
)

// Fixtures scans the test images with a DB built from testdata/feeds.
func Fixtures(t testing.TB) *Reports {
	t.Helper()
	fixturesOnce.Do(func() {
		dir, err := os.MkdirTemp("", "customs-storetest-")
		if err != nil {
			fixturesErr = err
			return
		}
		// The directory lives as long as the test binary: the reports are
		// shared by every test.
		fixtures, fixturesErr = scanFixtures(context.Background(), repoRoot(), dir)
	})
	if fixturesErr != nil {
		t.Fatalf("scan the store fixtures: %v", fixturesErr)
	}
	return fixtures
}

func repoRoot() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "..", "..")
}

func scanFixtures(ctx context.Context, root, dir string) (*Reports, error) {
	testdata := filepath.Join(root, "testdata")
	tracker := filepath.Join(dir, "tracker.json")
	if err := gunzip(filepath.Join(testdata, "feeds", "debian-tracker", "bookworm-changelog-derived.json.gz"), tracker); err != nil {
		return nil, err
	}
	dbPath := filepath.Join(dir, "customs.db")
	_, err := build.Build(ctx, dbPath, []build.Source{
		{Kind: "alpine-secdb", Path: filepath.Join(testdata, "feeds", "alpine-secdb")},
		{Kind: "debian-tracker", Path: tracker},
		{Kind: "osv", Path: filepath.Join(testdata, "feeds", "osv-pypi")},
	}, nil)
	if err != nil {
		return nil, fmt.Errorf("build the DB: %w", err)
	}
	site := "usr/local/lib/python3.8/site-packages/"
	var app, app2 []tarFile
	for _, d := range []string{"requests-2.19.1.dist-info", "urllib3-1.24.1.dist-info", "pyspark-3.2.1.dist-info"} {
		b, err := os.ReadFile(filepath.Join(testdata, "quickstart", "app", filepath.FromSlash(site), d, "METADATA"))
		if err != nil {
			return nil, err
		}
		f := tarFile{site + d + "/METADATA", b}
		app = append(app, f)
		if d != "pyspark-3.2.1.dist-info" {
			app2 = append(app2, f)
		}
	}
	opts := scan.Options{DBPath: dbPath, Version: "storetest"}
	var r Reports
	for _, img := range []struct {
		out   **report.Report
		base  string
		layer []tarFile
		tag   string
	}{
		{&r.Alpine, "alpine-310.tar.gz", nil, ""},
		{&r.AlpineApp, "alpine-310.tar.gz", app, "registry.test/shop/app:1.0"},
		{&r.AlpineApp2, "alpine-310.tar.gz", app2, "registry.test/shop/app:1.1"},
		{&r.Debian, "debian-bookworm-dpkg.tar.gz", nil, ""},
		{&r.DebianApp, "debian-bookworm-dpkg.tar.gz", app, "registry.test/shop/app-debian:1.0"},
	} {
		path := filepath.Join(testdata, "images", img.base)
		if img.layer != nil {
			if path, err = derive(path, dir, img.tag, img.layer); err != nil {
				return nil, err
			}
		}
		if *img.out, err = scan.Scan(ctx, path, opts); err != nil {
			return nil, fmt.Errorf("scan %s: %w", path, err)
		}
	}
	return &r, nil
}

// appLabels are the config labels of the images derive builds.
func appLabels(version string) map[string]string {
	return map[string]string{"org.opencontainers.image.source": "https://git.example/shop/app", "org.opencontainers.image.version": version}
}

type tarFile struct {
	name string
	body []byte
}

// derive writes a docker archive of the image at base with one more
// layer holding files, tagged tag.
func derive(base, dir, tag string, files []tarFile) (string, error) {
	plain := filepath.Join(dir, filepath.Base(base)+".tar")
	if _, err := os.Stat(plain); err != nil {
		if err := gunzip(base, plain); err != nil {
			return "", err
		}
	}
	img, err := tarball.ImageFromPath(plain, nil)
	if err != nil {
		return "", err
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.body)), Typeflag: tar.TypeReg}); err != nil {
			return "", err
		}
		if _, err := tw.Write(f.body); err != nil {
			return "", err
		}
	}
	if err := tw.Close(); err != nil {
		return "", err
	}
	b := buf.Bytes()
	layer, err := tarball.LayerFromOpener(func() (io.ReadCloser, error) { return io.NopCloser(bytes.NewReader(b)), nil })
	if err != nil {
		return "", err
	}
	img, err = mutate.Append(img, mutate.Addendum{Layer: layer, History: v1.History{CreatedBy: "COPY site-packages /usr/local/lib/python3.8/site-packages"}})
	if err != nil {
		return "", err
	}
	ref, err := name.NewTag(tag)
	if err != nil {
		return "", err
	}
	// Labels, as images built by CI carry them.
	cf, err := img.ConfigFile()
	if err != nil {
		return "", err
	}
	cfg := cf.Config
	cfg.Labels = appLabels(ref.TagStr())
	if img, err = mutate.Config(img, cfg); err != nil {
		return "", err
	}
	out := filepath.Join(dir, ref.RepositoryStr()[len("shop/"):]+"-"+ref.TagStr()+".tar")
	if err := tarball.WriteToFile(out, ref, img); err != nil {
		return "", err
	}
	return out, nil
}

func gunzip(src, dst string) error {
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	zr, err := gzip.NewReader(in)
	if err != nil {
		return fmt.Errorf("%s: %w", src, err)
	}
	out, err := os.Create(dst)
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, zr); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}
