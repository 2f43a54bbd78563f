package servicetest

import (
	"archive/tar"
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
)

// Hostile is markup that tries to run script from every place a page
// could put a string from an image: element content (<script>, an <img>
// whose load fails), an attribute value it closes first ("'>) and an
// event handler. Each way would set window.customsXSS and open a dialog,
// which a browser test watches for.
const Hostile = `"'><script>window.customsXSS=1;alert(1)</script><img src=x onerror="window.customsXSS=2;alert(2)">`

// AppImage writes into dir, as a docker-archive tagged ref, the Alpine
// 3.10 test image with a layer of Python packages: requests 2.19.1 and
// urllib3 1.24.1 from testdata/quickstart/app, which the OSV test feed
// (testdata/feeds/osv-pypi) has advisories for. It returns the archive's
// path.
func AppImage(dir, ref string) (string, error) {
	return appImage(dir, ref, false)
}

// HostileImage is AppImage with Hostile in a package's name (a crate in
// a Cargo.lock: the Python extractor refuses names PEP 508 does not
// allow), in a file's name (a file holding an AWS access key, reported
// as a secret when the scan looks for them), in a label's value and in
// the layer's created_by.
func HostileImage(dir, ref string) (string, error) {
	return appImage(dir, ref, true)
}

func appImage(dir, ref string, hostile bool) (string, error) {
	tag, err := name.NewTag(ref)
	if err != nil {
		return "", err
	}
	base := filepath.Join(Root(), "testdata", "images", "alpine-310.tar.gz")
	img, err := tarball.Image(func() (io.ReadCloser, error) { return gunzip(base) }, nil)
	if err != nil {
		return "", err
	}
	type file struct{ name, body string }
	var files []file
	site := "usr/local/lib/python3.8/site-packages/"
	for _, d := range []string{"requests-2.19.1.dist-info", "urllib3-1.24.1.dist-info"} {
		b, err := os.ReadFile(filepath.Join(Root(), "testdata", "quickstart", "app", filepath.FromSlash(site), d, "METADATA"))
		if err != nil {
			return "", err
		}
		files = append(files, file{site + d + "/METADATA", string(b)})
	}
	createdBy := "RUN pip install requests==2.19.1 urllib3==1.24.1"
	labels := map[string]string{"org.opencontainers.image.title": "app"}
	if hostile {
		files = append(files,
			file{"srv/app/Cargo.lock", "version = 3\n\n[[package]]\nname = " + strconv.Quote(Hostile) + "\nversion = \"1.0.0\"\n"},
			file{"srv/" + Hostile + ".txt", "aws_access_key_id = AKIAQ3EGRV7XKZ4M2P6T\n"})
		createdBy = "RUN echo " + Hostile
		labels["org.example.note"] = Hostile
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range files {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: 0o644, Size: int64(len(f.body)), Typeflag: tar.TypeReg}); err != nil {
			return "", err
		}
		if _, err := tw.Write([]byte(f.body)); err != nil {
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
	img, err = mutate.Append(img, mutate.Addendum{Layer: layer, History: v1.History{CreatedBy: createdBy}})
	if err != nil {
		return "", err
	}
	cf, err := img.ConfigFile()
	if err != nil {
		return "", err
	}
	cfg := cf.Config
	cfg.Labels = labels
	if img, err = mutate.Config(img, cfg); err != nil {
		return "", err
	}
	path := filepath.Join(dir, strings.ReplaceAll(tag.RepositoryStr(), "/", "-")+"-"+tag.TagStr()+".tar")
	if err := tarball.WriteToFile(path, tag, img); err != nil {
		return "", fmt.Errorf("write %s: %w", ref, err)
	}
	return path, nil
}
