package python

import (
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"sort"
	"strings"

	"github.com/BurntSushi/toml"

	"github.com/customs-scanner/customs/internal/inventory"
)

// lockBuilder collects lockfile packages and resolves dependency names to
// the versions the same lockfile pins.
type lockBuilder struct {
	pkgs []inventory.Package
	deps [][]string // dependency names per package
	errs []error
	bad  int
}

func (l *lockBuilder) add(name, version string, meta Metadata, deps []string) {
	p, err := newPackage(name, version, meta)
	if err != nil {
		l.bad++
		if len(l.errs) < maxErrors {
			l.errs = append(l.errs, err)
		}
		return
	}
	l.pkgs = append(l.pkgs, p)
	l.deps = append(l.deps, deps)
}

// finish sets DependsOn: a dependency resolves when exactly one version of
// it is locked.
func (l *lockBuilder) finish() ([]inventory.Package, error) {
	versions := map[string][]string{}
	for _, p := range l.pkgs {
		n := Normalize(p.Name)
		versions[n] = append(versions[n], p.PURL)
	}
	for n, v := range versions {
		slices.Sort(v)
		versions[n] = slices.Compact(v)
	}
	for i := range l.pkgs {
		var out []string
		for _, d := range l.deps[i] {
			if v := versions[Normalize(d)]; len(v) == 1 {
				out = append(out, v[0])
			}
		}
		slices.Sort(out)
		l.pkgs[i].DependsOn = slices.Compact(out)
	}
	if l.bad > len(l.errs) {
		l.errs = append(l.errs, fmt.Errorf("%d more bad packages", l.bad-len(l.errs)))
	}
	return l.pkgs, errors.Join(l.errs...)
}

// poetry reads poetry.lock: [[package]] tables with name, version,
// category (lock format 1) or groups, and [package.dependencies].
func poetry(b []byte) ([]inventory.Package, error) {
	var lock struct {
		Package []struct {
			Name         string         `toml:"name"`
			Version      string         `toml:"version"`
			Category     string         `toml:"category"`
			Groups       []string       `toml:"groups"`
			Dependencies map[string]any `toml:"dependencies"`
		} `toml:"package"`
	}
	if err := toml.Unmarshal(b, &lock); err != nil {
		return nil, fmt.Errorf("decode toml: %w", err)
	}
	var l lockBuilder
	for _, p := range lock.Package {
		deps := make([]string, 0, len(p.Dependencies))
		for d := range p.Dependencies {
			deps = append(deps, d)
		}
		sort.Strings(deps)
		l.add(p.Name, p.Version, Metadata{Source: "poetry", Dev: p.Category == "dev", Groups: p.Groups}, deps)
	}
	return l.finish()
}

// pipenv reads Pipfile.lock: "default" and "develop" maps of name to
// {"version": "==x"}.
func pipenv(b []byte) ([]inventory.Package, error) {
	var lock struct {
		Default map[string]struct {
			Version string `json:"version"`
		} `json:"default"`
		Develop map[string]struct {
			Version string `json:"version"`
		} `json:"develop"`
	}
	if err := json.Unmarshal(b, &lock); err != nil {
		return nil, fmt.Errorf("decode json: %w", err)
	}
	var l lockBuilder
	for _, sec := range []struct {
		m map[string]struct {
			Version string `json:"version"`
		}
		dev bool
	}{{lock.Default, false}, {lock.Develop, true}} {
		names := make([]string, 0, len(sec.m))
		for n := range sec.m {
			names = append(names, n)
		}
		sort.Strings(names)
		for _, n := range names {
			v := sec.m[n].Version
			if !strings.HasPrefix(v, "==") {
				continue // a VCS or path dependency
			}
			l.add(n, strings.TrimPrefix(strings.TrimPrefix(v, "=="), "="), Metadata{Source: "pipenv", Dev: sec.dev}, nil)
		}
	}
	return l.finish()
}

// uv reads uv.lock: [[package]] tables with name, version, source and
// dependencies = [{name = ...}]. Local projects (source virtual, editable
// or directory) are skipped.
func uv(b []byte) ([]inventory.Package, error) {
	type dep struct {
		Name string `toml:"name"`
	}
	var lock struct {
		Package []struct {
			Name         string         `toml:"name"`
			Version      string         `toml:"version"`
			Source       map[string]any `toml:"source"`
			Dependencies []dep          `toml:"dependencies"`
		} `toml:"package"`
	}
	if err := toml.Unmarshal(b, &lock); err != nil {
		return nil, fmt.Errorf("decode toml: %w", err)
	}
	var l lockBuilder
	for _, p := range lock.Package {
		if _, ok := p.Source["virtual"]; ok {
			continue
		}
		if _, ok := p.Source["editable"]; ok {
			continue
		}
		if _, ok := p.Source["directory"]; ok {
			continue
		}
		var deps []string
		for _, d := range p.Dependencies {
			deps = append(deps, d.Name)
		}
		l.add(p.Name, p.Version, Metadata{Source: "uv"}, deps)
	}
	return l.finish()
}

// pylock reads a PEP 751 pylock.toml: [[packages]] with name, version and
// dependencies = [{name = ...}].
func pylock(b []byte) ([]inventory.Package, error) {
	var lock struct {
		Packages []struct {
			Name         string `toml:"name"`
			Version      string `toml:"version"`
			Dependencies []struct {
				Name string `toml:"name"`
			} `toml:"dependencies"`
		} `toml:"packages"`
	}
	if err := toml.Unmarshal(b, &lock); err != nil {
		return nil, fmt.Errorf("decode toml: %w", err)
	}
	var l lockBuilder
	for _, p := range lock.Packages {
		if p.Version == "" {
			continue // a VCS, directory or archive package without a version
		}
		var deps []string
		for _, d := range p.Dependencies {
			deps = append(deps, d.Name)
		}
		l.add(p.Name, p.Version, Metadata{Source: "pylock"}, deps)
	}
	return l.finish()
}
