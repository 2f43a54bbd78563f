package image

import (
	"archive/tar"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// archiveSource is a docker save tar or a tar of an OCI layout. A plain tar
// in a regular file is indexed first and its layers read several at once;
// a compressed one or a pipe is read in one sequential pass.
type archiveSource struct {
	nopCloser
	// ref is the path as given, path the absolute one.
	ref, path string
	// kind is KindDockerArchive, KindOCIArchive, or "" to decide from the
	// contents after the pass.
	kind     string
	platform string
	// limit is how many layers are read at once (Options.Concurrency).
	limit int
}

const hintPrefix = "name the kind with a scheme prefix such as docker-archive:, oci-archive: or oci-dir:"

func openArchive(p, kind string, opts Options) (Source, error) {
	if p == "" {
		return nil, errors.New("empty path; give the archive file after the scheme")
	}
	// Stat, not open: a named pipe can be opened only once.
	fi, err := os.Stat(p)
	if errors.Is(err, fs.ErrNotExist) {
		return nil, missingPath(p)
	}
	if err != nil {
		return nil, err
	}
	if fi.IsDir() {
		return nil, errors.New("is a directory, not an archive; use oci-dir: or dir:")
	}
	if fi.Mode().IsRegular() {
		// Check the first tar header now, so a wrong file fails early.
		f, err := os.Open(p)
		if err != nil {
			return nil, err
		}
		err = checkTarHead(f)
		f.Close()
		if err != nil {
			return nil, fmt.Errorf("not a docker-archive or OCI archive (%v); %s", err, hintPrefix)
		}
	}
	abs, err := filepath.Abs(p)
	if err != nil {
		return nil, err
	}
	return &archiveSource{ref: p, path: abs, kind: kind, platform: opts.Platform, limit: opts.limit()}, nil
}

// checkTarHead reads the first header of a (possibly compressed) tar.
func checkTarHead(r io.Reader) error {
	inner, closeInner, err := decompressOuter(r)
	if err != nil {
		return err
	}
	defer closeInner()
	head := make([]byte, 512)
	if _, err := io.ReadFull(inner, head); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return errors.New("too short for a tar file")
		}
		return err
	}
	if _, err := tar.NewReader(bytes.NewReader(head)).Next(); err != nil && !errors.Is(err, io.ErrUnexpectedEOF) {
		return errors.New("not a tar file")
	}
	return nil
}

// Identity is built from the archive file's stat: path, size, mtime, ctime,
// inode and device, and from the platform asked for, which decides what is
// read from the same file (an image of several, or an error). Empty for
// anything but a regular file.
func (s *archiveSource) Identity() string {
	id := FileIdentity(s.path)
	if id != "" && s.platform != "" {
		id += ":platform=" + s.platform
	}
	return id
}

// FileIdentity identifies a regular file's bytes by its stat: path, size,
// mtime, ctime, inode and device (empty when p is not a regular file or the
// platform has no inodes). Rewriting the file changes it, so a result
// computed from the file can be cached under it.
func FileIdentity(p string) string {
	fi, err := os.Stat(p)
	if err != nil || !fi.Mode().IsRegular() {
		return ""
	}
	ctime, ino, dev, ok := statIDs(fi)
	if !ok {
		return ""
	}
	return fmt.Sprintf("file:%s:size=%d:mtime=%d:ctime=%d:ino=%d:dev=%d",
		p, fi.Size(), fi.ModTime().UnixNano(), ctime, ino, dev)
}

func (s *archiveSource) Read(ctx context.Context, layer LayerFunc) (*Metadata, error) {
	m, err := s.read(ctx, layer)
	if err != nil {
		return nil, fmt.Errorf("read image %s: %w", s.ref, err)
	}
	m.Ref = s.ref
	return m, nil
}

