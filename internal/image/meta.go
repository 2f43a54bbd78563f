package image

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/types"
)

// layerRef is one layer as a manifest names it.
type layerRef struct {
	Key       string
	MediaType string
}

// newMetadata parses the raw image config and joins it with the manifest's
// layer list: ClaimedDiffID from rootfs.diff_ids, CreatedBy from the history
// entries that made a layer. It refuses an image whose config names another
// platform than platform (Options.Platform; empty takes any).
func newMetadata(kind, ref string, rawConfig []byte, layers []layerRef, platform string) (*Metadata, error) {
	cfg, err := v1.ParseConfigFile(bytes.NewReader(rawConfig))
	if err != nil {
		return nil, fmt.Errorf("parse image config: %w", err)
	}
	if err := checkPlatform(cfg, platform); err != nil {
		return nil, err
	}
	if n := len(cfg.RootFS.DiffIDs); n != len(layers) {
		return nil, fmt.Errorf("image config lists %d layer diff_ids but the manifest %d layers; the image is corrupt", n, len(layers))
	}
	sum := sha256.Sum256(rawConfig)
	m := &Metadata{
		Kind:         kind,
		Ref:          ref,
		ConfigDigest: "sha256:" + hex.EncodeToString(sum[:]),
		Config:       cfg,
		Layers:       make([]LayerMeta, len(layers)),
	}
	createdBy := layerHistory(cfg.History, len(layers))
	for i, l := range layers {
		m.Layers[i] = LayerMeta{
			Key:           l.Key,
			ClaimedDiffID: cfg.RootFS.DiffIDs[i].String(),
			MediaType:     l.MediaType,
			CreatedBy:     createdBy[i],
		}
	}
	return m, nil
}

// layerHistory returns the created_by of each non-empty history entry, or
// empty strings when the history does not have exactly one such entry per
// layer (some builders omit history, then nothing can be attributed).
func layerHistory(h []v1.History, layers int) []string {
	out := make([]string, layers)
	var nonEmpty []string
	for _, e := range h {
		if !e.EmptyLayer {
			nonEmpty = append(nonEmpty, e.CreatedBy)
		}
	}
	if len(nonEmpty) == layers {
		copy(out, nonEmpty)
	}
	return out
}

// mediaTypeFor names the layer media type for a sniffed compression, for
// sources (docker save) whose manifest does not say.
func mediaTypeFor(comp string) string {
	switch comp {
	case compGzip:
		return string(types.DockerLayer)
	case compZstd:
		return string(types.OCILayerZStd)
	}
	return string(types.DockerUncompressedLayer)
}
