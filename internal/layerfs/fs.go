package layerfs

import (
	"bytes"
	"errors"
	"io"
	"io/fs"
	"path"
	"slices"
	"strings"
	"time"
)

// ErrNotCaptured is wrapped by the errors of opening or reading a file that
// exists in the image but whose content Analyze did not keep (Options.Wants
// did not select it, it was too large, or it is not a regular file).
var ErrNotCaptured = errors.New("content not captured")

// ErrSymlinkLoop is wrapped when resolving a path needs more than
// MaxSymlinkHops symbolic links.
var ErrSymlinkLoop = errors.New("too many levels of symbolic links")

// MaxSymlinkHops bounds symlink resolution, like Linux's MAXSYMLINKS.
const MaxSymlinkHops = 40

var errNotDir = errors.New("not a directory")

var (
	_ fs.StatFS     = (*FS)(nil)
	_ fs.ReadFileFS = (*FS)(nil)
	_ fs.ReadDirFS  = (*FS)(nil)
	_ fs.ReadLinkFS = (*FS)(nil)
)

// resolve walks name from the root, following symlinks in every component
// and also in the last one when followLast is set. Absolute targets start
// again at the image root and ".." stops at the root, as under chroot. It
// returns the node and its real path.
func (f *FS) resolve(op, name string, followLast bool) (*node, string, error) {
	if !fs.ValidPath(name) {
		return nil, "", &fs.PathError{Op: op, Path: name, Err: fs.ErrInvalid}
	}
	cur := "."
	n := f.nodes["."]
	if name == "." {
		return n, cur, nil
	}
	rest := name
	hops := 0
	for rest != "" {
		var c string
		c, rest, _ = strings.Cut(rest, "/")
		switch c {
		case "", ".":
			continue
		case "..":
			cur = path.Dir(cur) // path.Dir(".") == "."
			n = f.nodes[cur]
			continue
		}
		next := path.Join(cur, c)
		nn := f.nodes[next]
		if nn == nil {
			return nil, "", &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
		}
		if nn.isSymlink() && (rest != "" || followLast) {
			hops++
			if hops > MaxSymlinkHops {
				return nil, "", &fs.PathError{Op: op, Path: name, Err: ErrSymlinkLoop}
			}
			target := nn.linkname
			if target == "" {
				return nil, "", &fs.PathError{Op: op, Path: name, Err: fs.ErrNotExist}
			}
			if strings.HasPrefix(target, "/") {
				cur, n = ".", f.nodes["."]
			}
			if rest == "" {
				rest = target
			} else {
				rest = target + "/" + rest
			}
			rest = strings.TrimLeft(rest, "/")
			continue
		}
		if rest != "" && !nn.isDir() {
			return nil, "", &fs.PathError{Op: op, Path: name, Err: errNotDir}
		}
		cur, n = next, nn
	}
	return n, cur, nil
}

// Open opens name, following symlinks. Directories can be read with
// ReadDir; regular files only when their content was captured, otherwise
// the error wraps ErrNotCaptured.
func (f *FS) Open(name string) (fs.File, error) {
	n, real, err := f.resolve("open", name, true)
	if err != nil {
		return nil, err
	}
	info := f.info(path.Base(name), n)
	if n.isDir() {
		return &dirFile{info: info, entries: f.dirEntries(real, n)}, nil
	}
	data, ok := f.content(n)
	if !ok {
		return nil, &fs.PathError{Op: "open", Path: name, Err: ErrNotCaptured}
	}
	return &file{info: info, Reader: bytes.NewReader(data)}, nil
}

// ReadFile returns a copy of the captured content of name, following
// symlinks (fs.ReadFileFS lets callers modify the result). Bytes avoids
// the copy.
func (f *FS) ReadFile(name string) ([]byte, error) {
	data, err := f.bytes("readfile", name)
	if err != nil {
		return nil, err
	}
	return slices.Clone(data), nil
}

// Bytes returns the captured content of name like ReadFile, without
// copying: the slice is shared with the Layer and must not be modified.
func (f *FS) Bytes(name string) ([]byte, error) {
	return f.bytes("bytes", name)
}

