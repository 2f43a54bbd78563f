package vex

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"strings"

	"github.com/google/go-containerregistry/pkg/name"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/remote"
)

// Artifact types of VEX documents attached to an image as OCI referrers.
const (
	// ArtifactTypeOpenVEX is a plain OpenVEX document as the artifact's layer.
	ArtifactTypeOpenVEX = "application/vnd.openvex+json"
	// ArtifactTypeSigstoreBundle is what `cosign attest --type openvex`
	// writes with OCI 1.1 referrers: a Sigstore bundle whose DSSE envelope
	// carries an in-toto statement with the OpenVEX document as predicate.
	ArtifactTypeSigstoreBundle = "application/vnd.dev.sigstore.bundle.v0.3+json"
	// ArtifactTypeInToto is an in-toto statement or a DSSE envelope of one.
	ArtifactTypeInToto = "application/vnd.in-toto+json"
)

// maxReferrers bounds how many referrer artifacts are fetched.
const maxReferrers = 32

// Referrers fetches the VEX documents attached to the image dig as OCI
// referrers (or the referrers tag schema, where the registry has no
// referrers API). Signatures are not verified: a document counts because
// it is attached to the image in a registry you read it from.
func Referrers(ctx context.Context, dig name.Digest, opts ...remote.Option) ([]*Document, error) {
	opts = append([]remote.Option{remote.WithContext(ctx)}, opts...)
	idx, err := remote.Referrers(dig, opts...)
	if err != nil {
		return nil, fmt.Errorf("list referrers of %s: %w", dig, err)
	}
	im, err := idx.IndexManifest()
	if err != nil {
		return nil, fmt.Errorf("list referrers of %s: %w", dig, err)
	}
	var docs []*Document
	n := 0
	for _, desc := range im.Manifests {
		switch desc.ArtifactType {
		case ArtifactTypeOpenVEX, ArtifactTypeSigstoreBundle, ArtifactTypeInToto:
		default:
			continue
		}
		if n++; n > maxReferrers {
			break
		}
		ref := dig.Context().Digest(desc.Digest.String())
		img, err := remote.Image(ref, opts...)
		if err != nil {
			return nil, fmt.Errorf("fetch referrer %s: %w", ref, err)
		}
		layers, err := img.Layers()
		if err != nil {
			return nil, fmt.Errorf("fetch referrer %s: %w", ref, err)
		}
		for _, l := range layers {
			data, err := readLayer(l)
			if err != nil {
				return nil, fmt.Errorf("fetch referrer %s: %w", ref, err)
			}
			d, err := parseArtifact(ref.String(), desc.ArtifactType, data)
			if err != nil {
				return nil, err
			}
			if d != nil {
				docs = append(docs, d)
			}
		}
	}
	return docs, nil
}

func readLayer(l v1.Layer) ([]byte, error) {
	rc, err := l.Compressed()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	data, err := io.ReadAll(io.LimitReader(rc, maxSize+1))
	if err != nil {
		return nil, err
	}
	if len(data) > maxSize {
		return nil, fmt.Errorf("layer is larger than %d bytes", maxSize)
	}
	return data, nil
}

// parseArtifact unwraps a Sigstore bundle, DSSE envelope or in-toto
// statement down to the VEX document. It returns nil for an attestation
// whose predicate is not VEX.
func parseArtifact(source, artifactType string, data []byte) (*Document, error) {
	if artifactType == ArtifactTypeOpenVEX {
		return Parse(source, data)
	}
	var probe struct {
		DSSEEnvelope  *dsse           `json:"dsseEnvelope"`
		Payload       string          `json:"payload"`
		PayloadType   string          `json:"payloadType"`
		PredicateType string          `json:"predicateType"`
		Predicate     json.RawMessage `json:"predicate"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("referrer %s: %w", source, err)
	}
	env := probe.DSSEEnvelope
	if env == nil && probe.Payload != "" {
		env = &dsse{Payload: probe.Payload, PayloadType: probe.PayloadType}
	}
	if env != nil {
		payload, err := base64.StdEncoding.DecodeString(env.Payload)
		if err != nil {
			return nil, fmt.Errorf("referrer %s: dsse payload: %w", source, err)
		}
		if err := json.Unmarshal(payload, &probe); err != nil {
			return nil, fmt.Errorf("referrer %s: in-toto statement: %w", source, err)
		}
	}
	if !strings.Contains(probe.PredicateType, "openvex") && !strings.Contains(probe.PredicateType, "cyclonedx.org/vex") {
		return nil, nil
	}
	return Parse(source, probe.Predicate)
}

type dsse struct {
	Payload     string `json:"payload"`
	PayloadType string `json:"payloadType"`
}
