package layerfs

import (
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
)

// AnalyzeDir records an unpacked root filesystem (for example a host's "/")
// as one layer. It walks through an os.Root so no path escapes root, never
// follows symlinks, passes over what opts.Skip names without reading it, and
// always skips proc, sys and dev when root is "/". Unreadable directories
// and files become Layer.Errors. DiffID and Digest stay empty.
func AnalyzeDir(ctx context.Context, root string, opts Options) (*Layer, error) {
	abs, err := filepath.Abs(root)
	if err != nil {
		return nil, fmt.Errorf("analyze dir %s: %w", root, err)
	}
	r, err := os.OpenRoot(abs)
	if err != nil {
		return nil, fmt.Errorf("analyze dir %s: %w", root, err)
	}
	defer r.Close()
	budget := captureBudget{maxFile: opts.MaxFileSize, left: opts.MaxTotalSize}
	if budget.maxFile <= 0 {
		budget.maxFile = DefaultMaxFileSize
	}
	if budget.left <= 0 {
		budget.left = DefaultMaxTotalSize
	}
	isHostRoot := abs == string(filepath.Separator)
	l := &Layer{Files: map[string][]byte{}}
	skip := newSkipper(opts.Skip)
	fsys := r.FS()
	err = fs.WalkDir(fsys, ".", func(p string, d fs.DirEntry, err error) error {
		if ctxErr := ctx.Err(); ctxErr != nil {
			return ctxErr
		}
		if err != nil {
			if p == "." {
				return err
			}
			l.Errors = append(l.Errors, fileErr(p, "%v", err))
			return nil // skips an unreadable directory
		}
		if p == "." {
			return nil
		}
		if isHostRoot && d.IsDir() && (p == "proc" || p == "sys" || p == "dev") {
			l.Skipped = append(l.Skipped, Skipped{Path: p, Dir: true, Reason: "kernel pseudo-filesystem"})
			return fs.SkipDir
		}
		if skip != nil {
			if reason, ok := skip.match(p, d.IsDir()); ok {
				l.Skipped = append(l.Skipped, Skipped{Path: p, Dir: d.IsDir(), Reason: reason})
				if d.IsDir() {
					return fs.SkipDir
				}
				return nil
			}
		}
		if d.IsDir() && opts.Walked != nil {
			opts.Walked(len(l.Entries), p)
		}
		info, err := d.Info()
		if err != nil {
			l.Errors = append(l.Errors, fileErr(p, "%v", err))
			if d.IsDir() {
				return fs.SkipDir
			}
			return nil
		}
		e := Entry{Path: p, Mode: info.Mode(), Size: info.Size()}
		e.UID, e.GID = owner(info)
		if e.Mode&fs.ModeSymlink != 0 {
			target, err := r.Readlink(p)
			if err != nil {
				l.Errors = append(l.Errors, fileErr(p, "%v", err))
			}
			e.Linkname = target
		}
		if !e.Mode.IsRegular() {
			e.Size = 0
		}
		l.Entries = append(l.Entries, e)
		if !e.Mode.IsRegular() || opts.Wants == nil || !opts.Wants(p, e.Mode) {
			return nil
		}
		if !budget.admits(l, p, e.Mode, e.Size, opts) {
			return nil
		}
		data, err := readRootFile(r, p, budget.maxFile)
		if err != nil {
			l.Errors = append(l.Errors, fileErr(p, "%v", err))
			return nil
		}
		keep(l, &budget, p, e.Mode, data, opts)
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("analyze dir %s: %w", root, err)
	}
	return l, nil
}

var errGrew = errors.New("file grew past the size limit while reading")

// readRootFile reads a regular file through r, at most limit bytes.
func readRootFile(r *os.Root, p string, limit int64) ([]byte, error) {
	f, err := r.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if st, err := f.Stat(); err != nil {
		return nil, err
	} else if !st.Mode().IsRegular() {
		return nil, fmt.Errorf("changed to %v while walking", st.Mode().Type())
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, err
	}
	if int64(len(data)) > limit {
		return nil, errGrew
	}
	return data, nil
}
