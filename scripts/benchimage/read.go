package main

import (
	"archive/tar"
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/klauspost/compress/gzip"
)

type readStats struct {
	Layers  int
	Entries int
	Bytes   int64
	DiffIDs []string // with readOptions.Hash
}

// discard hides io.Discard's ReadFrom so io.CopyBuffer uses our 1 MiB buffer.
type discard struct{ io.Writer }

// readOptions say how much work readArchive does per layer.
type readOptions struct {
	Entries bool // walk the layer's tar and read every entry; else only gunzip
	Hash    bool // also sha256 the uncompressed layer, as a DiffID check must
}

// readArchive is the floor a scanner is measured against: it streams every
// layer blob of a docker-archive once.
func readArchive(ctx context.Context, archive string, o readOptions) (readStats, error) {
	entries := o.Entries
	var st readStats
	f, err := os.Open(archive)
	if err != nil {
		return st, err
	}
	defer f.Close()
	layers, err := manifestLayers(f)
	if err != nil {
		return st, fmt.Errorf("%s: %w", archive, err)
	}
	if _, err := f.Seek(0, io.SeekStart); err != nil {
		return st, err
	}
	buf := make([]byte, 1<<20)
	out := discard{io.Discard}
	outer := tar.NewReader(bufio.NewReaderSize(f, 1<<20))
	for {
		if err := ctx.Err(); err != nil {
			return st, err
		}
		hdr, err := outer.Next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return st, fmt.Errorf("read %s: %w", archive, err)
		}
		if !layers[path.Clean(hdr.Name)] {
			continue
		}
		st.Layers++
		br := bufio.NewReaderSize(outer, 1<<20)
		magic, _ := br.Peek(2)
		var layer io.Reader = br
		if bytes.Equal(magic, []byte{0x1f, 0x8b}) {
			zr, err := gzip.NewReader(br)
			if err != nil {
				return st, fmt.Errorf("gunzip %s: %w", hdr.Name, err)
			}
			layer = zr
		} else if !entries {
			return st, fmt.Errorf("layer %s is not gzip", hdr.Name)
		}
		if !entries {
			n, err := io.CopyBuffer(out, struct{ io.Reader }{layer}, buf)
			st.Bytes += n
			if err != nil {
				return st, fmt.Errorf("gunzip %s: %w", hdr.Name, err)
			}
			continue
		}
		h := sha256.New()
		if o.Hash {
			layer = io.TeeReader(layer, h)
		}
		tr := tar.NewReader(layer)
		for {
			th, err := tr.Next()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				return st, fmt.Errorf("read layer %s: %w", hdr.Name, err)
			}
			st.Entries++
			if th.Size == 0 {
				continue
			}
			n, err := io.CopyBuffer(out, struct{ io.Reader }{tr}, buf)
			st.Bytes += n
			if err != nil {
				return st, fmt.Errorf("read %s in %s: %w", th.Name, hdr.Name, err)
			}
		}
		if o.Hash { // the tar's trailing padding is part of the DiffID
			if _, err := io.CopyBuffer(out, struct{ io.Reader }{layer}, buf); err != nil {
				return st, fmt.Errorf("read %s: %w", hdr.Name, err)
			}
			st.DiffIDs = append(st.DiffIDs, "sha256:"+hex.EncodeToString(h.Sum(nil)))
		}
	}
	if st.Layers == 0 {
		return st, fmt.Errorf("%s: no layers", archive)
	}
	return st, nil
}

// manifestLayers returns the layer blob names listed in the archive's
// manifest.json. The tar reader seeks over the blobs, so this is cheap.
func manifestLayers(f *os.File) (map[string]bool, error) {
	tr := tar.NewReader(f)
	for {
		hdr, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return nil, errors.New("no manifest.json")
		}
		if err != nil {
			return nil, err
		}
		if path.Clean(hdr.Name) != "manifest.json" {
			continue
		}
		var m []struct{ Layers []string }
		if err := json.NewDecoder(io.LimitReader(tr, 1<<20)).Decode(&m); err != nil {
			return nil, fmt.Errorf("manifest.json: %w", err)
		}
		if len(m) != 1 {
			return nil, fmt.Errorf("manifest.json: %d images, want 1", len(m))
		}
		set := map[string]bool{}
		for _, l := range m[0].Layers {
			set[path.Clean(l)] = true
		}
		return set, nil
	}
}

// dpkgCount counts the packages dpkg considers installed in rootfs.
func dpkgCount(rootfs string) (int, error) {
	data, err := os.ReadFile(filepath.Join(rootfs, "var/lib/dpkg/status"))
	if err != nil {
		return 0, err
	}
	n := 0
	for _, para := range strings.Split(string(data), "\n\n") {
		for _, line := range strings.Split(para, "\n") {
			if strings.HasPrefix(line, "Status:") && strings.HasSuffix(strings.TrimSpace(line), " installed") &&
				!strings.Contains(line, "not-installed") && !strings.Contains(line, "config-files") {
				n++
			}
		}
	}
	return n, nil
}
