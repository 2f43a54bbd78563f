package image

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"strings"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// Annotations that name an image inside an OCI layout's index.json.
const (
	annotationRefName        = "org.opencontainers.image.ref.name"
	annotationContainerdName = "io.containerd.image.name"
)

// getBlob returns a small (JSON) blob of an OCI layout by digest.
type getBlob func(h v1.Hash) ([]byte, error)

// ociSelection is the image chosen from an OCI layout.
type ociSelection struct {
	ManifestDigest v1.Hash
	Manifest       *v1.Manifest
	// Name is the image name the index gave it, if any.
	Name string
	// Platform is the platform the index gives the manifest, if any.
	Platform *v1.Platform
}

// selectOCI picks one image manifest from an OCI layout's index.json: the
// one with the given digest, or tagged tag (ref.name annotation), or the
// only or platform-matching one; nested indexes are resolved with platform.
func selectOCI(rawIndex []byte, get getBlob, tag, digest, platform string) (*ociSelection, error) {
	idx, err := v1.ParseIndexManifest(bytes.NewReader(rawIndex))
	if err != nil {
		return nil, fmt.Errorf("parse index.json: %w", err)
	}
	var desc v1.Descriptor
	switch {
	case digest != "":
		h, err := v1.NewHash(digest)
		if err != nil {
			return nil, fmt.Errorf("bad digest %q: %w", digest, err)
		}
		desc = v1.Descriptor{Digest: h}
		for _, d := range idx.Manifests {
			if d.Digest == h {
				desc = d
			}
		}
	case tag != "":
		var names []string
		found := false
		for _, d := range idx.Manifests {
			n := d.Annotations[annotationRefName]
			if n == tag || strings.HasSuffix(n, ":"+tag) {
				desc, found = d, true
				break
			}
			if n != "" {
				names = append(names, n)
			}
		}
		if !found {
			if len(names) == 0 {
				return nil, fmt.Errorf("no image tagged %q: the layout names no images; drop the tag", tag)
			}
			return nil, fmt.Errorf("no image tagged %q; the layout has: %s", tag, strings.Join(names, ", "))
		}
	default:
		if len(idx.Manifests) == 0 {
			return nil, errors.New("index.json lists no images")
		}
		desc, err = choosePlatform(idx.Manifests, platform)
		if err != nil {
			return nil, err
		}
	}
	name := desc.Annotations[annotationContainerdName]
	if name == "" {
		name = desc.Annotations[annotationRefName]
	}
	// Walk down nested indexes.
	for depth := 0; ; depth++ {
		if depth > 4 {
			return nil, errors.New("image indexes nested too deeply")
		}
		raw, err := get(desc.Digest)
		if err != nil {
			return nil, err
		}
		if !isIndex(desc.MediaType, raw) {
			m, err := v1.ParseManifest(bytes.NewReader(raw))
			if err != nil {
				return nil, fmt.Errorf("parse manifest %s: %w", desc.Digest, err)
			}
			return &ociSelection{ManifestDigest: desc.Digest, Manifest: m, Name: name, Platform: desc.Platform}, nil
		}
		child, err := v1.ParseIndexManifest(bytes.NewReader(raw))
		if err != nil {
			return nil, fmt.Errorf("parse index %s: %w", desc.Digest, err)
		}
		desc, err = choosePlatform(child.Manifests, platform)
		if err != nil {
			return nil, err
		}
	}
}

// isIndex tells an index from an image manifest by its media type, or, when
// the descriptor has none, by the JSON itself.
func isIndex(mt types.MediaType, raw []byte) bool {
	if mt != "" {
		return mt.IsIndex()
	}
	var probe struct {
		MediaType types.MediaType `json:"mediaType"`
		Manifests json.RawMessage `json:"manifests"`
	}
	if json.Unmarshal(raw, &probe) != nil {
		return false
	}
	if probe.MediaType != "" {
		return probe.MediaType.IsIndex()
	}
	return probe.Manifests != nil
}

// defaultPlatform is used when several images are offered and none asked for.
const defaultPlatform = "linux/amd64"

// choosePlatform picks the descriptor for platform from an index's list.
// With platform "", a single image is taken whatever its platform, else
// linux/amd64. Attestation entries (platform unknown/unknown) never match.
func choosePlatform(descs []v1.Descriptor, platform string) (v1.Descriptor, error) {
	var cands []v1.Descriptor
	for _, d := range descs {
		if d.Platform != nil && d.Platform.OS == "unknown" {
			continue
		}
		cands = append(cands, d)
	}
	if len(cands) == 0 {
		return v1.Descriptor{}, errors.New("the index lists no images")
	}
	if platform == "" {
		if len(cands) == 1 {
			return cands[0], nil
		}
		withPlatform := 0
		for _, d := range cands {
			if d.Platform != nil {
				withPlatform++
			}
		}
		if withPlatform == 0 {
			// Untagged images without platforms: take the first.
			return cands[0], nil
		}
		platform = defaultPlatform
	}
	want, err := parsePlatform(platform)
	if err != nil {
		return v1.Descriptor{}, err
	}
	if len(cands) == 1 && cands[0].Platform == nil {
		// The index does not say; the image's config will (checkPlatform).
		return cands[0], nil
	}
	var have []string
	for _, d := range cands {
		if d.Platform == nil {
			have = append(have, "an image of unstated platform")
			continue
		}
		if platformMatches(*d.Platform, *want) {
			return d, nil
		}
		have = append(have, d.Platform.String())
	}
	return v1.Descriptor{}, noPlatform(*want, have, "index")
}

// platformMatches compares OS, architecture and, when asked for, variant
// (arm64 images often omit the default variant v8).
func platformMatches(have, want v1.Platform) bool {
	if have.OS != want.OS || have.Architecture != want.Architecture {
		return false
	}
	if want.Variant == "" || have.Variant == want.Variant {
		return true
	}
	return want.Architecture == "arm64" && want.Variant == "v8" && have.Variant == ""
}

// ociLayers lists a manifest's layers, keyed by digest.
func ociLayers(m *v1.Manifest) []layerRef {
	out := make([]layerRef, len(m.Layers))
	for i, l := range m.Layers {
		out[i] = layerRef{Key: l.Digest.String(), MediaType: string(l.MediaType)}
	}
	return out
}
