package extract

import (
	"bytes"
	"io/fs"
	"slices"
	"sync"

	"github.com/customs-scanner/customs/internal/layerfs"
)

// rawView is the merged filesystem as extractors read it through
// Input.FS: files that Preparers kept in parts read as their raw content
// (when an extractor that is not a Preparer wanted them) or as not captured.
type rawView struct {
	*layerfs.FS
}

// ReadFile implements fs.ReadFileFS: a copy of the raw content only.
func (v rawView) ReadFile(name string) ([]byte, error) {
	raw, err := v.raw("read", name)
	if err != nil {
		return nil, err
	}
	return slices.Clone(raw), nil
}

// raw returns the raw content of the file name, shared with the layer.
func (v rawView) raw(op, name string) ([]byte, error) {
	b, err := v.FS.Bytes(name)
	if err != nil {
		return nil, err
	}
	raw, ok := contentFor(rawPart, false, b)
	if !ok {
		return nil, &fs.PathError{Op: op, Path: name, Err: layerfs.ErrNotCaptured}
	}
	return raw, nil
}

// Open implements fs.FS.
func (v rawView) Open(name string) (fs.File, error) {
	f, err := v.FS.Open(name)
	if err != nil {
		return nil, err
	}
	st, err := f.Stat()
	if err != nil || !st.Mode().IsRegular() {
		return f, err
	}
	f.Close()
	raw, err := v.raw("open", name)
	if err != nil {
		return nil, err
	}
	return &rawFile{Reader: bytes.NewReader(raw), info: st}, nil
}

type rawFile struct {
	*bytes.Reader
	info fs.FileInfo
}

func (f *rawFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *rawFile) Close() error               { return nil }

// lazyView is the rawView of a lower layer's merged filesystem, merged when
// an extractor first reads it. Merging costs as much as the layers have
// entries (80 ms for 60k), and most extractors never read Input.FS: only
// dpkg, python, ruby and rpm do, so a layer that adds only executables,
// archives or lockfiles is not merged at all.
type lazyView struct {
	layers []*layerfs.Layer
	once   sync.Once
	v      rawView
}

func (l *lazyView) view() rawView {
	l.once.Do(func() { l.v = rawView{layerfs.Merge(l.layers)} })
	return l.v
}

// Open implements fs.FS.
func (l *lazyView) Open(name string) (fs.File, error) { return l.view().Open(name) }

// ReadFile implements fs.ReadFileFS.
func (l *lazyView) ReadFile(name string) ([]byte, error) { return l.view().ReadFile(name) }

// ReadDir implements fs.ReadDirFS.
func (l *lazyView) ReadDir(name string) ([]fs.DirEntry, error) { return l.view().ReadDir(name) }

// Stat implements fs.StatFS.
func (l *lazyView) Stat(name string) (fs.FileInfo, error) { return l.view().Stat(name) }

// Lstat implements fs.ReadLinkFS.
func (l *lazyView) Lstat(name string) (fs.FileInfo, error) { return l.view().Lstat(name) }

// ReadLink implements fs.ReadLinkFS.
func (l *lazyView) ReadLink(name string) (string, error) { return l.view().ReadLink(name) }
