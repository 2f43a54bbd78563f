package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/layout"
)

// ociDirSource is an OCI image layout directory, read with
// go-containerregistry's layout package.
type ociDirSource struct {
	nopCloser
	dir      string
	ref      string
	tag      string
	digest   string
	platform string
	// limit is how many layers are read at once (Options.Concurrency).
	limit int
}

// openOCIDir opens PATH, PATH:TAG or PATH@DIGEST.
func openOCIDir(ref string, opts Options) (Source, error) {
	if ref == "" {
		return nil, errors.New("empty path; give the OCI layout directory after oci-dir:")
	}
	s := &ociDirSource{dir: ref, ref: ref, platform: opts.Platform, limit: opts.limit()}
	if !isDir(ref) {
		if d, dg, ok := strings.Cut(ref, "@"); ok && isDir(d) {
			s.dir, s.digest = d, dg
		} else if i := strings.LastIndex(ref, ":"); i > 0 && isDir(ref[:i]) {
			s.dir, s.tag = ref[:i], ref[i+1:]
		} else {
			return nil, errors.New("no such directory; give an OCI layout directory, optionally with :TAG or @DIGEST")
		}
	}
	if _, err := os.Stat(filepath.Join(s.dir, "index.json")); err != nil {
		return nil, fmt.Errorf("%s has no index.json, so it is not an OCI layout; for an unpacked root filesystem use dir:", s.dir)
	}
	abs, err := filepath.Abs(s.dir)
	if err != nil {
		return nil, err
	}
	s.dir = abs
	return s, nil
}

func isDir(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && fi.IsDir()
}

// Identity is empty: an OCI layout's blobs are content-addressed, so
// per-blob caching by digest is the scan's fast path.
func (s *ociDirSource) Identity() string { return "" }

func (s *ociDirSource) Read(ctx context.Context, layer LayerFunc) (*Metadata, error) {
	m, err := s.read(ctx, layer)
	if err != nil {
		return nil, fmt.Errorf("read image %s: %w", s.ref, err)
	}
	return m, nil
}

func (s *ociDirSource) read(ctx context.Context, layer LayerFunc) (*Metadata, error) {
	p, err := layout.FromPath(s.dir)
	if err != nil {
		return nil, fmt.Errorf("open OCI layout: %w", err)
	}
	rawIndex, err := readCapped(filepath.Join(s.dir, "index.json"))
	if err != nil {
		return nil, err
	}
	get := func(h v1.Hash) ([]byte, error) {
		rc, err := p.Blob(h)
		if errors.Is(err, os.ErrNotExist) {
			return nil, fmt.Errorf("blob %s is missing from the layout", h)
		}
		if err != nil {
			return nil, fmt.Errorf("blob %s: %w", h, err)
		}
		defer rc.Close()
		return readAllCapped(rc, h.String())
	}
	sel, err := selectOCI(rawIndex, get, s.tag, s.digest, s.platform)
	if err != nil {
		return nil, err
	}
	rawCfg, err := get(sel.Manifest.Config.Digest)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	check, err := configCheck(s.platform, sel.Platform)
	if err != nil {
		return nil, err
	}
	layers := ociLayers(sel.Manifest)
	m, err := newMetadata(KindOCIDir, s.ref, rawCfg, layers, check)
	if err != nil {
		return nil, err
	}
	m.ManifestDigest = sel.ManifestDigest.String()
	if sel.Name != "" {
		m.RepoTags = []string{sel.Name}
	}
	// Check every layer blob is there before handing any out.
	for _, l := range sel.Manifest.Layers {
		rc, err := p.Blob(l.Digest)
		if err != nil {
			return nil, fmt.Errorf("layer blob %s named by manifest %s is missing from the layout", l.Digest, sel.ManifestDigest)
		}
		rc.Close()
	}
	if layer == nil {
		return m, nil
	}
	ls := distinctLayers(sel.Manifest.Layers, s.limit)
	err = fanOut(ctx, s.limit, len(ls), func(ctx context.Context, i int) error {
		h := ls[i].Digest
		open := func() (io.ReadCloser, error) { return p.Blob(h) }
		if err := layer(ctx, Blob{Key: h.String(), Open: open}); err != nil {
			return fmt.Errorf("layer %s: %w", h, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// readCapped reads a small file, refusing one over maxJSON.
func readCapped(p string) ([]byte, error) {
	f, err := os.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	return readAllCapped(f, filepath.Base(p))
}

func readAllCapped(r io.Reader, name string) ([]byte, error) {
	b, err := io.ReadAll(io.LimitReader(r, maxJSON+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(b) > maxJSON {
		return nil, fmt.Errorf("%s is over the %d MiB limit for JSON", name, maxJSON>>20)
	}
	return b, nil
}
