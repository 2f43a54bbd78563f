package image

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
)

// dirSource is an unpacked root filesystem: no layers, just a directory.
type dirSource struct {
	nopCloser
	ref, root string
}

func openDir(p string) (Source, error) {
	if p == "" {
		return nil, errors.New("empty path; give the root filesystem directory after dir:")
	}
	fi, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	if !fi.IsDir() {
		return nil, errors.New("not a directory; dir: and rootfs: take an unpacked root filesystem")
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, err
	}
	return &dirSource{ref: p, root: abs}, nil
}

// Identity is empty: a directory tree has no cheap whole-tree identity.
func (s *dirSource) Identity() string { return "" }

// Read calls no LayerFunc; Metadata.RootDir is the directory.
func (s *dirSource) Read(ctx context.Context, _ LayerFunc) (*Metadata, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !isDir(s.root) {
		return nil, fmt.Errorf("read image %s: no longer a directory", s.ref)
	}
	return &Metadata{Kind: KindDir, Ref: s.ref, RootDir: s.root}, nil
}
