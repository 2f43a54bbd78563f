package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"
)

// Options control how Open finds and reads an image.
type Options struct {
	// Platform selects one image from a multi-platform index, as
	// "os/arch[/variant]". Empty means linux/amd64, or the only image.
	Platform string
	// Insecure allows plain-HTTP registries. Loopback and private-range
	// registries (localhost, 127.0.0.1, 10.x, ...) use HTTP anyway, as
	// go-containerregistry's name.Registry.Scheme decides.
	Insecure bool
	// DockerHost is the Docker Engine address, "unix:///path" or
	// "tcp://host:port". Empty means $DOCKER_HOST, else
	// unix:///var/run/docker.sock.
	DockerHost string
	// Keychain supplies registry credentials. Nil means
	// authn.DefaultKeychain: ~/.docker/config.json (or $DOCKER_CONFIG) and
	// the credential helpers it names.
	Keychain authn.Keychain
	// Concurrency is how many layer blobs Source.Read hands to the
	// LayerFunc at once, where the source allows it: an uncompressed
	// archive in a regular file, an OCI layout directory, a registry.
	// Compressed archives, pipes and the Docker Engine are one stream and
	// are always read in one sequential pass. 0 (or less) means
	// runtime.GOMAXPROCS(0); 1 reads every source sequentially.
	Concurrency int
}

// limit is the number of blobs read at once for o.Concurrency.
func (o Options) limit() int {
	if o.Concurrency > 0 {
		return o.Concurrency
	}
	return runtime.GOMAXPROCS(0)
}

// Kinds of source, as in Metadata.Kind.
const (
	KindDockerArchive = "docker-archive"
	KindOCIDir        = "oci-dir"
	KindOCIArchive    = "oci-archive"
	KindRegistry      = "registry"
	KindDocker        = "docker"
	KindDir           = "dir"
)

// Open opens the image named by ref. A scheme prefix names the kind of
// source: docker-archive:PATH, oci-dir:PATH[:TAG|@DIGEST], oci-archive:PATH,
// registry:REF, docker:REF, dir:PATH or rootfs:PATH. Without one, Open
// guesses: an existing directory holding oci-layout is an OCI layout, any
// other directory a root filesystem; an existing file is a docker save or OCI
// archive (plain, gzip or zstd tar, told apart by its manifest.json or
// index.json while it is read); anything else is an image reference, taken
// from the local Docker Engine when it answers and has the image, else from
// its registry.
//
// Open does little I/O; the image is read by Source.Read.
func Open(ctx context.Context, ref string, opts Options) (Source, error) {
	src, err := open(ctx, ref, opts)
	if err != nil {
		return nil, fmt.Errorf("open image %q: %w", ref, err)
	}
	return src, nil
}

func open(ctx context.Context, ref string, opts Options) (Source, error) {
	if ref == "" {
		return nil, errors.New("empty image reference; give a file, directory or image name")
	}
	scheme, rest, ok := strings.Cut(ref, ":")
	if ok {
		switch scheme {
		case KindDockerArchive:
			return openArchive(rest, KindDockerArchive, opts)
		case KindOCIArchive:
			return openArchive(rest, KindOCIArchive, opts)
		case KindOCIDir:
			return openOCIDir(rest, opts)
		case KindRegistry:
			return openRegistry(ctx, rest, opts)
		case KindDocker:
			return openEngine(ctx, rest, opts)
		case KindDir, "rootfs":
			return openDir(rest)
		}
	}
	fi, err := os.Stat(ref)
	switch {
	case err == nil && fi.IsDir():
		if _, err := os.Stat(filepath.Join(ref, "oci-layout")); err == nil {
			return openOCIDir(ref, opts)
		}
		return openDir(ref)
	case err == nil:
		return openArchive(ref, "", opts)
	case !errors.Is(err, os.ErrNotExist) && looksLikePath(ref):
		return nil, err
	}
	if looksLikePath(ref) {
		return nil, fmt.Errorf("no such file or directory; for an image name, drop the path")
	}
	return openReference(ctx, ref, opts)
}

// looksLikePath reports whether ref cannot be an image reference but reads
// like a file path, so "not found" should be reported as a missing file.
func looksLikePath(ref string) bool {
	return strings.HasPrefix(ref, "/") || strings.HasPrefix(ref, "./") ||
		strings.HasPrefix(ref, "../") || strings.HasSuffix(ref, ".tar") ||
		strings.HasSuffix(ref, ".tar.gz") || strings.HasSuffix(ref, ".tgz")
}

// openReference tries the local Docker Engine, then the registry.
func openReference(ctx context.Context, ref string, opts Options) (Source, error) {
	eng, err := newEngine(opts.DockerHost)
	if err == nil && eng.ping(ctx) == nil {
		if _, err := eng.inspect(ctx, ref); err == nil {
			return &engineSource{eng: eng, ref: ref}, nil
		}
	}
	return openRegistry(ctx, ref, opts)
}

// nopCloser is embedded by sources with nothing to release.
type nopCloser struct{}

func (nopCloser) Close() error { return nil }

var _ io.Closer = nopCloser{}
