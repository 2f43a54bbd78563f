// Package php extracts Composer packages: the packages Composer installed
// (vendor/composer/installed.json, format 1 a JSON array, format 2 an
// object with "packages" and "dev-package-names") and composer.lock
// ("packages" and "packages-dev").
package php

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/inventory"
)

// Ecosystem is the OSV ecosystem of Composer packages.
const Ecosystem = "Packagist"

// maxSize bounds the files parsed.
const maxSize = 64 << 20

// maxErrors bounds how many errors one file reports.
const maxErrors = 10

// Metadata is the Composer-specific part of a package.
type Metadata struct {
	// Source is "installed.json" or "composer.lock".
	Source string `json:"source"`
	// Dev is set for packages only required for development.
	Dev bool `json:"dev,omitempty"`
}

// Extractor finds Composer packages. It implements extract.Extractor.
type Extractor struct{}

var _ extract.Extractor = Extractor{}

// New returns a Composer extractor.
func New() Extractor { return Extractor{} }

// Name returns "lang/php".
func (Extractor) Name() string { return "lang/php" }

// Version returns 1.
func (Extractor) Version() int { return 1 }

func isInstalled(p string) bool {
	return p == "vendor/composer/installed.json" || strings.HasSuffix(p, "/vendor/composer/installed.json")
}

func isLock(p string) bool { return path.Base(p) == "composer.lock" }

// Wants reports whether path is vendor/composer/installed.json or composer.lock.
func (Extractor) Wants(p string, mode fs.FileMode) bool {
	return !mode.IsDir() && (isInstalled(p) || isLock(p))
}

// pkg is one package entry, the same in both files.
type pkg struct {
	Name    string            `json:"name"`
	Version string            `json:"version"`
	License licenses          `json:"license"`
	Require map[string]string `json:"require"`
}

// licenses is a license array or, in old files, a single string.
type licenses []string

func (l *licenses) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		if s != "" {
			*l = licenses{s}
		}
		return nil
	}
	var a []string
	if err := json.Unmarshal(b, &a); err != nil {
		return fmt.Errorf("license: want a string or an array of strings")
	}
	*l = a
	return nil
}

// Extract parses one file.
func (Extractor) Extract(ctx context.Context, in extract.Input) ([]inventory.Package, error) {
	if len(in.Content) > maxSize {
		return nil, fmt.Errorf("composer: %d bytes, more than %d", len(in.Content), maxSize)
	}
	var (
		prod, dev []pkg
		source    string
	)
	switch {
	case isInstalled(in.Path):
		source = "installed.json"
		var err error
		prod, dev, err = decodeInstalled(in.Content)
		if err != nil {
			return nil, fmt.Errorf("composer installed.json: %w", err)
		}
	case isLock(in.Path):
		source = "composer.lock"
		var lock struct {
			Packages    []pkg `json:"packages"`
			PackagesDev []pkg `json:"packages-dev"`
		}
		if err := json.Unmarshal(in.Content, &lock); err != nil {
			return nil, fmt.Errorf("composer.lock: %w", err)
		}
		prod, dev = lock.Packages, lock.PackagesDev
	default:
		return nil, nil
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	pkgs, err := build(prod, dev, source)
	if err != nil {
		return pkgs, fmt.Errorf("composer: %w", err)
	}
	return pkgs, nil
}

// decodeInstalled reads installed.json in format 1 (an array) or 2.
func decodeInstalled(b []byte) (prod, dev []pkg, err error) {
	var v2 struct {
		Packages        []pkg    `json:"packages"`
		DevPackageNames []string `json:"dev-package-names"`
	}
	if err := json.Unmarshal(b, &v2); err == nil {
		devNames := map[string]bool{}
		for _, n := range v2.DevPackageNames {
			devNames[n] = true
		}
		for _, p := range v2.Packages {
			if devNames[p.Name] {
				dev = append(dev, p)
			} else {
				prod = append(prod, p)
			}
		}
		return prod, dev, nil
	}
	var v1 []pkg
	if err := json.Unmarshal(b, &v1); err != nil {
		return nil, nil, err
	}
	return v1, nil, nil
}

// build turns entries into packages and resolves "require" to packages of
// the same file.
func build(prod, dev []pkg, source string) ([]inventory.Package, error) {
	var (
		out  []inventory.Package
		reqs [][]string
		errs []error
	)
	add := func(ps []pkg, isDev bool) {
		for _, p := range ps {
			ip, err := newPackage(p.Name, p.Version, Metadata{Source: source, Dev: isDev})
			if err != nil {
				if len(errs) < maxErrors {
					errs = append(errs, err)
				}
				continue
			}
			ip.Licenses = p.License
			var r []string
			for name := range p.Require {
				r = append(r, strings.ToLower(name))
			}
			out = append(out, ip)
			reqs = append(reqs, r)
		}
	}
	add(prod, false)
	add(dev, true)
	byName := map[string]string{}
	for _, p := range out {
		byName[strings.ToLower(p.Name)] = p.PURL
	}
	for i := range out {
		var deps []string
		for _, r := range reqs[i] {
			if u, ok := byName[r]; ok {
				deps = append(deps, u)
			}
		}
		slices.Sort(deps)
		out[i].DependsOn = slices.Compact(deps)
	}
	return out, errors.Join(errs...)
}

func newPackage(name, version string, meta Metadata) (inventory.Package, error) {
	vendor, project, ok := strings.Cut(name, "/")
	switch {
	case !ok || vendor == "" || project == "" || strings.Contains(project, "/") || len(name) > 200 || strings.ContainsAny(name, " \t\r\n"):
		return inventory.Package{}, fmt.Errorf("invalid package name %q: want vendor/project", trunc(name))
	case version == "":
		return inventory.Package{}, fmt.Errorf("package %s without a version", name)
	case len(version) > 200 || strings.ContainsAny(version, " \t\r\n"):
		return inventory.Package{}, fmt.Errorf("package %s: invalid version %q", name, trunc(version))
	}
	return inventory.Package{
		Name:      name,
		Version:   version,
		Type:      packageurl.TypeComposer,
		Ecosystem: Ecosystem,
		PURL:      packageurl.NewPackageURL(packageurl.TypeComposer, vendor, project, version, nil, "").ToString(),
		Metadata:  meta,
	}, nil
}

func trunc(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
