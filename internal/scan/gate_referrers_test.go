package scan

import (
	"net/url"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/vex"
	"github.com/customs-scanner/customs/internal/vex/vextest"
)

func TestJudgeVEXReferrers(t *testing.T) {
	repo, img := vextest.Push(t, "org/debian", "12")
	dig, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}
	doc := `{"@context":"https://openvex.dev/ns/v0.2.0","statements":[{"vulnerability":{"name":"CVE-2026-7010"},
		"products":[{"@id":"pkg:oci/debian@` + url.QueryEscape(dig.String()) + `","subcomponents":[{"@id":"pkg:deb/debian/perl-base"}]}],
		"status":"not_affected","justification":"vulnerable_code_not_present"}]}`
	vextest.Attach(t, repo, img, vex.ArtifactTypeOpenVEX, []byte(doc))

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
