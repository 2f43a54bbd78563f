package dist

import (
	"archive/tar"
	"context"
	"crypto/ed25519"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"time"
)

// Bundle entry names, in the order they appear in the tar file.
const (
	bundleMeta      = "metadata.json"
	bundleSignature = "signature.json"
	bundleDB        = "customs.db.zst"
	// BundleFormat is metadata.json's "format".
	BundleFormat = "customs-db-bundle/v1"
)

// bundleMetadata is the bundle's first entry.
type bundleMetadata struct {
	Format         string `json:"format"`
	Ref            string `json:"ref,omitempty"`
	ManifestDigest string `json:"manifestDigest,omitempty"`
	Config         Config `json:"config"`
}

// ExportResult says what Export wrote.
type ExportResult struct {
	Config Config
	// Signed is true when the bundle carries a signature: made with the key
	// given, or the one the DB was pulled with.
	Signed bool
}

// Export writes the DB at dbPath to the bundle file out: a tar holding
// metadata.json, signature.json (when known) and customs.db.zst. With a key
// the DB is signed now; without one the signature recorded when the DB was
// pulled or imported is carried over, if it still describes the file. The
// file is written beside out and renamed into place.
func Export(ctx context.Context, dbPath, out string, key ed25519.PrivateKey) (ExportResult, error) {
	res, err := export(ctx, dbPath, out, key)
	if err != nil {
		return ExportResult{}, fmt.Errorf("export DB %s: %w", dbPath, err)
	}
	return res, nil
}

func export(ctx context.Context, dbPath, out string, key ed25519.PrivateKey) (ExportResult, error) {
	cfg, err := describe(ctx, dbPath)
	if err != nil {
		return ExportResult{}, err
	}
	meta := bundleMetadata{Format: BundleFormat, Config: cfg}
	var sig *Signature
	if key != nil {
		s, err := sign(key, cfg.payload())
		if err != nil {
			return ExportResult{}, err
		}
		sig = &s
	}
	o, err := ReadOrigin(dbPath)
	if err != nil {
		return ExportResult{}, err
	}
	if o != nil && o.Config.DBSHA256 == cfg.DBSHA256 {
		meta.Ref, meta.ManifestDigest = o.Ref, o.ManifestDigest
		if sig == nil {
			sig = o.Signature
		}
	}

	zf, err := os.CreateTemp("", "customs-db-*.zst")
	if err != nil {
		return ExportResult{}, err
	}
	defer os.Remove(zf.Name())
	defer zf.Close()
	if err := compress(ctx, dbPath, zf); err != nil {
		return ExportResult{}, err
	}
	zsize, err := zf.Seek(0, io.SeekCurrent)
	if err != nil {
		return ExportResult{}, err
	}
	if _, err := zf.Seek(0, io.SeekStart); err != nil {
		return ExportResult{}, err
	}

	tmp, err := os.CreateTemp(filepath.Dir(out), "."+filepath.Base(out)+"-*")
	if err != nil {
		return ExportResult{}, err
	}
	defer os.Remove(tmp.Name()) // a no-op after the rename
	if err := tmp.Chmod(0o644); err != nil {
		tmp.Close()
		return ExportResult{}, err
	}
	tw := tar.NewWriter(tmp)
	now := time.Now().UTC()
	add := func(name string, size int64, r io.Reader) error {
		if err := tw.WriteHeader(&tar.Header{Name: name, Mode: 0o644, Size: size, ModTime: now, Typeflag: tar.TypeReg, Format: tar.FormatPAX}); err != nil {
			return err
		}
		_, err := io.Copy(tw, ctxReader{ctx, r})
		return err
	}
	metaJSON, err := json.MarshalIndent(meta, "", "  ")
	if err != nil {
		return ExportResult{}, err
	}
	err = add(bundleMeta, int64(len(metaJSON)), bytesReader(metaJSON))
	if err == nil && sig != nil {
		var sigJSON []byte
		if sigJSON, err = json.MarshalIndent(sig, "", "  "); err == nil {
			err = add(bundleSignature, int64(len(sigJSON)), bytesReader(sigJSON))
		}
	}
	if err == nil {
		err = add(bundleDB, zsize, zf)
	}
	if err == nil {
		err = tw.Close()
	}
	if err == nil {
		err = tmp.Sync()
	}
	if cerr := tmp.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(tmp.Name(), out)
	}
	if err != nil {
		return ExportResult{}, fmt.Errorf("write bundle %s: %w", out, err)
	}
	return ExportResult{Config: cfg, Signed: sig != nil}, nil
}