func (s *archiveSource) read(ctx context.Context, layer LayerFunc) (*Metadata, error) {
	f, err := os.Open(s.path)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if s.limit > 1 && plainFile(f) {
		m, err := s.readIndexed(ctx, f, layer)
		if !errors.Is(err, errSparse) {
			return m, err
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return nil, err
		}
	}
	a, err := readArchive(ctx, f, layer)
	if err != nil {
		return nil, err
	}
	return s.resolve(a)
}

// readIndexed indexes a plain archive file, resolves its metadata (so a
// broken manifest fails before any layer is read), then hands out the
// layer blobs s.limit at a time.
func (s *archiveSource) readIndexed(ctx context.Context, f *os.File, layer LayerFunc) (*Metadata, error) {
	a, blobs, err := indexArchive(ctx, f)
	if err != nil {
		return nil, err
	}
	m, err := s.resolve(a)
	if err != nil {
		return nil, err
	}
	// Only the chosen image's layers: an archive of several images (or
	// platforms) holds others'.
	want := map[string]bool{}
	for _, l := range m.Layers {
		want[l.Key] = true
	}
	blobs = slices.DeleteFunc(blobs, func(b blobAt) bool { return !want[b.key] })
	if layer != nil {
		if err := readBlobsAt(ctx, f, blobs, s.limit, layer); err != nil {
			return nil, err
		}
	}
	return m, nil
}

// resolve joins what the pass learnt into the metadata, deciding the kind
// from the contents when no scheme named it.
func (s *archiveSource) resolve(a *archivePass) (*Metadata, error) {
	kind := s.kind
	if kind == "" {
		switch {
		case a.files["manifest.json"] != nil:
			kind = KindDockerArchive
		case a.files["index.json"] != nil:
			kind = KindOCIArchive
		default:
			return nil, fmt.Errorf("not a docker-archive or OCI archive (no manifest.json or index.json); %s", hintPrefix)
		}
	}
	var m *Metadata
	var err error
	if kind == KindOCIArchive {
		m, err = resolveOCIArchive(a, s.platform)
	} else {
		m, err = resolveDockerArchive(a, s.platform)
	}
	if err != nil {
		return nil, err
	}
	m.Kind = kind
	return m, nil
}

// dockerManifest is one entry of a docker save manifest.json.
type dockerManifest struct {
	Config   string
	RepoTags []string
	Layers   []string
}

// resolveDockerArchive reads manifest.json and joins it with the layers met
// in the pass. With several images in manifest.json the first is used, or,
// with a platform, the first whose config is for that platform.
func resolveDockerArchive(a *archivePass, platform string) (*Metadata, error) {
	raw, ok := a.files["manifest.json"]
	if !ok {
		return nil, errors.New("no manifest.json; not a docker save archive (for an OCI archive use oci-archive:)")
	}
	var ms []dockerManifest
	if err := json.Unmarshal(raw, &ms); err != nil {
		return nil, fmt.Errorf("parse manifest.json: %w", err)
	}
	if len(ms) == 0 {
		return nil, errors.New("manifest.json lists no images")
	}
	dm, rawCfg, err := chooseDockerManifest(a, ms, platform)
	if err != nil {
		return nil, err
	}
	// Docker 25+ saves an OCI manifest too; find it for its digest and
	// media types.
	mdigest, om := findOCIManifest(a, rawCfg)
	layers := make([]layerRef, len(dm.Layers))
	for i, lp := range dm.Layers {
		p := a.resolve(lp)
		key, ok := a.keys[p]
		if !ok {
			return nil, missingLayer(a, lp, p)
		}
		mt := mediaTypeFor(a.layers[key])
		if om != nil && i < len(om.Layers) && om.Layers[i].Digest.String() == key {
			mt = string(om.Layers[i].MediaType)
		}
		layers[i] = layerRef{Key: key, MediaType: mt}
	}
	m, err := newMetadata(KindDockerArchive, "", rawCfg, layers, platform)
	if err != nil {
		return nil, err
	}
	m.RepoTags = dm.RepoTags
	m.ManifestDigest = mdigest
	return m, nil
}

