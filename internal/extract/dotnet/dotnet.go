// Package dotnet extracts NuGet packages from .NET files: the *.deps.json
// that `dotnet publish` writes beside an application (libraries of type
// "package", their dependencies from "targets") and NuGet's
// packages.lock.json (per target framework, resolved versions of Direct,
// Transitive and CentralTransitive dependencies).
package dotnet

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/inventory"
)

// Ecosystem is the OSV ecosystem of NuGet packages.
const Ecosystem = "NuGet"

// maxSize bounds the files parsed.
const maxSize = 64 << 20

// maxErrors bounds how many errors one file reports.
const maxErrors = 10

// Metadata is the .NET-specific part of a package.
type Metadata struct {
	// Source is "deps.json" or "packages.lock.json".
	Source string `json:"source"`
	// Direct is set for packages.lock.json entries of type Direct.
	Direct bool `json:"direct,omitempty"`
}

// Extractor finds NuGet packages. It implements extract.Extractor.
type Extractor struct{}

var _ extract.Extractor = Extractor{}

// New returns a .NET extractor.
func New() Extractor { return Extractor{} }

// Name returns "lang/dotnet".
func (Extractor) Name() string { return "lang/dotnet" }

// Version returns 1.
func (Extractor) Version() int { return 1 }

func isDeps(p string) bool { return strings.HasSuffix(p, ".deps.json") }
func isLock(p string) bool { return path.Base(p) == "packages.lock.json" }

// Wants reports whether path is a *.deps.json or a packages.lock.json.
func (Extractor) Wants(p string, mode fs.FileMode) bool {
	return !mode.IsDir() && (isDeps(p) || isLock(p))
}

// Extract parses one file.
func (Extractor) Extract(ctx context.Context, in extract.Input) ([]inventory.Package, error) {
	if len(in.Content) > maxSize {
		return nil, fmt.Errorf("nuget: %d bytes, more than %d", len(in.Content), maxSize)
	}
	var (
		pkgs []inventory.Package
		err  error
	)
	switch {
	case isDeps(in.Path):
		pkgs, err = depsJSON(ctx, in.Content)
	case isLock(in.Path):
		pkgs, err = lockJSON(ctx, in.Content)
	default:
		return nil, nil
	}
	if err != nil {
		return pkgs, fmt.Errorf("nuget: %w", err)
	}
	return pkgs, nil
}

