package dist

import (
	"bytes"
	"context"
	"crypto/ed25519"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"time"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Options configures registry access.
type Options struct {
	// Keychain supplies credentials; nil means authn.DefaultKeychain
	// (~/.docker/config.json and credential helpers).
	Keychain authn.Keychain
	// Transport is the HTTP transport; nil means remote.DefaultTransport.
	Transport http.RoundTripper
	// Insecure allows plain HTTP to the registry (loopback registries use
	// HTTP without it).
	Insecure bool
}

func (o Options) parse(ref string) (name.Reference, error) {
	var nopts []name.Option
	if o.Insecure {
		nopts = append(nopts, name.Insecure)
	}
	r, err := name.ParseReference(ref, nopts...)
	if err != nil {
		return nil, fmt.Errorf("DB reference %q: %w", ref, err)
	}
	return r, nil
}

func (o Options) remote(ctx context.Context) []remote.Option {
	kc := o.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	ro := []remote.Option{remote.WithContext(ctx), remote.WithAuthFromKeychain(kc)}
	if o.Transport != nil {
		ro = append(ro, remote.WithTransport(o.Transport))
	}
	return ro
}

// rawManifest is a manifest pushed as bytes we wrote ourselves.
type rawManifest []byte

func (m rawManifest) RawManifest() ([]byte, error)        { return m, nil }
func (m rawManifest) MediaType() (types.MediaType, error) { return types.OCIManifestSchema1, nil }

// fileLayer is a blob in a local file (the compressed DB), pushed without
// holding it in memory.
type fileLayer struct {
	path   string
	digest v1.Hash
	size   int64
}

func (l fileLayer) Digest() (v1.Hash, error)             { return l.digest, nil }
func (l fileLayer) DiffID() (v1.Hash, error)             { return l.digest, nil }
func (l fileLayer) Size() (int64, error)                 { return l.size, nil }
func (l fileLayer) MediaType() (types.MediaType, error)  { return LayerMediaType, nil }
func (l fileLayer) Compressed() (io.ReadCloser, error)   { return os.Open(l.path) }
func (l fileLayer) Uncompressed() (io.ReadCloser, error) { return os.Open(l.path) }

// Push uploads the DB at dbPath to ref (a tag) as a signed artifact and
// returns the manifest digest. The DB must open as a customs DB.
func Push(ctx context.Context, ref, dbPath string, key ed25519.PrivateKey, opts Options) (string, error) {
	r, err := opts.parse(ref)
	if err != nil {
		return "", err
	}
	if _, ok := r.(name.Digest); ok {
		return "", fmt.Errorf("push DB to %s: give a tag, not a digest", ref)
	}
	cfg, err := describe(ctx, dbPath)
	if err != nil {
		return "", fmt.Errorf("push DB: %w", err)
	}
	sig, err := sign(key, cfg.payload())
	if err != nil {
		return "", err
	}
	cfgJSON, err := json.Marshal(cfg)
	if err != nil {
		return "", fmt.Errorf("encode DB config: %w", err)
	}
	sigJSON, err := json.Marshal(sig)
	if err != nil {
		return "", fmt.Errorf("encode signature: %w", err)
	}

	zf, err := os.CreateTemp("", "customs-db-*.zst")
	if err != nil {
		return "", fmt.Errorf("push DB: %w", err)
	}
	defer os.Remove(zf.Name())
	h := sha256.New()
	cw := &countWriter{w: io.MultiWriter(zf, h)}
	err = compress(ctx, dbPath, cw)
	if cerr := zf.Close(); err == nil {
		err = cerr
	}
	if err != nil {
		return "", fmt.Errorf("push DB: %w", err)
	}
	dbLayer := fileLayer{path: zf.Name(), digest: v1.Hash{Algorithm: "sha256", Hex: hex.EncodeToString(h.Sum(nil))}, size: cw.n}
	cfgLayer := static.NewLayer(cfgJSON, ConfigMediaType)
	sigLayer := static.NewLayer(sigJSON, SignatureMediaType)

	ro := opts.remote(ctx)
	for _, l := range []v1.Layer{cfgLayer, dbLayer, sigLayer} {
		if err := remote.WriteLayer(r.Context(), l, ro...); err != nil {
			return "", fmt.Errorf("push DB to %s: %w", ref, advise(err))
		}
	}
	man := v1.Manifest{
		SchemaVersion: 2,
		MediaType:     types.OCIManifestSchema1,
		ArtifactType:  ConfigMediaType,
		Config:        descriptor(cfgLayer),
		Layers:        []v1.Descriptor{descriptor(dbLayer), descriptor(sigLayer)},
		Annotations: map[string]string{
			"org.opencontainers.image.created": cfg.Built.Format(time.RFC3339),
			"dev.customs.db.schemaVersion":     fmt.Sprint(cfg.SchemaVersion),
		},
	}
	raw, err := json.Marshal(man)
	if err != nil {
		return "", fmt.Errorf("encode manifest: %w", err)
	}
	if err := remote.Put(r, rawManifest(raw), ro...); err != nil {
		return "", fmt.Errorf("push DB to %s: %w", ref, advise(err))
	}
	sum := sha256.Sum256(raw)
	return "sha256:" + hex.EncodeToString(sum[:]), nil
}

func descriptor(l v1.Layer) v1.Descriptor {
	// Digest, Size and MediaType of our layers never fail.
	d, _ := l.Digest()
	n, _ := l.Size()
	mt, _ := l.MediaType()
	return v1.Descriptor{MediaType: mt, Size: n, Digest: d}
}

type countWriter struct {
	w io.Writer
	n int64
}

func (c *countWriter) Write(p []byte) (int, error) {
	n, err := c.w.Write(p)
	c.n += int64(n)
	return n, err
}

// Resolve returns the manifest digest ref names: the digest itself for a
// digest reference, else the registry's answer for the tag.
func Resolve(ctx context.Context, ref string, opts Options) (string, error) {
	r, err := opts.parse(ref)
	if err != nil {
		return "", err
	}
	if d, ok := r.(name.Digest); ok {
		return d.DigestStr(), nil
	}
	desc, err := remote.Head(r, opts.remote(ctx)...)
	if err != nil {
		return "", fmt.Errorf("resolve DB %s: %w", ref, advise(err))
	}
	return desc.Digest.String(), nil
}

// Pull fetches the DB artifact at ref (a tag or a digest), verifies it with
// pub and installs it atomically at dbPath, recording its origin in the
// sidecar. It returns that origin. On error dbPath is untouched.
func Pull(ctx context.Context, ref, dbPath string, pub ed25519.PublicKey, opts Options) (*Origin, error) {
	o, err := pull(ctx, ref, dbPath, pub, opts)
	if err != nil {
		return nil, fmt.Errorf("pull DB %s: %w", ref, err)
	}
	return o, nil
}

func pull(ctx context.Context, ref, dbPath string, pub ed25519.PublicKey, opts Options) (*Origin, error) {
	if pub == nil {
		return nil, ErrNoPublicKey
	}
	r, err := opts.parse(ref)
	if err != nil {
		return nil, err
	}
	ro := opts.remote(ctx)
	desc, err := remote.Get(r, ro...)
	if err != nil {
		return nil, advise(err)
	}
	if desc.MediaType != types.OCIManifestSchema1 {
		return nil, fmt.Errorf("not a customs DB artifact: manifest media type %s", desc.MediaType)
	}
	var man v1.Manifest
	if err := json.Unmarshal(desc.Manifest, &man); err != nil {
		return nil, fmt.Errorf("parse manifest: %w", err)
	}
	if man.Config.MediaType != ConfigMediaType {
		return nil, fmt.Errorf("not a customs DB artifact: config media type %q, want %s", man.Config.MediaType, ConfigMediaType)
	}
	dbDesc, sigDesc, err := layers(man)
	if err != nil {
		return nil, err
	}
	if sigDesc == nil {
		return nil, fmt.Errorf("%w: it has no %s layer; pull a signed DB or sign it with customs db push --key", ErrUnsigned, SignatureMediaType)
	}
	repo := r.Context()
	cfgJSON, err := fetchSmall(repo, man.Config, ro)
	if err != nil {
		return nil, err
	}
	sigJSON, err := fetchSmall(repo, *sigDesc, ro)
	if err != nil {
		return nil, err
	}
	sig, err := parseSignature(sigJSON)
	if err != nil {
		return nil, err
	}
	p, err := sig.verify(pub)
	if err != nil {
		return nil, err
	}
	cfg, err := parseConfig(cfgJSON)
	if err != nil {
		return nil, fmt.Errorf("%w: %v", ErrVerify, err)
	}
	if err := cfg.agrees(p); err != nil {
		return nil, err
	}
	if dbDesc.Size <= 0 || dbDesc.Size > MaxCompressed {
		return nil, fmt.Errorf("DB layer size %d outside 1..%d", dbDesc.Size, MaxCompressed)
	}
	l, err := remote.Layer(repo.Digest(dbDesc.Digest.String()), ro...)
	if err != nil {
		return nil, advise(err)
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, fmt.Errorf("fetch DB layer: %w", advise(err))
	}
	defer rc.Close()
	origin := &Origin{Ref: ref, ManifestDigest: desc.Digest.String(), Config: cfg, Signature: &sig}
	if err := install(ctx, io.LimitReader(rc, dbDesc.Size), p, dbPath, origin); err != nil {
		return nil, err
	}
	return origin, nil
}

// layers finds the DB layer and the signature layer (nil when absent).
func layers(man v1.Manifest) (db v1.Descriptor, sig *v1.Descriptor, err error) {
	var dbs int
	for i, l := range man.Layers {
		switch l.MediaType {
		case LayerMediaType:
			db = l
			dbs++
		case SignatureMediaType:
			if sig != nil {
				return v1.Descriptor{}, nil, fmt.Errorf("artifact has more than one signature layer")
			}
			sig = &man.Layers[i]
		}
	}
	if dbs != 1 {
		return v1.Descriptor{}, nil, fmt.Errorf("not a customs DB artifact: %d %s layers, want 1", dbs, LayerMediaType)
	}
	return db, sig, nil
}

// fetchSmall reads a config or signature blob, refusing one larger than
// maxSmall or whose bytes do not match its digest.
func fetchSmall(repo name.Repository, d v1.Descriptor, ro []remote.Option) ([]byte, error) {
	if d.Size < 0 || d.Size > maxSmall {
		return nil, fmt.Errorf("blob %s: size %d outside 0..%d", d.Digest, d.Size, maxSmall)
	}
	l, err := remote.Layer(repo.Digest(d.Digest.String()), ro...)
	if err != nil {
		return nil, advise(err)
	}
	rc, err := l.Compressed()
	if err != nil {
		return nil, fmt.Errorf("fetch blob %s: %w", d.Digest, advise(err))
	}
	defer rc.Close()
	b, err := readSmall(rc, d.Size)
	if err != nil {
		return nil, fmt.Errorf("fetch blob %s: %w", d.Digest, err)
	}
	sum := sha256.Sum256(b)
	if d.Digest.Algorithm != "sha256" || !bytes.Equal([]byte(hex.EncodeToString(sum[:])), []byte(d.Digest.Hex)) || int64(len(b)) != d.Size {
		return nil, fmt.Errorf("%w: blob %s does not match its digest or size", ErrVerify, d.Digest)
	}
	return b, nil
}

// advise adds what to do to the common registry failures.
func advise(err error) error {
	var te *transport.Error
	if errors.As(err, &te) {
		switch te.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			return fmt.Errorf("%w; log in with docker login (credentials are read from ~/.docker/config.json or $DOCKER_CONFIG)", err)
		case http.StatusNotFound:
			return fmt.Errorf("%w; check the DB reference", err)
		}
	}
	return err
}
