package vex

import (
	"encoding/base64"
	"encoding/json"
	"os"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/vex/vextest"
)

func TestReferrersInProcessRegistry(t *testing.T) {
	repo, img := vextest.Push(t, "org/app", "1.0")
	dig, err := img.Digest()
	if err != nil {
		t.Fatal(err)
	}

	plain, err := os.ReadFile("testdata/trivy-openvex.json")
	if err != nil {
		t.Fatal(err)
	}
	vextest.Attach(t, repo, img, ArtifactTypeOpenVEX, plain)

	// What `cosign attest --type openvex` writes: bundle -> DSSE -> in-toto.
	chainguard, err := os.ReadFile("testdata/chainguard-urllib3.openvex.json")
	if err != nil {
		t.Fatal(err)
	}
	stmt, err := json.Marshal(map[string]any{
		"_type": "https://in-toto.io/Statement/v1", "predicateType": "https://openvex.dev/ns/v0.2.0",
		"subject": []any{}, "predicate": json.RawMessage(chainguard),
	})
	if err != nil {
		t.Fatal(err)
	}
	bundle, err := json.Marshal(map[string]any{
		"mediaType":    "application/vnd.dev.sigstore.bundle.v0.3+json",
		"dsseEnvelope": map[string]string{"payloadType": "application/vnd.in-toto+json", "payload": base64.StdEncoding.EncodeToString(stmt)},
	})
	if err != nil {
		t.Fatal(err)
	}
	vextest.Attach(t, repo, img, ArtifactTypeSigstoreBundle, bundle)

	// An SPDX attestation is not VEX and is skipped.
	spdx, err := json.Marshal(map[string]any{"predicateType": "https://spdx.dev/Document", "predicate": map[string]any{}})
	if err != nil {
		t.Fatal(err)
	}
	vextest.Attach(t, repo, img, ArtifactTypeInToto, spdx)
	// Other artifact types are not fetched at all.
	vextest.Attach(t, repo, img, "application/vnd.example.sbom+json", []byte("not json"))

	docs, err := Referrers(t.Context(), repo.Digest(dig.String()))
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, d := range docs {
		for _, s := range d.Statements {
			got = append(got, s.Status+" "+s.Vulnerability)
		}
	}
	// Referrers come back in digest order; compare as a set.
	want := map[string]bool{"not_affected CVE-2022-23628": true, "fixed CGA-7qjw-ggh3-pp9f": true}
	gotSet := map[string]bool{}
	for _, g := range got {
		gotSet[g] = true
	}
	if diff := cmp.Diff(want, gotSet); diff != "" || len(got) != 2 {
		t.Errorf("statements %v (-want +got):\n%s", got, diff)
	}
}

func FuzzParseArtifact(f *testing.F) {
	data, err := os.ReadFile("testdata/trivy-openvex.json")
	if err != nil {
		f.Fatal(err)
	}
	stmt := []byte(`{"predicateType":"https://openvex.dev/ns/v0.2.0","predicate":` + string(data) + `}`)
	f.Add(stmt)
	f.Add([]byte(`{"dsseEnvelope":{"payload":"` + base64.StdEncoding.EncodeToString(stmt) + `"}}`))
	f.Add([]byte(`{"payload":"` + base64.StdEncoding.EncodeToString(stmt) + `"}`))
	f.Fuzz(func(t *testing.T, data []byte) {
		parseArtifact("fuzz", ArtifactTypeSigstoreBundle, data)
	})
}
