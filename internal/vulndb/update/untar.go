package update

import (
	"archive/tar"
	"compress/gzip"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"
)

// treeDir is the directory an Untar feed's archive is extracted into, in
// the feed's directory; it is the feed's build source path.
const treeDir = "tree"

// maxEntries bounds the entries of an archive (the largest advisory
// repository has tens of thousands of files).
const maxEntries = 500_000

// extractTarGz extracts the gzip-compressed tar at src into the new
// directory dst. Only regular files and directories are written; links,
// devices and the like are skipped. A common top directory (GitHub's
// "repo-main/") is stripped. Names that would land outside dst are an
// error, and so are more than maxBytes of content or maxEntries entries.
// On error dst is removed.
func extractTarGz(ctx context.Context, src, dst string, maxBytes int64) (err error) {
	f, err := os.Open(src)
	if err != nil {
		return fmt.Errorf("extract %s: %w", src, err)
	}
	defer f.Close()
	if err := os.Mkdir(dst, 0o755); err != nil {
		return fmt.Errorf("extract %s: %w", src, err)
	}
	defer func() {
		if err != nil {
			os.RemoveAll(dst)
			err = fmt.Errorf("extract %s: %w", filepath.Base(src), err)
		}
	}()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	prefix, err := commonTop(zr)
	if err != nil {
		return err
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return err
	}
	if err := zr.Reset(f); err != nil {
		return err
	}
	tr := tar.NewReader(zr)
	left := maxBytes
	for n := 0; ; n++ {
		if n%256 == 0 && ctx.Err() != nil {
			return ctx.Err()
		}
		if n >= maxEntries {
			return fmt.Errorf("more than %d entries", maxEntries)
		}
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil
		}
		if err != nil {
			return err
		}
		if h.Typeflag != tar.TypeDir && h.Typeflag != tar.TypeReg && h.Typeflag != '\x00' {
			continue // links, devices, pax headers
		}
		name, ok := entryName(h.Name, prefix)
		if !ok {
			return fmt.Errorf("entry %q: outside the archive's directory", h.Name)
		}
		if name == "" {
			continue
		}
		target := filepath.Join(dst, filepath.FromSlash(name))
		switch h.Typeflag {
		case tar.TypeDir:
			if err := os.MkdirAll(target, 0o755); err != nil {
				return err
			}
		default:
			if h.Size > left {
				return fmt.Errorf("entry %q: %w (%d bytes)", h.Name, ErrTooLarge, maxBytes)
			}
			left -= h.Size
			if err := os.MkdirAll(filepath.Dir(target), 0o755); err != nil {
				return err
			}
			if err := writeEntry(target, tr, h.Size); err != nil {
				return fmt.Errorf("entry %q: %w", h.Name, err)
			}
		}
	}
}

func writeEntry(target string, r io.Reader, size int64) error {
	out, err := os.OpenFile(target, os.O_CREATE|os.O_EXCL|os.O_WRONLY, 0o644)
	if err != nil {
		return err
	}
	if _, err := io.CopyN(out, r, size); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// commonTop returns the first path segment (with its slash) when every
// entry of the archive is under it, else "". It reads the whole stream.
func commonTop(r io.Reader) (string, error) {
	tr := tar.NewReader(r)
	top, first := "", true
	for n := 0; n < maxEntries; n++ {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return top, nil
		}
		if err != nil {
			return "", err
		}
		if h.Typeflag != tar.TypeDir && h.Typeflag != tar.TypeReg && h.Typeflag != '\x00' {
			continue // GitHub puts the commit id in a pax global header
		}
		name := strings.TrimPrefix(path.Clean("/"+h.Name), "/")
		seg, rest, _ := strings.Cut(name, "/")
		if rest == "" && h.Typeflag != tar.TypeDir {
			return "", nil // a file at the top
		}
		switch {
		case first:
			top, first = seg+"/", false
		case top != seg+"/":
			return "", nil
		}
	}
	return "", fmt.Errorf("more than %d entries", maxEntries)
}

// entryName cleans an entry name and strips prefix. ok is false for a name
// that climbs out of the archive ("../x", or absolute after cleaning
// differs); "" means the entry is the top directory itself.
func entryName(name, prefix string) (string, bool) {
	name = strings.ReplaceAll(name, `\`, "/")
	if path.IsAbs(name) || strings.HasPrefix(name, "../") || name == ".." || strings.Contains(name, "/../") || strings.HasSuffix(name, "/..") {
		return "", false
	}
	name = path.Clean(name)
	if name == "." {
		return "", true
	}
	if prefix != "" {
		if name+"/" == prefix {
			return "", true
		}
		rest, ok := strings.CutPrefix(name, prefix)
		if !ok {
			return "", false
		}
		name = rest
	}
	if !filepath.IsLocal(filepath.FromSlash(name)) {
		return "", false
	}
	return name, true
}
