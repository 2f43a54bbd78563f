// Package python extracts Python packages: installed distributions
// (*.dist-info/METADATA, *.egg-info/PKG-INFO or a *.egg-info file, in the
// core metadata format of https://packaging.python.org/en/latest/specifications/core-metadata/)
// and lockfiles (requirements*.txt "==" pins, poetry.lock, Pipfile.lock,
// uv.lock, pylock.toml).
package python

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

// Ecosystem is the OSV ecosystem of Python packages.
const Ecosystem = "PyPI"

// maxSize bounds the files parsed; real metadata and lockfiles are far smaller.
const maxSize = 32 << 20

// Metadata is the Python-specific part of a package.
type Metadata struct {
	// Source is the kind of file: "installed", "requirements", "poetry",
	// "pipenv", "uv" or "pylock".
	Source string `json:"source"`
	// Dev is set for packages a lockfile lists only for development
	// (Pipfile.lock develop, poetry category "dev").
	Dev bool `json:"dev,omitempty"`
	// Groups are poetry's dependency groups.
	Groups []string `json:"groups,omitempty"`
}

// Extractor finds Python packages. It implements extract.Extractor.
type Extractor struct{}

var _ extract.Extractor = Extractor{}

// New returns a Python extractor.
func New() Extractor { return Extractor{} }

// Name returns "lang/python".
func (Extractor) Name() string { return "lang/python" }

// Version returns 1.
func (Extractor) Version() int { return 1 }

// kind classifies path; "" means not wanted.
func kind(p string) string {
	base := path.Base(p)
	dir := path.Base(path.Dir(p))
	switch {
	case base == "METADATA" && strings.HasSuffix(dir, ".dist-info"):
		return "installed"
	case base == "PKG-INFO" && (strings.HasSuffix(dir, ".egg-info") || dir == "EGG-INFO"):
		return "installed"
	case strings.HasSuffix(base, ".egg-info"):
		return "egg-info-file"
	case base == "requires.txt" && strings.HasSuffix(dir, ".egg-info"):
		return "requires"
	case base == "poetry.lock":
		return "poetry"
	case base == "Pipfile.lock":
		return "pipenv"
	case base == "uv.lock":
		return "uv"
	case base == "pylock.toml" || (strings.HasPrefix(base, "pylock.") && strings.HasSuffix(base, ".toml")):
		return "pylock"
	case strings.HasPrefix(base, "requirements") && strings.HasSuffix(base, ".txt"):
		return "requirements"
	}
	return ""
}

// Wants reports whether path is Python metadata or a Python lockfile.
func (Extractor) Wants(p string, mode fs.FileMode) bool {
	return !mode.IsDir() && kind(p) != ""
}

// Extract parses one file.
func (Extractor) Extract(ctx context.Context, in extract.Input) ([]inventory.Package, error) {
	k := kind(in.Path)
	if k == "" || k == "requires" {
		return nil, nil
	}
	if len(in.Content) > maxSize {
		return nil, fmt.Errorf("python %s: %d bytes, more than %d", k, len(in.Content), maxSize)
	}
	var (
		pkgs []inventory.Package
		err  error
	)
	switch k {
	case "installed", "egg-info-file":
		pkgs, err = installed(ctx, in)
	case "requirements":
		pkgs, err = requirements(ctx, in.Content)
	case "poetry":
		pkgs, err = poetry(in.Content)
	case "pipenv":
		pkgs, err = pipenv(in.Content)
	case "uv":
		pkgs, err = uv(in.Content)
	case "pylock":
		pkgs, err = pylock(in.Content)
	}
	if err != nil {
		return pkgs, fmt.Errorf("python %s: %w", k, err)
	}
	return pkgs, nil
}

// Normalize returns the PEP 503 normalized form of a distribution name:
// lowercase, runs of "-", "_" and "." replaced by one "-". It is plain
// code, not a regexp: resolving an installed distribution's requirements
// normalizes every name in its site-packages directory.
func Normalize(name string) string {
	s := strings.ToLower(name)
	if !strings.ContainsAny(s, "_.") && !strings.Contains(s, "--") {
		return s
	}
	var b strings.Builder
	b.Grow(len(s))
	sep := false
	for i := 0; i < len(s); i++ {
		switch c := s[i]; c {
		case '-', '_', '.':
			if !sep {
				b.WriteByte('-')
			}
			sep = true
		default:
			b.WriteByte(c)
			sep = false
		}
	}
	return b.String()
}

// PURL returns pkg:pypi/<normalized name>@<version>.
func PURL(name, version string) string {
	return packageurl.NewPackageURL(packageurl.TypePyPi, "", Normalize(name), version, nil, "").ToString()
}

// validName matches a distribution name as PEP 508 allows it.
var validName = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9._-]*[A-Za-z0-9])?$`)

// newPackage builds a package; name and version must be non-empty.
func newPackage(name, version string, meta Metadata) (inventory.Package, error) {
	switch {
	case name == "":
		return inventory.Package{}, fmt.Errorf("package without a name")
	case !validName.MatchString(name) || len(name) > 200:
		return inventory.Package{}, fmt.Errorf("invalid package name %q", trunc(name))
	case version == "":
		return inventory.Package{}, fmt.Errorf("package %s without a version", name)
	case len(version) > 200 || strings.ContainsAny(version, " \t\r\n"):
		return inventory.Package{}, fmt.Errorf("package %s: invalid version %q", name, trunc(version))
	}
	p := inventory.Package{
		Name:      name,
		Version:   version,
		Type:      packageurl.TypePyPi,
		Ecosystem: Ecosystem,
		PURL:      PURL(name, version),
		Metadata:  meta,
	}
	// Advisories name PyPI packages by the normalized name.
	if n := Normalize(name); n != name {
		p.SourceName = n
	}
	return p, nil
}

func trunc(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