// chooseDockerManifest picks the image of manifest.json to read, and
// returns its raw config: the first, or, with a platform and several
// images, the first whose config is for that platform.
func chooseDockerManifest(a *archivePass, ms []dockerManifest, platform string) (dockerManifest, []byte, error) {
	config := func(dm dockerManifest) ([]byte, error) {
		raw, ok := a.files[a.resolve(dm.Config)]
		if !ok || dm.Config == "" {
			return nil, fmt.Errorf("manifest.json names config %q, which the archive does not hold", dm.Config)
		}
		return raw, nil
	}
	if platform == "" || len(ms) == 1 {
		raw, err := config(ms[0])
		return ms[0], raw, err
	}
	want, err := parsePlatform(platform)
	if err != nil {
		return dockerManifest{}, nil, err
	}
	var have []string
	for _, dm := range ms {
		raw, err := config(dm)
		if err != nil {
			return dockerManifest{}, nil, err
		}
		cfg, err := v1.ParseConfigFile(bytes.NewReader(raw))
		if err != nil {
			return dockerManifest{}, nil, fmt.Errorf("parse image config %s: %w", dm.Config, err)
		}
		p, ok := configPlatform(cfg)
		if !ok {
			have = append(have, "an image of unstated platform")
			continue
		}
		if platformMatches(p, *want) {
			return dm, raw, nil
		}
		have = append(have, p.String())
	}
	return dockerManifest{}, nil, noPlatform(*want, have, "archive")
}

func missingLayer(a *archivePass, name, resolved string) error {
	if a.others[resolved] || a.files[resolved] != nil {
		return fmt.Errorf("layer %q named by the manifest is not a tar, gzip or zstd stream", name)
	}
	return fmt.Errorf("layer %q named by the manifest is missing from the archive", name)
}

// findOCIManifest looks among the buffered blobs for an OCI image manifest
// whose config is rawCfg.
func findOCIManifest(a *archivePass, rawCfg []byte) (string, *v1.Manifest) {
	if a.files["index.json"] == nil {
		return "", nil
	}
	cfgDigest, _, err := v1.SHA256(bytes.NewReader(rawCfg))
	if err != nil {
		return "", nil
	}
	for p, b := range a.files {
		if !strings.HasPrefix(p, "blobs/") || !bytes.Contains(b, []byte(cfgDigest.String())) {
			continue
		}
		m, err := v1.ParseManifest(bytes.NewReader(b))
		if err != nil || m.Config.Digest != cfgDigest {
			continue
		}
		return entryKey(p), m
	}
	return "", nil
}

// resolveOCIArchive reads index.json and the manifest and config blobs
// buffered in the pass.
func resolveOCIArchive(a *archivePass, platform string) (*Metadata, error) {
	rawIndex, ok := a.files["index.json"]
	if !ok {
		return nil, errors.New("no index.json; not an OCI archive (for a docker save archive use docker-archive:)")
	}
	get := func(h v1.Hash) ([]byte, error) {
		p := "blobs/" + h.Algorithm + "/" + h.Hex
		b, ok := a.files[p]
		if !ok {
			return nil, fmt.Errorf("blob %s named by the index is missing from the archive (or is not JSON)", h)
		}
		return b, nil
	}
	sel, err := selectOCI(rawIndex, get, "", "", platform)
	if err != nil {
		return nil, err
	}
	rawCfg, err := get(sel.Manifest.Config.Digest)
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	layers := ociLayers(sel.Manifest)
	for _, l := range layers {
		if _, ok := a.layers[l.Key]; !ok {
			h, _ := v1.NewHash(l.Key)
			return nil, missingLayer(a, l.Key, "blobs/"+h.Algorithm+"/"+h.Hex)
		}
	}
	check, err := configCheck(platform, sel.Platform)
	if err != nil {
		return nil, err
	}
	m, err := newMetadata(KindOCIArchive, "", rawCfg, layers, check)
	if err != nil {
		return nil, err
	}
	m.ManifestDigest = sel.ManifestDigest.String()
	if sel.Name != "" {
		m.RepoTags = []string{sel.Name}
	}
	return m, nil
}
