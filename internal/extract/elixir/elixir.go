// Package elixir extracts Hex packages from Mix lockfiles (mix.lock), the
// Elixir map literal Mix writes one dependency a line:
//
//	"jason": {:hex, :jason, "1.4.0", "e855...", [:mix], [{:decimal, "~> 1.0", [hex: :decimal, repo: "hexpm", optional: true]}], "hexpm", "79a3..."},
//
// Only :hex entries name a published package and version; :git and :path
// dependencies are skipped.
package elixir

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/inventory"
)

// Ecosystem is the OSV ecosystem of Hex packages.
const Ecosystem = "Hex"

// maxSize bounds the files parsed.
const maxSize = 16 << 20

// maxErrors bounds how many errors one file reports.
const maxErrors = 10

// Extractor finds Hex packages in mix.lock. It implements extract.Extractor.
type Extractor struct{}

var _ extract.Extractor = Extractor{}

// New returns a Mix lockfile extractor.
func New() Extractor { return Extractor{} }

// Name returns "lang/elixir".
func (Extractor) Name() string { return "lang/elixir" }

// Version returns 1.
func (Extractor) Version() int { return 1 }

// Wants reports whether path is a mix.lock.
func (Extractor) Wants(p string, mode fs.FileMode) bool {
	return !mode.IsDir() && path.Base(p) == "mix.lock"
}

var (
	// entry is one dependency: its key, then a tuple whose first element
	// says where it comes from.
	entry = regexp.MustCompile(`^\s*"([^"]+)"\s*:\s*\{\s*:(\w+)\s*,(.*)$`)
	// hexTuple is the rest of a :hex tuple: package name (an atom,
	// possibly quoted) and version.
	hexTuple = regexp.MustCompile(`^\s*:"?([A-Za-z0-9_.-]+)"?\s*,\s*"([^"]*)"`)
	// hexDep names a dependency inside the tuple's requirement list.
	hexDep = regexp.MustCompile(`\bhex:\s*:"?([A-Za-z0-9_.-]+)"?`)
)

// Extract parses a mix.lock.
func (Extractor) Extract(ctx context.Context, in extract.Input) ([]inventory.Package, error) {
	if len(in.Content) > maxSize {
		return nil, fmt.Errorf("mix.lock: larger than %d bytes", maxSize)
	}
	var (
		out  []inventory.Package
		deps [][]string
		errs []error
	)
	for n, line := range strings.Split(string(in.Content), "\n") {
		m := entry.FindStringSubmatch(line)
		if m == nil || m[2] != "hex" {
			continue
		}
		t := hexTuple.FindStringSubmatch(m[3])
		var err error
		var p inventory.Package
		if t == nil {
			err = fmt.Errorf("line %d: %q: want {:hex, :name, \"version\", ...}", n+1, m[1])
		} else {
			p, err = newPackage(t[1], t[2])
		}
		if err != nil {
			if len(errs) < maxErrors {
				errs = append(errs, fmt.Errorf("mix.lock: %w", err))
			}
			continue
		}
		var ds []string
		for _, d := range hexDep.FindAllStringSubmatch(m[3][len(t[0]):], -1) {
			ds = append(ds, d[1])
		}
		out = append(out, p)
		deps = append(deps, ds)
	}
	byName := map[string]string{}
	for _, p := range out {
		byName[p.Name] = p.PURL
	}
	for i := range out {
		var us []string
		for _, d := range deps[i] {
			if u, ok := byName[d]; ok {
				us = append(us, u)
			}
		}
		slices.Sort(us)
		out[i].DependsOn = slices.Compact(us)
	}
	return out, errors.Join(errs...)
}

func newPackage(name, version string) (inventory.Package, error) {
	switch {
	case len(name) > 200:
		return inventory.Package{}, fmt.Errorf("invalid package name %q", name[:40]+"...")
	case version == "":
		return inventory.Package{}, fmt.Errorf("package %s without a version", name)
	case len(version) > 200 || strings.ContainsAny(version, " \t\r\n"):
		return inventory.Package{}, fmt.Errorf("package %s: invalid version %q", name, version)
	}
	return inventory.Package{
		Name:      name,
		Version:   version,
		Type:      packageurl.TypeHex,
		Ecosystem: Ecosystem,
		PURL:      packageurl.NewPackageURL(packageurl.TypeHex, "", name, version, nil, "").ToString(),
	}, nil
}
