package servicetest

import (
	"archive/tar"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
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
	path := filepath.Join(dir, strings.ReplaceAll(tag.RepositoryStr(), "/", "-")+"-"+tag.TagStr()+".tar")
	if err := appendLayer(path, tag, buf.Bytes(), createdBy, labels); err != nil {
		return "", fmt.Errorf("write %s: %w", ref, err)
	}
	return path, nil
}

// alpineFiles returns the regular files of the Alpine 3.10 test image's
// archive by name, read once (gunzip is slow under the race detector).
var alpineFiles = sync.OnceValues(func() (map[string][]byte, error) {
	in, err := gunzip(filepath.Join(Root(), "testdata", "images", "alpine-310.tar.gz"))
	if err != nil {
		return nil, err
	}
	defer in.Close()
	files := map[string][]byte{}
	tr := tar.NewReader(in)
	for {
		h, err := tr.Next()
		if err == io.EOF {
			return files, nil
		}
		if err != nil {
			return nil, err
		}
		if h.Typeflag == tar.TypeReg {
			if files[h.Name], err = io.ReadAll(tr); err != nil {
				return nil, err
			}
		}
	}
})

// appendLayer writes to path, as `docker save` does, the Alpine 3.10
// test image with layer on top and labels set, tagged tag. It edits the
// archive itself, with its layers uncompressed: go-containerregistry's
// mutate and tarball.Write gzip every layer to make a manifest, which
// takes minutes under the race detector on a busy machine.
func appendLayer(path string, tag name.Tag, layer []byte, createdBy string, labels map[string]string) error {
	base, err := alpineFiles()
	if err != nil {
		return err
	}
	entries := maps.Clone(base)
	var manifest []struct {
		Config string
		Layers []string
	}
	if err := json.Unmarshal(entries["manifest.json"], &manifest); err != nil || len(manifest) != 1 {
		return fmt.Errorf("the Alpine archive's manifest.json: %v", err)
	}
	cfg, err := v1.ParseConfigFile(bytes.NewReader(entries[manifest[0].Config]))
	if err != nil {
		return err
	}
	diffID, _, err := v1.SHA256(bytes.NewReader(layer))
	if err != nil {
		return err
	}
	cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, diffID)
	cfg.History = append(cfg.History, v1.History{CreatedBy: createdBy, Created: cfg.Created})
	cfg.Config.Labels = labels
	config, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	layers := append(slices.Clone(manifest[0].Layers), "app/layer.tar")
	entries["app/layer.tar"] = layer
	out, err := json.Marshal([]map[string]any{{"Config": "config.json", "RepoTags": []string{tag.String()}, "Layers": layers}})
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	add := func(name string, b []byte) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: int64(len(b)), Typeflag: tar.TypeReg}); err != nil {
			return err
		}
		_, err := tw.Write(b)
		return err
	}
	if err := add("config.json", config); err != nil {
		return err
	}
	for _, l := range layers {
		if err := add(l, entries[l]); err != nil {
			return err
		}
	}
	if err := add("manifest.json", out); err != nil {
		return err
	}
	if err := tw.Close(); err != nil {
		return err
	}
	return f.Close()
}
