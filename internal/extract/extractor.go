// Package extract finds packages in an analysed image. The walker offers each
// file that an extractor wants to that extractor once, stamps locations and
// layers, and records per-file errors; extractors only parse.
package extract

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"io/fs"
	"slices"

	"github.com/customs-scanner/customs/internal/ecosystem"
	"github.com/customs-scanner/customs/internal/extract/osrelease"
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

// Embedder is implemented by extractors that find components compiled
// into a file: a Go binary's modules and standard library, a Rust binary's
// crates, a statically linked library. An OS package that installed such a
// file tracks the file, not what was built into it (the distribution
// tracks those under other source packages), so Run reports them on their
// own, OwnedBy naming the owner, instead of folding them into it as it
// folds the language packages a distribution ships (python3-urllib3's
// urllib3).
type Embedder interface {
	// Embedded reports whether p, found in a file that the OS package
	// owner installed, was compiled into that file rather than being
	// owner's own software (OpenSSL's version in libssl3's libssl.so.3,
	// the standard library of the go command in golang-1.19-go), which
	// owner's own advisories cover.
	Embedded(p, owner inventory.Package) bool
}

// Describer is implemented by extractors that declare the ecosystem of the
// packages they find: its PURL type, advisory namespaces, version scheme,
// name rules and default feeds. scan.Ecosystems collects the descriptors of
// the default extractors, so an ecosystem is declared once, in its folder.
type Describer interface {
	Descriptor() ecosystem.Descriptor
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

// Prepare returns the combined layerfs.Options.Prepare for exts. Every
// Preparer that wants a path prepares it; the results (and the raw content,
// when an extractor that is not a Preparer wants the path too) are kept
// together, and the walker hands each extractor its own part. Paths no
// Preparer wants are kept as they are. Nil when no extractor is a Preparer.
func Prepare(exts []Extractor) func(path string, mode fs.FileMode, content []byte) ([]byte, error) {
	any := false
	for _, e := range exts {
		if _, ok := e.(Preparer); ok {
			any = true
		}
	}
	if !any {
		return nil
	}
	return func(path string, mode fs.FileMode, content []byte) ([]byte, error) {
		var parts []part
		prepared, raw := false, false
		var errs []error
		for _, e := range exts {
			if !e.Wants(path, mode) {
				continue
			}
			pr, ok := e.(Preparer)
			if !ok {
				raw = true
				continue
			}
			prepared = true
			b, err := pr.Prepare(path, content)
			if err != nil {
				errs = append(errs, fmt.Errorf("%s: %w", e.Name(), err))
			}
			if b != nil {
				parts = append(parts, part{e.Name(), b})
			}
		}
		if !prepared {
			return slices.Clone(content), nil // content is the reader's buffer
		}
		if osrelease.Wants(path) {
			raw = true // OS detection reads it, and is not an Extractor
		}
		if raw {
			parts = append(parts, part{rawPart, content})
		}
		if len(parts) == 0 {
			return nil, errors.Join(errs...)
		}
		return encodeParts(parts), errors.Join(errs...)
	}
}

// PartFor returns the part of a kept file that the Preparer named name
// prepared; ok is false when there is none, including a file kept without
// parts (no Preparer wanted it). Name "" is the raw content of a file kept
// with parts.
func PartFor(name string, data []byte) ([]byte, bool) {
	if !bytes.HasPrefix(data, preparedMagic) {
		return nil, false
	}
	return contentFor(name, true, data)
}

// rawPart names the unprepared content in a prepared file.
const rawPart = ""

// preparedMagic starts a file kept as Preparer parts.
var preparedMagic = []byte("customs-prepared\x00")

type part struct {
	name string
	data []byte
}

func encodeParts(parts []part) []byte {
	b := append([]byte(nil), preparedMagic...)
	for _, p := range parts {
		b = binary.AppendUvarint(b, uint64(len(p.name)))
		b = append(b, p.name...)
		b = binary.AppendUvarint(b, uint64(len(p.data)))
		b = append(b, p.data...)
	}
	return b
}

// contentFor returns the part of a kept file that belongs to extractor name:
// its prepared bytes, or the raw content for an extractor that prepares
// nothing. ok is false when the file holds nothing for it.
func contentFor(name string, isPreparer bool, data []byte) ([]byte, bool) {
	if !bytes.HasPrefix(data, preparedMagic) {
		return data, true
	}
	want := rawPart
	if isPreparer {
		want = name
	}
	rest := data[len(preparedMagic):]
	for len(rest) > 0 {
		n, k := binary.Uvarint(rest)
		if k <= 0 || uint64(len(rest)-k) < n {
			return nil, false
		}
		pn := string(rest[k : k+int(n)])
		rest = rest[k+int(n):]
		m, k := binary.Uvarint(rest)
		if k <= 0 || uint64(len(rest)-k) < m {
			return nil, false
		}
		pd := rest[k : k+int(m)]
		rest = rest[k+int(m):]
		if pn == want {
			return pd, true
		}
	}
	return nil, false
}
