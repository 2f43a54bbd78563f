// Package image opens container images from the places they live: a docker
// save archive, an OCI layout (directory or tar), a registry, the local Docker
// Engine, or an unpacked root filesystem. It hands layers out as raw blob
// streams; decompression, hashing and analysis are layerfs's job.
package image

import (
	"context"
	"io"

	v1 "github.com/google/go-containerregistry/pkg/v1"
)

// Source is an opened image reference.
type Source interface {
	// Identity is a fast-path identity for the whole source: it changes
	// whenever the bytes could have changed (path, size, mtime, ctime,
	// inode of an archive file). Empty when there is none (streams, registries).
	Identity() string
	// Read reads the image. It calls layer once for every layer blob it meets,
	// in any order and possibly for several blobs at once (layer must be
	// safe for concurrent use), then returns the metadata that says which
	// blob is which layer. A source that can only stream reads each byte once.
	Read(ctx context.Context, layer LayerFunc) (*Metadata, error)
	Close() error
}

// LayerFunc receives one layer blob. Open is valid only during the call; not
// calling it skips the blob.
type LayerFunc func(ctx context.Context, b Blob) error

// Blob is a layer blob as stored (possibly gzip or zstd compressed).
type Blob struct {
	// Key identifies the blob inside the source; Metadata.Layers[i].Key.
	Key string
	// Digest is the blob's compressed digest, set only when reading the
	// blob through Open verifies the bytes against it (registry), so a
	// result recorded after a full read can be reused by digest.
	Digest string
	Open   func() (io.ReadCloser, error)
}

// Metadata is what a source knows about the image apart from layer content.
type Metadata struct {
	// Kind is the source kind: "docker-archive", "oci-dir", "oci-archive",
	// "registry", "docker", "dir".
	Kind string
	// Ref is the reference as the user gave it, without scheme.
	Ref string
	// ManifestDigest and ConfigDigest (image ID) where the source has them.
	ManifestDigest string
	ConfigDigest   string
	RepoTags       []string
	RepoDigests    []string
	// Config is the image config as the image claims it (DiffIDs unverified).
	Config *v1.ConfigFile
	// Layers in order, bottom first.
	Layers []LayerMeta
	// RootDir is set, and Layers empty, for an unpacked root filesystem.
	RootDir string
	// Skip are the directories under RootDir a walk passes over.
	Skip []Skip
}

// LayerMeta describes one layer.
type LayerMeta struct {
	Key string
	// ClaimedDiffID is the DiffID the config claims; verified by the scan.
	ClaimedDiffID string
	MediaType     string
	// CreatedBy is the history entry that made this layer (empty_layer
	// entries skipped).
	CreatedBy string
}
