package scan

import (
	"io"
	"log"
	"net/http/httptest"
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/name"
	"github.com/google/go-containerregistry/pkg/registry"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/google/go-containerregistry/pkg/v1/random"
	"github.com/google/go-containerregistry/pkg/v1/remote"
	"github.com/google/go-containerregistry/pkg/v1/static"
	"github.com/google/go-containerregistry/pkg/v1/types"

	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/vex"
)

func TestJudgeVEXReferrers(t *testing.T) {
	srv := httptest.NewServer(registry.New(registry.WithReferrersSupport(true), registry.Logger(log.New(io.Discard, "", 0))))
	defer srv.Close()
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	repo, err := name.NewRepository(u.Host + "/org/debian")
	if err != nil {
		t.Fatal(err)
	}
	img, err := random.Image(64, 1)
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(repo.Tag("12"), img); err != nil {
		t.Fatal(err)
	}
	dig, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	size, err := img.Size()
	if err != nil {
		t.Fatal(err)
	}
	doc := `{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":{"name":"CVE-2026-7010"},
		"products":[{"@id":"pkg:oci/debian@` + url.QueryEscape(dig.String()) + `","subcomponents":[{"@id":"pkg:deb/debian/perl-base"}]}],
		"status":"not_affected","justification":"vulnerable_code_not_present"}]}`
	art, err := mutate.AppendLayers(empty.Image, static.NewLayer([]byte(doc), vex.ArtifactTypeOpenVEX))
	if err != nil {
		t.Fatal(err)
	}
	art = mutate.ConfigMediaType(mutate.MediaType(art, types.OCIManifestSchema1), vex.ArtifactTypeOpenVEX)
	art = mutate.Subject(art, v1.Descriptor{MediaType: types.DockerManifestSchema2, Digest: dig, Size: size}).(v1.Image)
	ad, err := art.Digest()
	if err != nil {
		t.Fatal(err)
	}
	if err := remote.Write(repo.Digest(ad.String()), art); err != nil {
		t.Fatal(err)
	}

	r := gateReport(t)
	r.Target.Kind, r.Target.Ref, r.Target.ManifestDigest = "registry", "registry:"+repo.Tag("12").String(), dig.String()
	var rec recorder
	if err := Judge(t.Context(), r, Options{Gate: &Gate{VEXReferrers: true}, Now: gateNow, Handler: &rec}); err != nil {
		t.Fatal(err)
	}
	wantLines := []string{"vex: 1 documents attached to the image", "vex: 1 findings suppressed as not_affected or fixed, 0 annotated"}
	if diff := cmp.Diff(wantLines, rec.notes); diff != "" {
		t.Errorf("lines (-want +got):\n%s", diff)
	}
	if len(r.Suppressed) != 1 || r.Suppressed[0].Finding.VulnerabilityID != "CVE-2026-7010" || r.Suppressed[0].By != report.SuppressedByVEX {
		t.Errorf("suppressed = %+v, want CVE-2026-7010 by vex", r.Suppressed)
	}

	// A local archive has no registry digest.
	local := gateReport(t)
	if err := Judge(t.Context(), local, Options{Gate: &Gate{VEXReferrers: true}, Now: gateNow}); err == nil {
		t.Error("--vex-referrers on a docker-archive without repo digests: want an error")
	}
}
