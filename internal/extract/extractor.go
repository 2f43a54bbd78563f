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

// Preparer is implemented by extractors of large files (archives, binaries).
// Prepare runs while the layer is read, one file at a time, and turns the
// file into the compact bytes that are kept and cached in its place and that
// Extract later receives as Input.Content; the file itself is never held.
// Returning nil keeps nothing. Prepare must be pure: its output may be
// cached by the layer's DiffID and the extractor's Version.
type Preparer interface {
	Prepare(path string, content []byte) ([]byte, error)
}

// Prepare returns the combined layerfs.Options.Prepare for exts: the first
// extractor that wants a path and is a Preparer prepares it; other wanted
// files are kept as they are.
func Prepare(exts []Extractor) func(path string, content []byte) ([]byte, error) {
	var preps []Extractor
	for _, e := range exts {
		if _, ok := e.(Preparer); ok {
			preps = append(preps, e)
		}
	}
	if len(preps) == 0 {
		return nil
	}
	return func(path string, content []byte) ([]byte, error) {
		for _, e := range preps {
			if e.Wants(path, 0) {
				return e.(Preparer).Prepare(path, content)
			}
		}
		return content, nil
	}
}
