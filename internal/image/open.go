package image

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"strings"

	"github.com/google/go-containerregistry/pkg/authn"

	"github.com/customs-scanner/customs/internal/suggest"
	"github.com/customs-scanner/customs/internal/target"
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
	// Transport carries a registry source's HTTP requests; nil is
	// go-containerregistry's default. customs serve passes one that
	// refuses internal addresses (server/guard).
	Transport http.RoundTripper
	// Concurrency is how many layer blobs Source.Read hands to the
	// LayerFunc at once, where the source allows it: an uncompressed
	// archive in a regular file, an OCI layout directory, a registry.
	// Compressed archives, pipes and the Docker Engine are one stream and
	// are always read in one sequential pass. 0 (or less) means
	// runtime.GOMAXPROCS(0); 1 reads every source sequentially.
	Concurrency int
	// WalkAll walks every directory of a dir: or rootfs: target, passing
	// over none of DefaultSkips. Mount points of pseudo, memory-backed,
	// container and network file systems are passed over still; scan
	// such a mount point as a target of its own to read it.
	WalkAll bool
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
	return OpenRef(ctx, target.Parse(ref), opts)
}

// OpenRef opens the image of a parsed target, as Open does; a platform in
// t overrides opts.Platform. An SBOM is not an image: it is refused.
func OpenRef(ctx context.Context, t target.Ref, opts Options) (Source, error) {
	if t.Platform != "" {
		opts.Platform = t.Platform
	}
	src, err := open(ctx, t, opts)
	if err != nil {
		return nil, fmt.Errorf("open image %q: %w", t.String(), err)
	}
	return src, nil
}

func open(ctx context.Context, t target.Ref, opts Options) (Source, error) {
	ref := t.Name
	switch t.Kind {
	case target.DockerArchive:
		return openArchive(ref, KindDockerArchive, opts)
	case target.OCIArchive:
		return openArchive(ref, KindOCIArchive, opts)
	case target.OCIDir:
		return openOCIDir(ref, opts)
	case target.Registry:
		return openRegistry(ctx, ref, opts)
	case target.Docker:
		return openEngine(ctx, ref, opts)
	case target.Dir, target.Rootfs:
		return openDir(ref, opts)
	case target.SBOM:
		return nil, errors.New("an SBOM is not an image; scan it as a target of its own")
	}
	if ref == "" {
		return nil, errors.New("empty image reference; give a file, directory or image name")
	}
	fi, err := os.Stat(ref)
	switch {
	case err == nil && fi.IsDir():
		if _, err := os.Stat(filepath.Join(ref, "oci-layout")); err == nil {
			return openOCIDir(ref, opts)
		}
		return openDir(ref, opts)
	case err == nil:
		return openArchive(ref, "", opts)
	case !errors.Is(err, os.ErrNotExist) && looksLikePath(ref):
		return nil, err
	}
	if errors.Is(err, os.ErrNotExist) {
		if err := notFound(ref); err != nil {
			return nil, err
		}
	}
	return openReference(ctx, ref, opts)
}

// Check reports, without opening anything, the mistakes in a target that
// Open would report only after the work before it: a near miss of a scheme
// ("dockr:foo") and a path that does not exist. A front end calls it first,
// so a typo is not answered with an unrelated error (no DB, no registry).
func Check(t target.Ref) error {
	if t.Kind != target.Auto || t.Name == "" {
		return nil
	}
	if _, err := os.Stat(t.Name); err == nil || !errors.Is(err, os.ErrNotExist) {
		return nil
	}
	return notFound(t.Name)
}

// notFound is Check's error for ref, a target without a scheme that names
// no file: a near miss of a scheme, or a path; nil for an image name.
func notFound(ref string) error {
	if scheme, rest, ok := strings.Cut(ref, ":"); ok {
		if err := schemeTypo(scheme, rest); err != nil {
			return err
		}
	}
	if looksLikePath(ref) {
		return missingPath(ref)
	}
	return nil
}

// schemes are the target prefixes a user may mean by a mistyped one: every
// kind of target.Kinds, sbom: included, as a typo of it ends up here.
var schemes = func() []string {
	s := make([]string, len(target.Kinds))
	for i, k := range target.Kinds {
		s[i] = string(k)
	}
	return s
}()

// schemeTypo returns an error when the part of ref before its first colon,
// which names no file and no scheme, is a near miss of a scheme ("dockr:"),
// so it is not sent to a registry as an image name. A host:port or a
// name with a dot or slash before the colon is never taken for a scheme.
func schemeTypo(scheme, rest string) error {
	if strings.ContainsAny(scheme, "./") {
		return nil
	}
	lower := strings.ToLower(scheme)
	want, ok := suggest.Closest(lower, schemes, suggest.MaxTypos(len(lower)))
	if lower != scheme && slices.Contains(schemes, lower) {
		want, ok = lower, true
	}
	if !ok {
		return nil
	}
	return fmt.Errorf("unknown scheme %q, did you mean %s? (for an image named %s, write registry:%s:%s)", scheme+":", want+":", scheme, scheme, rest)
}

// missingPath explains a target that reads like a file path but does not
// exist: where it was looked for, and the nearest name in its directory.
func missingPath(ref string) error {
	abs, err := filepath.Abs(ref)
	if err != nil {
		abs = ref
	}
	msg := fmt.Sprintf("file %s does not exist", abs)
	if abs != ref {
		wd, _ := os.Getwd()
		msg = fmt.Sprintf("file %s does not exist (%s is resolved from the working directory %s)", abs, ref, wd)
	}
	dir, base := filepath.Split(abs)
	entries, err := os.ReadDir(dir)
	switch {
	case err != nil:
		return fmt.Errorf("%s; neither does its directory %s: check the path", msg, filepath.Clean(dir))
	default:
		names := make([]string, len(entries))
		for i, e := range entries {
			names[i] = e.Name()
		}
		near, ok := suggest.Closest(base, names, suggest.MaxTypos(len(base)))
		for _, n := range names {
			if !ok && strings.HasPrefix(n, base+".") { // alpine.tar for alpine.tar.gz
				near, ok = n, true
			}
		}
		if ok {
			return fmt.Errorf("%s; did you mean %s?", msg, filepath.Join(dir, near))
		}
	}
	return fmt.Errorf("%s: check the path and the name of the file", msg)
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
		if ins, err := eng.inspect(ctx, ref); err == nil {
			return &engineSource{eng: eng, ref: ref, platform: opts.Platform, id: ins.ID}, nil
		}
	}
	return openRegistry(ctx, ref, opts)
}

// nopCloser is embedded by sources with nothing to release.
type nopCloser struct{}

func (nopCloser) Close() error { return nil }

var _ io.Closer = nopCloser{}
