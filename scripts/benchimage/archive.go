package main

import (
	"archive/tar"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"time"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/klauspost/compress/gzip"
)

type buildOptions struct {
	Base, Top              string
	Tar, Gzip              string
	CreatedBy1, CreatedBy2 string
	Tag                    string
}

// layerFile is one layer tar written to disk, with its DiffID.
type layerFile struct {
	Path      string
	GzipPath  string
	DiffID    v1.Hash
	Size      int64
	Entries   int
	CreatedBy string
}

func build(ctx context.Context, o buildOptions, stdout io.Writer) error {
	tmp, err := os.MkdirTemp(filepath.Dir(o.Tar), "layers-")
	if err != nil {
		return err
	}
	defer os.RemoveAll(tmp)

	specs := []struct{ lower, upper, createdBy string }{{"", o.Base, o.CreatedBy1}}
	if o.Top != "" {
		specs = append(specs, struct{ lower, upper, createdBy string }{o.Base, o.Top, o.CreatedBy2})
	}
	var layers []layerFile
	for i, s := range specs {
		lf, err := makeLayer(ctx, s.lower, s.upper, filepath.Join(tmp, fmt.Sprintf("layer%d.tar", i+1)))
		if err != nil {
			return err
		}
		lf.CreatedBy = s.createdBy
		fmt.Fprintf(stdout, "layer %d: %s entries=%d size=%d\n", i+1, lf.DiffID, lf.Entries, lf.Size)
		layers = append(layers, lf)
	}
	created := time.Now().UTC().Truncate(time.Second)
	cfg := &v1.ConfigFile{
		Architecture: runtime.GOARCH,
		OS:           "linux",
		Created:      v1.Time{Time: created},
		Config: v1.Config{
			Env: []string{"PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"},
			Cmd: []string{"bash"},
		},
		RootFS: v1.RootFS{Type: "layers"},
	}
	for _, l := range layers {
		cfg.RootFS.DiffIDs = append(cfg.RootFS.DiffIDs, l.DiffID)
		cfg.History = append(cfg.History, v1.History{Created: v1.Time{Time: created}, CreatedBy: l.CreatedBy})
	}
	if err := writePlainArchive(o.Tar, o.Tag, cfg, layers); err != nil {
		return err
	}
	return writeGzipArchive(ctx, o.Gzip, o.Tag, cfg, layers)
}

// makeLayer writes the layer tar and a gzip copy of it (default level, as
// docker and most registries produce) and hashes the tar for its DiffID.
func makeLayer(ctx context.Context, lower, upper, out string) (layerFile, error) {
	f, err := os.Create(out)
	if err != nil {
		return layerFile{}, err
	}
	defer f.Close()
	gf, err := os.Create(out + ".gz")
	if err != nil {
		return layerFile{}, err
	}
	defer gf.Close()
	zw := gzip.NewWriter(gf)
	h := sha256.New()
	n, err := writeLayer(ctx, lower, upper, io.MultiWriter(f, h, zw))
	if err != nil {
		return layerFile{}, fmt.Errorf("layer from %s: %w", upper, err)
	}
	if err := zw.Close(); err != nil {
		return layerFile{}, err
	}
	fi, err := f.Stat()
	if err != nil {
		return layerFile{}, err
	}
	return layerFile{
		Path:     out,
		GzipPath: out + ".gz",
		DiffID:   v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))},
		Size:     fi.Size(),
		Entries:  n,
	}, nil
}

// writePlainArchive writes a docker-archive the way `docker save` does:
// <id>/layer.tar per layer, <config digest>.json, manifest.json, repositories.
func writePlainArchive(out, tag string, cfg *v1.ConfigFile, layers []layerFile) error {
	ref, err := name.NewTag(tag)
	if err != nil {
		return err
	}
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return err
	}
	sum := sha256.Sum256(cfgJSON)
	cfgName := hex.EncodeToString(sum[:]) + ".json"

	f, err := os.Create(out + ".tmp")
	if err != nil {
		return err
	}
	defer f.Close()
	tw := tar.NewWriter(f)
	var layerNames []string
	for _, l := range layers {
		dir := l.DiffID.Hex
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeDir, Name: dir + "/", Mode: 0o755}); err != nil {
			return err
		}
		lf, err := os.Open(l.Path)
		if err != nil {
			return err
		}
		err = tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: dir + "/layer.tar", Mode: 0o644, Size: l.Size})
		if err == nil {
			_, err = io.Copy(tw, lf)
		}
		lf.Close()
		if err != nil {
			return fmt.Errorf("copy layer %s: %w", l.DiffID, err)
		}
		layerNames = append(layerNames, dir+"/layer.tar")
	}
	manifest, err := json.Marshal([]tarball.Descriptor{{Config: cfgName, RepoTags: []string{ref.String()}, Layers: layerNames}})
	if err != nil {
		return err
	}
	repos, err := json.Marshal(map[string]map[string]string{
		ref.Context().String(): {ref.TagStr(): layers[len(layers)-1].DiffID.Hex},
	})
	if err != nil {
		return err
	}
	for _, e := range []struct {
		name string
		data []byte
	}{{cfgName, cfgJSON}, {"manifest.json", manifest}, {"repositories", repos}} {
		if err := tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: e.name, Mode: 0o644, Size: int64(len(e.data))}); err != nil {
			return err
		}
		if _, err := tw.Write(e.data); err != nil {
			return err
		}
	}
	if err := tw.Close(); err != nil {
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(out+".tmp", out)
}

// writeGzipArchive writes the same image with gzip layers through
// go-containerregistry, which checks the DiffIDs against the config.
func writeGzipArchive(ctx context.Context, out, tag string, cfg *v1.ConfigFile, layers []layerFile) error {
	ref, err := name.NewTag(tag)
	if err != nil {
		return err
	}
	img := empty.Image
	for _, l := range layers {
		layer, err := tarball.LayerFromFile(l.GzipPath)
		if err != nil {
			return fmt.Errorf("layer %s: %w", l.GzipPath, err)
		}
		img, err = mutate.Append(img, mutate.Addendum{Layer: layer, History: v1.History{CreatedBy: l.CreatedBy}})
		if err != nil {
			return err
		}
	}
	base, err := img.ConfigFile()
	if err != nil {
		return err
	}
	c := cfg.DeepCopy()
	c.RootFS = base.RootFS
	c.History = cfg.History
	img, err = mutate.ConfigFile(img, c)
	if err != nil {
		return err
	}
	got, err := img.ConfigFile()
	if err != nil {
		return err
	}
	for i, d := range got.RootFS.DiffIDs {
		if d != layers[i].DiffID {
			return fmt.Errorf("layer %d: DiffID %s from go-containerregistry, %s from the tar", i+1, d, layers[i].DiffID)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if err := tarball.WriteToFile(out+".tmp", ref, img); err != nil {
		return fmt.Errorf("write %s: %w", out, err)
	}
	return os.Rename(out+".tmp", out)
}