// ImportResult says what Import installed.
type ImportResult struct {
	Origin Origin
	// Verified is true when the signature verified with the key given.
	Verified bool
}

// Import verifies the bundle file in and installs its DB atomically at
// dbPath. With a public key the bundle must be signed by it; without one
// (Verified false) the DB is still checked against the bundle's own
// metadata (sha256, size, schema version, and that it opens). On error
// dbPath is untouched.
func Import(ctx context.Context, in, dbPath string, pub ed25519.PublicKey) (ImportResult, error) {
	f, err := os.Open(in)
	if err != nil {
		return ImportResult{}, fmt.Errorf("import DB: %w", err)
	}
	defer f.Close()
	res, err := importBundle(ctx, f, dbPath, pub)
	if err != nil {
		return ImportResult{}, fmt.Errorf("import DB from %s: %w", in, err)
	}
	return res, nil
}

var errNotBundle = errors.New("not a customs DB bundle (customs db export writes one)")

func importBundle(ctx context.Context, r io.Reader, dbPath string, pub ed25519.PublicKey) (ImportResult, error) {
	tr := tar.NewReader(r)
	next := func() (*tar.Header, error) {
		h, err := tr.Next()
		if err == io.EOF {
			return nil, fmt.Errorf("%w: missing %s", errNotBundle, bundleDB)
		}
		if err != nil {
			return nil, fmt.Errorf("%w: %v", errNotBundle, err)
		}
		if h.Typeflag != tar.TypeReg {
			return nil, fmt.Errorf("%w: entry %q is not a regular file", errNotBundle, h.Name)
		}
		return h, nil
	}
	h, err := next()
	if err != nil {
		return ImportResult{}, err
	}
	if h.Name != bundleMeta || h.Size > maxSmall {
		return ImportResult{}, fmt.Errorf("%w: first entry %q (%d bytes), want %s", errNotBundle, h.Name, h.Size, bundleMeta)
	}
	b, err := readSmall(tr, maxSmall)
	if err != nil {
		return ImportResult{}, fmt.Errorf("%w: %s: %v", errNotBundle, bundleMeta, err)
	}
	var meta bundleMetadata
	if err := json.Unmarshal(b, &meta); err != nil || meta.Format != BundleFormat {
		return ImportResult{}, fmt.Errorf("%w: %s has no format %q", errNotBundle, bundleMeta, BundleFormat)
	}
	if h, err = next(); err != nil {
		return ImportResult{}, err
	}
	var sig *Signature
	if h.Name == bundleSignature {
		if h.Size > maxSmall {
			return ImportResult{}, fmt.Errorf("%w: %s larger than %d bytes", errNotBundle, bundleSignature, maxSmall)
		}
		b, err := readSmall(tr, maxSmall)
		if err != nil {
			return ImportResult{}, fmt.Errorf("%w: %s: %v", errNotBundle, bundleSignature, err)
		}
		s, err := parseSignature(b)
		if err != nil {
			return ImportResult{}, err
		}
		sig = &s
		if h, err = next(); err != nil {
			return ImportResult{}, err
		}
	}
	if h.Name != bundleDB {
		return ImportResult{}, fmt.Errorf("%w: unexpected entry %q", errNotBundle, h.Name)
	}
	if h.Size <= 0 || h.Size > MaxCompressed {
		return ImportResult{}, fmt.Errorf("%s size %d outside 1..%d", bundleDB, h.Size, MaxCompressed)
	}

	origin := Origin{Ref: meta.Ref, ManifestDigest: meta.ManifestDigest, Config: meta.Config}
	var p Payload
	switch {
	case pub != nil && sig == nil:
		return ImportResult{}, fmt.Errorf("%w: the bundle has no %s; export it from a pulled DB or with customs db export --key", ErrUnsigned, bundleSignature)
	case pub != nil:
		if p, err = sig.verify(pub); err != nil {
			return ImportResult{}, err
		}
		if err := meta.Config.agrees(p); err != nil {
			return ImportResult{}, err
		}
		origin.Signature = sig
	default:
		p = meta.Config.payload()
		if err := p.check(); err != nil {
			return ImportResult{}, err
		}
	}
	if err := install(ctx, tr, p, dbPath, &origin); err != nil {
		return ImportResult{}, err
	}
	return ImportResult{Origin: origin, Verified: pub != nil}, nil
}