func (f *FS) bytes(op, name string) ([]byte, error) {
	n, _, err := f.resolve(op, name, true)
	if err != nil {
		return nil, err
	}
	if n.isDir() {
		return nil, &fs.PathError{Op: op, Path: name, Err: errors.New("is a directory")}
	}
	data, ok := f.content(n)
	if !ok {
		return nil, &fs.PathError{Op: op, Path: name, Err: ErrNotCaptured}
	}
	return data, nil
}

// Stat returns the FileInfo of name, following symlinks. Sys() returns the
// Entry as written by its layer.
func (f *FS) Stat(name string) (fs.FileInfo, error) {
	n, _, err := f.resolve("stat", name, true)
	if err != nil {
		return nil, err
	}
	return f.info(path.Base(name), n), nil
}

// Lstat returns the FileInfo of name without following a final symlink.
func (f *FS) Lstat(name string) (fs.FileInfo, error) {
	n, _, err := f.resolve("lstat", name, false)
	if err != nil {
		return nil, err
	}
	return f.info(path.Base(name), n), nil
}

// ReadLink returns the target of the symlink name, as written.
func (f *FS) ReadLink(name string) (string, error) {
	n, _, err := f.resolve("readlink", name, false)
	if err != nil {
		return "", err
	}
	if !n.isSymlink() {
		return "", &fs.PathError{Op: "readlink", Path: name, Err: fs.ErrInvalid}
	}
	return n.linkname, nil
}

// ReadDir returns the entries of directory name sorted by name, following
// symlinks to it. Entries are not followed (Type() reports a symlink).
func (f *FS) ReadDir(name string) ([]fs.DirEntry, error) {
	n, real, err := f.resolve("readdir", name, true)
	if err != nil {
		return nil, err
	}
	if !n.isDir() {
		return nil, &fs.PathError{Op: "readdir", Path: name, Err: errNotDir}
	}
	return f.dirEntries(real, n), nil
}

func (f *FS) dirEntries(dir string, n *node) []fs.DirEntry {
	names := make([]string, 0, len(n.children))
	for c := range n.children {
		names = append(names, c)
	}
	slices.Sort(names)
	out := make([]fs.DirEntry, 0, len(names))
	for _, c := range names {
		if cn := f.nodes[path.Join(dir, c)]; cn != nil {
			out = append(out, fs.FileInfoToDirEntry(f.info(c, cn)))
		}
	}
	return out
}

func (f *FS) content(n *node) ([]byte, bool) {
	if n.dataLayer < 0 || !n.mode.IsRegular() {
		return nil, false
	}
	data, ok := f.layers[n.dataLayer].Files[n.dataPath]
	return data, ok
}

func (f *FS) info(name string, n *node) fileInfo {
	return fileInfo{name: name, size: n.size, mode: n.mode, entry: n.e}
}

type fileInfo struct {
	name  string
	size  int64
	mode  fs.FileMode
	entry Entry
}

func (i fileInfo) Name() string       { return i.name }
func (i fileInfo) Size() int64        { return i.size }
func (i fileInfo) Mode() fs.FileMode  { return i.mode }
func (i fileInfo) ModTime() time.Time { return time.Time{} }
func (i fileInfo) IsDir() bool        { return i.mode.IsDir() }
func (i fileInfo) Sys() any           { return i.entry }

type file struct {
	info fileInfo
	*bytes.Reader
}

func (f *file) Stat() (fs.FileInfo, error) { return f.info, nil }
func (f *file) Close() error               { return nil }

type dirFile struct {
	info    fileInfo
	entries []fs.DirEntry
	off     int
}

func (d *dirFile) Stat() (fs.FileInfo, error) { return d.info, nil }
func (d *dirFile) Close() error               { return nil }
func (d *dirFile) Read([]byte) (int, error) {
	return 0, &fs.PathError{Op: "read", Path: d.info.name, Err: errors.New("is a directory")}
}

// ReadDir implements fs.ReadDirFile.
func (d *dirFile) ReadDir(count int) ([]fs.DirEntry, error) {
	rest := d.entries[d.off:]
	if count <= 0 {
		d.off = len(d.entries)
		return rest, nil
	}
	if len(rest) == 0 {
		return nil, io.EOF
	}
	count = min(count, len(rest))
	d.off += count
	return rest[:count], nil
}
