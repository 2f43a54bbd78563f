// Package ruby extracts Ruby gems: installed gem specifications
// (specifications/*.gemspec, written by RubyGems as a
// Gem::Specification.new Ruby block) and Bundler lockfiles (Gemfile.lock,
// gems.locked).
package ruby

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/inventory"
)

// Ecosystem is the OSV ecosystem of gems.
const Ecosystem = "RubyGems"

// maxSize bounds the files parsed.
const maxSize = 16 << 20

// maxErrors bounds how many errors one file reports.
const maxErrors = 10

// Metadata is the Ruby-specific part of a package.
type Metadata struct {
	// Source is "gemspec" or the Gemfile.lock section the gem is locked
	// in: "GEM", "GIT" or "PATH".
	Source string `json:"source"`
	// Platform is the gem platform of a lockfile entry
	// ("x86_64-linux"), empty for pure-Ruby gems.
	Platform string `json:"platform,omitempty"`
}

// Extractor finds gems. It implements extract.Extractor.
type Extractor struct{}

var _ extract.Extractor = Extractor{}

// New returns a Ruby extractor.
func New() Extractor { return Extractor{} }

// Name returns "lang/ruby".
func (Extractor) Name() string { return "lang/ruby" }

// Version returns 1.
func (Extractor) Version() int { return 1 }

func isGemspec(p string) bool {
	return strings.HasSuffix(p, ".gemspec") && path.Base(path.Dir(p)) == "specifications"
}

func isLock(p string) bool {
	b := path.Base(p)
	return b == "Gemfile.lock" || b == "gems.locked"
}

// Wants reports whether path is an installed gemspec or a Bundler lockfile.
func (Extractor) Wants(p string, mode fs.FileMode) bool {
	return !mode.IsDir() && (isGemspec(p) || isLock(p))
}

// Extract parses one file.
func (Extractor) Extract(ctx context.Context, in extract.Input) ([]inventory.Package, error) {
	if len(in.Content) > maxSize {
		return nil, fmt.Errorf("ruby: %d bytes, more than %d", len(in.Content), maxSize)
	}
	switch {
	case isGemspec(in.Path):
		pkgs, err := gemspec(ctx, in)
		if err != nil {
			return pkgs, fmt.Errorf("gemspec: %w", err)
		}
		return pkgs, nil
	case isLock(in.Path):
		pkgs, err := lockfile(ctx, in.Content)
		if err != nil {
			return pkgs, fmt.Errorf("gemfile lock: %w", err)
		}
		return pkgs, nil
	}
	return nil, nil
}

// PURL returns pkg:gem/<name>@<version>, with a platform qualifier when
// the gem is platform-specific.
func PURL(name, version, platform string) string {
	var q packageurl.Qualifiers
	if platform != "" && platform != "ruby" {
		q = packageurl.Qualifiers{{Key: "platform", Value: platform}}
	}
	return packageurl.NewPackageURL(packageurl.TypeGem, "", name, version, q, "").ToString()
}

// validName matches gem names (Gem::Specification::VALID_NAME_PATTERN).
var validName = regexp.MustCompile(`^[a-zA-Z0-9._-]+$`)

func newPackage(name, version string, meta Metadata) (inventory.Package, error) {
	switch {
	case name == "":
		return inventory.Package{}, fmt.Errorf("gem without a name")
	case len(name) > 200 || !validName.MatchString(name):
		return inventory.Package{}, fmt.Errorf("invalid gem name %q", trunc(name))
	case version == "":
		return inventory.Package{}, fmt.Errorf("gem %s without a version", name)
	case len(version) > 200 || strings.ContainsAny(version, " \t\r\n\"'"):
		return inventory.Package{}, fmt.Errorf("gem %s: invalid version %q", name, trunc(version))
	}
	return inventory.Package{
		Name:      name,
		Version:   version,
		Type:      packageurl.TypeGem,
		Ecosystem: Ecosystem,
		PURL:      PURL(name, version, meta.Platform),
		Metadata:  meta,
	}, nil
}

func trunc(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
