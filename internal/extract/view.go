package extract

import (
	"bytes"
	"io"
	"io/fs"

	"github.com/customs-scanner/customs/internal/layerfs"
)

// rawView is the merged filesystem as extractors read it through
// Input.FS: files that Preparers kept in parts read as their raw content
// (when an extractor that is not a Preparer wanted them) or as not captured.
type rawView struct {
	*layerfs.FS
}

// ReadFile implements fs.ReadFileFS.
func (v rawView) ReadFile(name string) ([]byte, error) {
	b, err := v.FS.ReadFile(name)
	if err != nil {
		return nil, err
	}
	raw, ok := contentFor(rawPart, false, b)
	if !ok {
		return nil, &fs.PathError{Op: "read", Path: name, Err: layerfs.ErrNotCaptured}
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
	b, err := io.ReadAll(f)
	f.Close()
	if err != nil {
		return nil, err
	}
	raw, ok := contentFor(rawPart, false, b)
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: layerfs.ErrNotCaptured}
	}
	return &rawFile{Reader: bytes.NewReader(raw), info: st}, nil
}

type rawFile struct {
	*bytes.Reader
	info fs.FileInfo
}

func (f *rawFile) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *rawFile) Close() error               { return nil }