// depsJSON reads a deps.json (dotnet/runtime docs/design/features/host-probing.md,
// "deps.json"): "libraries" keyed "Name/Version" with a type, and
// "targets" keyed by framework, then "Name/Version", with "dependencies"
// mapping names to versions.
func depsJSON(ctx context.Context, b []byte) ([]inventory.Package, error) {
	var deps struct {
		Targets map[string]map[string]struct {
			Dependencies map[string]string `json:"dependencies"`
		} `json:"targets"`
		Libraries map[string]struct {
			Type string `json:"type"`
		} `json:"libraries"`
	}
	if err := json.Unmarshal(b, &deps); err != nil {
		return nil, fmt.Errorf("decode deps.json: %w", err)
	}
	keys := make([]string, 0, len(deps.Libraries))
	for k, lib := range deps.Libraries {
		if lib.Type == "package" {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	var (
		pkgs []inventory.Package
		errs []error
	)
	purls := map[string]string{} // lower-case "name/version" -> PURL
	for _, k := range keys {
		name, ver, _ := strings.Cut(k, "/")
		p, err := newPackage(name, ver, Metadata{Source: "deps.json"})
		if err != nil {
			if len(errs) < maxErrors {
				errs = append(errs, fmt.Errorf("library %q: %w", trunc(k), err))
			}
			continue
		}
		purls[strings.ToLower(k)] = p.PURL
		pkgs = append(pkgs, p)
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	frameworks := make([]string, 0, len(deps.Targets))
	for fw := range deps.Targets {
		frameworks = append(frameworks, fw)
	}
	sort.Strings(frameworks)
	depsOf := map[string][]string{} // lower-case "name/version" -> PURLs it depends on
	for _, fw := range frameworks {
		for k, t := range deps.Targets[fw] {
			lk := strings.ToLower(k)
			for dn, dv := range t.Dependencies {
				if u, ok := purls[strings.ToLower(dn+"/"+dv)]; ok {
					depsOf[lk] = append(depsOf[lk], u)
				}
			}
		}
	}
	for i := range pkgs {
		out := slices.Clone(depsOf[strings.ToLower(pkgs[i].Name+"/"+pkgs[i].Version)])
		slices.Sort(out)
		pkgs[i].DependsOn = slices.Compact(out)
	}
	return pkgs, errors.Join(errs...)
}

// lockJSON reads a NuGet packages.lock.json: "dependencies" keyed by target
// framework, then by package name, with "type" (Direct, Transitive,
// CentralTransitive, Project), "resolved" and "dependencies". A package
// locked for several frameworks is reported once.
func lockJSON(ctx context.Context, b []byte) ([]inventory.Package, error) {
	type entry struct {
		Type         string            `json:"type"`
		Resolved     string            `json:"resolved"`
		Dependencies map[string]string `json:"dependencies"`
	}
	var lock struct {
		Version      int                         `json:"version"`
		Dependencies map[string]map[string]entry `json:"dependencies"`
	}
	if err := json.Unmarshal(b, &lock); err != nil {
		return nil, fmt.Errorf("decode packages.lock.json: %w", err)
	}
	frameworks := make([]string, 0, len(lock.Dependencies))
	for fw := range lock.Dependencies {
		frameworks = append(frameworks, fw)
	}
	sort.Strings(frameworks)
	var (
		pkgs  []inventory.Package
		deps  []map[string]bool // lower-case dependency names per package
		errs  []error
		index = map[string]int{} // lower-case name/version -> pkgs index
	)
	byName := map[string][]string{} // lower-case name per framework resolution -> PURLs
	for _, fw := range frameworks {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		names := make([]string, 0, len(lock.Dependencies[fw]))
		for n := range lock.Dependencies[fw] {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			e := lock.Dependencies[fw][n]
			if strings.EqualFold(e.Type, "Project") {
				continue
			}
			key := strings.ToLower(n + "/" + e.Resolved)
			i, seen := index[key]
			if !seen {
				p, err := newPackage(n, e.Resolved, Metadata{Source: "packages.lock.json"})
				if err != nil {
					if len(errs) < maxErrors {
						errs = append(errs, fmt.Errorf("%s: %w", fw, err))
					}
					continue
				}
				i = len(pkgs)
				index[key] = i
				pkgs = append(pkgs, p)
				deps = append(deps, map[string]bool{})
				ln := strings.ToLower(n)
				byName[ln] = append(byName[ln], p.PURL)
			}
			if strings.EqualFold(e.Type, "Direct") {
				m := pkgs[i].Metadata.(Metadata)
				m.Direct = true
				pkgs[i].Metadata = m
			}
			for dn, dv := range e.Dependencies {
				deps[i][strings.ToLower(dn)+"/"+strings.ToLower(dv)] = true
			}
		}
	}
	// Dependencies name a version range; they resolve to the locked
	// version of that name: the exact one when it is locked, else the only one.
	for i := range pkgs {
		var out []string
		for d := range deps[i] {
			if j, ok := index[d]; ok {
				out = append(out, pkgs[j].PURL)
				continue
			}
			name, _, _ := strings.Cut(d, "/")
			if us := byName[name]; len(us) == 1 {
				out = append(out, us[0])
			}
		}
		slices.Sort(out)
		pkgs[i].DependsOn = slices.Compact(out)
	}
	return pkgs, errors.Join(errs...)
}

// PURL returns pkg:nuget/<name>@<version>.
func PURL(name, version string) string {
	return packageurl.NewPackageURL(packageurl.TypeNuget, "", name, version, nil, "").ToString()
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
		Type:      packageurl.TypeNuget,
		Ecosystem: Ecosystem,
		PURL:      PURL(name, version),
		Metadata:  meta,
	}, nil
}

func trunc(s string) string {
	if len(s) > 40 {
		return s[:40] + "..."
	}
	return s
}
