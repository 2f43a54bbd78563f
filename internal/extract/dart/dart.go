// Package dart extracts Dart and Flutter packages from pub lockfiles
// (pubspec.lock). Packages from a package repository (source "hosted")
// are matched in the OSV ecosystem "Pub"; git and path dependencies are
// listed without one, since no advisory names them; SDK packages
// (flutter, flutter_test) are versioned with the SDK and skipped.
package dart

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"maps"
	"path"
	"slices"
	"strings"

	"github.com/package-url/packageurl-go"
	"go.yaml.in/yaml/v3"

	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/inventory"
)

// Ecosystem is the OSV ecosystem of Dart packages.
const Ecosystem = "Pub"

// maxSize bounds the files parsed.
const maxSize = 16 << 20

// maxErrors bounds how many errors one file reports.
const maxErrors = 10

// Metadata is the pub-specific part of a package.
type Metadata struct {
	// Source is where pub got the package: "hosted", "git" or "path".
	Source string `json:"source"`
	// Dependency is how the app depends on it: "direct main",
	// "direct dev", "direct overridden" or "transitive".
	Dependency string `json:"dependency,omitempty"`
}

// Extractor finds Dart packages in pubspec.lock. It implements
// extract.Extractor.
type Extractor struct{}

var _ extract.Extractor = Extractor{}

// New returns a pub lockfile extractor.
func New() Extractor { return Extractor{} }

// Name returns "lang/dart".
func (Extractor) Name() string { return "lang/dart" }

// Version returns 1.
func (Extractor) Version() int { return 1 }

// Wants reports whether path is a pubspec.lock.
func (Extractor) Wants(p string, mode fs.FileMode) bool {
	return !mode.IsDir() && path.Base(p) == "pubspec.lock"
}

// lock is the part of pubspec.lock customs reads.
type lock struct {
	Packages map[string]struct {
		Dependency string `yaml:"dependency"`
		Source     string `yaml:"source"`
		Version    string `yaml:"version"`
		// Description is a map (hosted: name and url; git: url and ref)
		// or a string (sdk: "flutter").
		Description yaml.Node `yaml:"description"`
	} `yaml:"packages"`
}

// Extract parses a pubspec.lock.
func (Extractor) Extract(ctx context.Context, in extract.Input) ([]inventory.Package, error) {
	if len(in.Content) > maxSize {
		return nil, fmt.Errorf("pubspec.lock: larger than %d bytes", maxSize)
	}
	var l lock
	if err := yaml.Unmarshal(in.Content, &l); err != nil {
		return nil, fmt.Errorf("pubspec.lock: %w", err)
	}
	var (
		out  []inventory.Package
		errs []error
	)
	for _, key := range slices.Sorted(maps.Keys(l.Packages)) {
		e := l.Packages[key]
		if e.Source == "sdk" {
			continue
		}
		name := key
		if e.Source == "hosted" {
			// A package hosted under another name than its key.
			var d struct {
				Name string `yaml:"name"`
			}
			if e.Description.Kind == yaml.MappingNode && e.Description.Decode(&d) == nil && d.Name != "" {
				name = d.Name
			}
		}
		p, err := newPackage(name, e.Version, Metadata{Source: e.Source, Dependency: e.Dependency})
		if err != nil {
			if len(errs) < maxErrors {
				errs = append(errs, fmt.Errorf("pubspec.lock: %w", err))
			}
			continue
		}
		if e.Source != "hosted" {
			p.Ecosystem = ""
		}
		out = append(out, p)
	}
	return out, errors.Join(errs...)
}

func newPackage(name, version string, meta Metadata) (inventory.Package, error) {
	switch {
	case name == "" || len(name) > 200 || strings.ContainsAny(name, " \t\r\n/"):
		return inventory.Package{}, fmt.Errorf("invalid package name %q", trunc(name))
	case version == "":
		return inventory.Package{}, fmt.Errorf("package %s without a version", name)
	case len(version) > 200 || strings.ContainsAny(version, " \t\r\n"):
		return inventory.Package{}, fmt.Errorf("package %s: invalid version %q", name, trunc(version))
	}
	return inventory.Package{
		Name:      name,
		Version:   version,
		Type:      packageurl.TypePub,
		Ecosystem: Ecosystem,
		PURL:      packageurl.NewPackageURL(packageurl.TypePub, "", name, version, nil, "").ToString(),
		Metadata:  meta,
	}, nil
}

func trunc(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
