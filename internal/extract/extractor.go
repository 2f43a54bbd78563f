// Package extract finds packages in an analysed image. The walker offers each
// file that an extractor wants to that extractor once, stamps locations and
// layers, and records per-file errors; extractors only parse.
package extract

import (
	"context"
	"io/fs"

	"github.com/customs-scanner/customs/internal/inventory"
)

// Extractor finds packages of one file format.
type Extractor interface {
	// Name is stable, e.g. "os/dpkg".
	Name() string
	// Version is bumped when output for the same input changes; it is part
	// of layer cache keys.
	Version() int
	// Wants reports whether the file at path (root-relative, no leading
	// slash) must be captured; also files the extractor only reads through
	// Input.FS (dpkg info/*.list). Pure and cheap, no I/O.
	Wants(path string, mode fs.FileMode) bool
	// Extract parses one wanted file. It may return no packages (a
	// supporting file). Locations and layers are stamped by the walker.
	Extract(ctx context.Context, in Input) ([]inventory.Package, error)
}

// Input is one file offered to an extractor.
type Input struct {
	Path    string
	Content []byte
	// FS is the merged image filesystem as of the layer being extracted;
	// only wanted files have content.
	FS fs.FS
	// OS is the detected distribution of the final image (zero if unknown).
	OS inventory.OS
}
