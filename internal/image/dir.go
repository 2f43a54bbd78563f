package image

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"slices"
)

// mountinfo lists the mount points a walk of a root filesystem must not
// enter; it is absent off Linux, where only DefaultSkips apply.
const mountinfo = "/proc/self/mountinfo"

// dirSource is an unpacked root filesystem: no layers, just a directory.
type dirSource struct {
	nopCloser
	ref, root string
	walkAll   bool
}

func openDir(p string, opts Options) (Source, error) {
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
	return &dirSource{ref: p, root: abs, walkAll: opts.WalkAll}, nil
}

// Identity is empty: a directory tree has no cheap whole-tree identity.
func (s *dirSource) Identity() string { return "" }

// Read calls no LayerFunc; Metadata.RootDir is the directory and
// Metadata.Skip what a walk of it passes over: DefaultSkips (unless
// Options.WalkAll) and the mount points of pseudo, memory-backed, container
// and network file systems below it.
func (s *dirSource) Read(ctx context.Context, _ LayerFunc) (*Metadata, error) {
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	if !isDir(s.root) {
		return nil, fmt.Errorf("read image %s: no longer a directory", s.ref)
	}
	m := &Metadata{Kind: KindDir, Ref: s.ref, RootDir: s.root}
	if !s.walkAll {
		m.Skip = slices.Clone(DefaultSkips)
	}
	if f, err := os.Open(mountinfo); err == nil {
		m.Skip = append(m.Skip, mountSkips(f, s.root)...)
		f.Close()
	}
	return m, nil
}
