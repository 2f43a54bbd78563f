package image

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/remote/transport"
)

// registrySource reads an image from a registry with go-containerregistry's
// remote package.
type registrySource struct {
	nopCloser
	ref      name.Reference
	raw      string
	platform string
	keychain authn.Keychain
	// transport is Options.Transport.
	transport http.RoundTripper
	// limit is how many layers are downloaded at once
	// (Options.Concurrency).
	limit int
}

func openRegistry(_ context.Context, ref string, opts Options) (Source, error) {
	if ref == "" {
		return nil, errors.New("empty reference; give an image name after registry:")
	}
	var nopts []name.Option
	if opts.Insecure {
		nopts = append(nopts, name.Insecure)
	}
	r, err := name.ParseReference(ref, nopts...)
	if err != nil {
		return nil, fmt.Errorf("not a file, directory or valid image reference: %w", err)
	}
	kc := opts.Keychain
	if kc == nil {
		kc = authn.DefaultKeychain
	}
	return &registrySource{ref: r, raw: ref, platform: opts.Platform, keychain: kc, transport: opts.Transport, limit: opts.limit()}, nil
}

// Identity is empty: a tag can move; layer blobs are cached by digest.
func (s *registrySource) Identity() string { return "" }

func (s *registrySource) Read(ctx context.Context, layer LayerFunc) (*Metadata, error) {
	m, err := s.read(ctx, layer)
	if err != nil {
		return nil, fmt.Errorf("read image %s: %w", s.raw, explainRemote(err))
	}
	return m, nil
}

func (s *registrySource) options(ctx context.Context) []remote.Option {
	o := []remote.Option{
		remote.WithContext(ctx),
		remote.WithAuthFromKeychain(s.keychain),
	}
	if s.transport != nil {
		o = append(o, remote.WithTransport(s.transport))
	}
	if s.platform != "" {
		if p, err := v1.ParsePlatform(s.platform); err == nil {
			o = append(o, remote.WithPlatform(*p))
		}
	}
	return o
}

func (s *registrySource) read(ctx context.Context, layer LayerFunc) (*Metadata, error) {
	ropts := s.options(ctx)
	desc, err := remote.Get(s.ref, ropts...)
	if err != nil {
		return nil, err
	}
	var img v1.Image
	check := s.platform // what the config must say, unless the index said it
	if desc.MediaType.IsIndex() {
		// Choose the platform ourselves to list what is there on a miss.
		idx, err := desc.ImageIndex()
		if err != nil {
			return nil, err
		}
		im, err := idx.IndexManifest()
		if err != nil {
			return nil, err
		}
		d, err := choosePlatform(im.Manifests, s.platform)
		if err != nil {
			return nil, err
		}
		if check, err = configCheck(s.platform, d.Platform); err != nil {
			return nil, err
		}
		img, err = idx.Image(d.Digest)
		if err != nil {
			return nil, err
		}
	} else {
		img, err = desc.Image()
		if err != nil {
			return nil, err
		}
	}
	mdigest, err := img.Digest()
	if err != nil {
		return nil, err
	}
	man, err := img.Manifest()
	if err != nil {
		return nil, err
	}
	rawCfg, err := img.RawConfigFile()
	if err != nil {
		return nil, fmt.Errorf("config: %w", err)
	}
	m, err := newMetadata(KindRegistry, s.raw, rawCfg, ociLayers(man), check)
	if err != nil {
		return nil, err
	}
	m.ManifestDigest = mdigest.String()
	if t, ok := s.ref.(name.Tag); ok {
		m.RepoTags = []string{t.Name()}
	}
	m.RepoDigests = []string{s.ref.Context().Digest(mdigest.String()).Name()}
	if layer == nil {
		return m, nil
	}
	ls := distinctLayers(man.Layers, s.limit)
	blobs := make([]Blob, len(ls))
	for i, l := range ls {
		rl, err := img.LayerByDigest(l.Digest)
		if err != nil {
			return nil, fmt.Errorf("layer %s: %w", l.Digest, err)
		}
		// remote's Compressed verifies size and sha256 while reading (it
		// wraps the body in ggcr's internal/verify.ReadCloser), so
		// Digest can be trusted once the stream was read to EOF.
		blobs[i] = Blob{
			Key:    l.Digest.String(),
			Digest: l.Digest.String(),
			Open:   rl.Compressed,
		}
	}
	err = fanOut(ctx, s.limit, len(blobs), func(ctx context.Context, i int) error {
		if err := layer(ctx, blobs[i]); err != nil {
			return fmt.Errorf("layer %s: %w", blobs[i].Key, err)
		}
		return nil
	})
	if err != nil {
		return nil, err
	}
	return m, nil
}

// explainRemote turns the common registry failures into advice, on one
// line (registries put newlines in their messages).
func explainRemote(err error) error {
	return oneLine{adviseRemote(err)}
}

func adviseRemote(err error) error {
	var te *transport.Error
	if errors.As(err, &te) {
		switch te.StatusCode {
		case http.StatusUnauthorized, http.StatusForbidden:
			return fmt.Errorf("%w; log in with docker login (credentials are read from ~/.docker/config.json or $DOCKER_CONFIG)", err)
		case http.StatusNotFound:
			return fmt.Errorf("%w; check the image name and tag", err)
		}
	}
	return err
}

// oneLine shows an error with its line breaks folded into spaces.
type oneLine struct{ err error }

func (e oneLine) Error() string {
	return strings.Join(strings.Fields(e.err.Error()), " ")
}

func (e oneLine) Unwrap() error { return e.err }
