// Package vextest runs an in-process registry that serves the OCI
// referrers API, and attaches artifacts to its images, for the tests of
// VEX documents found as referrers (vex, scan).
package vextest

import (
	"io"
	"log"
	"net/http/httptest"
	"strings"
	"testing"

	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Push starts a registry with referrers support, closed when t ends, and
// pushes a random image to path:tag there; it returns the repository and
// the image.
func Push(t testing.TB, path, tag string) (name.Repository, v1.Image) {
	t.Helper()
	srv := httptest.NewServer(registry.New(registry.WithReferrersSupport(true), registry.Logger(log.New(io.Discard, "", 0))))
	t.Cleanup(srv.Close)
	repo, err := name.NewRepository(strings.TrimPrefix(srv.URL, "http://") + "/" + path)
	if err != nil {
		t.Fatal(err)
	}
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(repo.Tag(tag), img); err != nil {
		t.Fatal(err)
	}
	return repo, img
}

// Attach pushes an artifact whose single layer is data, with the given
// artifact type, as a referrer of subject.
func Attach(t testing.TB, repo name.Repository, subject v1.Image, artifactType string, data []byte) {
	t.Helper()
	sd, err := subject.Digest()
	if err != nil {
		t.Fatal(err)
	}
	sm, err := subject.MediaType()
	if err != nil {
		t.Fatal(err)
	}
	size, err := subject.Size()
	if err != nil {
		t.Fatal(err)
	}
	img, err := mutate.AppendLayers(empty.Image, static.NewLayer(data, types.MediaType(artifactType)))
	if err != nil {
		t.Fatal(err)
	}
	img = mutate.ConfigMediaType(mutate.MediaType(img, types.OCIManifestSchema1), types.MediaType(artifactType))
	art := mutate.Subject(img, v1.Descriptor{MediaType: sm, Digest: sd, Size: size}).(v1.Image)
	ad, err := art.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(repo.Digest(ad.String()), art); err != nil {
		t.Fatal(err)
	}
}
