package main

import (
	"archive/tar"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path"
	"path/filepath"
	"syscall"
	"time"
)

// layerWriter writes the entries of upper that differ from lower as a layer
// tar, plus a whiteout for every entry of lower that upper no longer has. With
// lower == "" it writes all of upper.
type layerWriter struct {
	lower, upper string
	tw           *tar.Writer
	emitted      map[string]bool   // directories already written
	links        map[uint64]string // inode -> first path written, for hard links
	entries      int
}

func writeLayer(ctx context.Context, lower, upper string, w io.Writer) (int, error) {
	lw := &layerWriter{
		lower:   lower,
		upper:   upper,
		tw:      tar.NewWriter(w),
		emitted: map[string]bool{".": true},
		links:   map[uint64]string{},
	}
	err := filepath.WalkDir(upper, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(upper, p)
		if err != nil || rel == "." {
			return err
		}
		fi, err := d.Info()
		if err != nil {
			return err
		}
		changed, err := lw.changed(rel, fi)
		if err != nil || !changed {
			return err
		}
		return lw.add(rel, fi)
	})
	if err != nil {
		return 0, fmt.Errorf("walk %s: %w", upper, err)
	}
	if lower != "" {
		if err := lw.whiteouts(ctx); err != nil {
			return 0, err
		}
	}
	if err := lw.tw.Close(); err != nil {
		return 0, fmt.Errorf("close layer tar: %w", err)
	}
	return lw.entries, nil
}

// changed reports whether upper's rel differs from lower's in type, mode,
// owner, size, mtime or link target.
func (lw *layerWriter) changed(rel string, fi fs.FileInfo) (bool, error) {
	if lw.lower == "" {
		return true, nil
	}
	lfi, err := os.Lstat(filepath.Join(lw.lower, rel))
	if errors.Is(err, fs.ErrNotExist) {
		return true, nil
	}
	if err != nil {
		return false, err
	}
	if lfi.Mode() != fi.Mode() || !lfi.ModTime().Equal(fi.ModTime()) {
		return true, nil
	}
	if fi.Mode().IsRegular() && lfi.Size() != fi.Size() {
		return true, nil
	}
	us, uok := fi.Sys().(*syscall.Stat_t)
	ls, lok := lfi.Sys().(*syscall.Stat_t)
	if uok && lok && (us.Uid != ls.Uid || us.Gid != ls.Gid) {
		return true, nil
	}
	if fi.Mode()&fs.ModeSymlink != 0 {
		a, err1 := os.Readlink(filepath.Join(lw.upper, rel))
		b, err2 := os.Readlink(filepath.Join(lw.lower, rel))
		return a != b || err1 != nil || err2 != nil, nil
	}
	return false, nil
}

// parents writes the directories above rel that are not in the layer yet, so
// every entry has its parent in the same tar, as docker does.
func (lw *layerWriter) parents(rel string) error {
	dir := path.Dir(filepath.ToSlash(rel))
	if lw.emitted[dir] {
		return nil
	}
	if err := lw.parents(dir); err != nil {
		return err
	}
	fi, err := os.Lstat(filepath.Join(lw.upper, dir))
	if err != nil {
		return err
	}
	return lw.add(dir, fi)
}

func (lw *layerWriter) add(rel string, fi fs.FileInfo) error {
	rel = filepath.ToSlash(rel)
	if err := lw.parents(rel); err != nil {
		return err
	}
	full := filepath.Join(lw.upper, rel)
	var target string
	if fi.Mode()&fs.ModeSymlink != 0 {
		t, err := os.Readlink(full)
		if err != nil {
			return err
		}
		target = t
	}
	hdr, err := tar.FileInfoHeader(fi, target)
	if err != nil {
		return fmt.Errorf("header %s: %w", rel, err)
	}
	hdr.Name = rel
	hdr.Uname, hdr.Gname = "", ""
	hdr.AccessTime, hdr.ChangeTime = time.Time{}, time.Time{}
	hdr.ModTime = fi.ModTime().Truncate(time.Second)
	if fi.IsDir() {
		hdr.Name += "/"
		lw.emitted[rel] = true
	}
	if st, ok := fi.Sys().(*syscall.Stat_t); ok && fi.Mode().IsRegular() && st.Nlink > 1 {
		if first, ok := lw.links[st.Ino]; ok {
			hdr.Typeflag, hdr.Linkname, hdr.Size = tar.TypeLink, first, 0
		} else {
			lw.links[st.Ino] = rel
		}
	}
	if err := lw.tw.WriteHeader(hdr); err != nil {
		return fmt.Errorf("write header %s: %w", rel, err)
	}
	lw.entries++
	if hdr.Typeflag != tar.TypeReg || hdr.Size == 0 {
		return nil
	}
	f, err := os.Open(full)
	if err != nil {
		return err
	}
	defer f.Close()
	if _, err := io.Copy(lw.tw, f); err != nil {
		return fmt.Errorf("copy %s: %w", rel, err)
	}
	return nil
}

// whiteouts writes ".wh.NAME" for each entry of lower missing from upper; a
// removed directory needs one whiteout, not one per child.
func (lw *layerWriter) whiteouts(ctx context.Context) error {
	return filepath.WalkDir(lw.lower, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if err := ctx.Err(); err != nil {
			return err
		}
		rel, err := filepath.Rel(lw.lower, p)
		if err != nil || rel == "." {
			return err
		}
		_, err = os.Lstat(filepath.Join(lw.upper, rel))
		if err == nil {
			return nil
		}
		if !errors.Is(err, fs.ErrNotExist) {
			return err
		}
		rel = filepath.ToSlash(rel)
		wh := path.Join(path.Dir(rel), ".wh."+path.Base(rel))
		if err := lw.parents(wh); err != nil {
			return err
		}
		if err := lw.tw.WriteHeader(&tar.Header{Typeflag: tar.TypeReg, Name: wh, Mode: 0o644}); err != nil {
			return fmt.Errorf("write whiteout %s: %w", wh, err)
		}
		lw.entries++
		if d.IsDir() {
			return fs.SkipDir
		}
		return nil
	})
}
