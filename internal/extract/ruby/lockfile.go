package ruby

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strings"

	"github.com/customs-scanner/customs/internal/inventory"
)

// lockfile parses a Bundler lockfile (bundler/lib/bundler/lockfile_parser.rb):
// sections GEM, GIT and PATH hold "  specs:" followed by gems indented by
// four spaces, "name (version[-platform])", and their dependencies indented
// by six, "name (requirement)".
func lockfile(ctx context.Context, b []byte) ([]inventory.Package, error) {
	var (
		pkgs    []inventory.Package
		deps    [][]string
		errs    []error
		section string
		inSpecs bool
	)
	lines := strings.Split(string(b), "\n")
	for i, line := range lines {
		if i%1024 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		line = strings.TrimRight(line, "\r")
		if strings.TrimSpace(line) == "" {
			continue
		}
		indent := len(line) - len(strings.TrimLeft(line, " "))
		switch {
		case indent == 0:
			section = strings.TrimSpace(line)
			inSpecs = false
			continue
		case indent == 2:
			inSpecs = strings.TrimSpace(line) == "specs:"
			continue
		}
		if !inSpecs || (section != "GEM" && section != "GIT" && section != "PATH") {
			continue
		}
		name, ver, ok := nameVersion(strings.TrimSpace(line))
		switch indent {
		case 4:
			if !ok || ver == "" {
				if len(errs) < maxErrors {
					errs = append(errs, fmt.Errorf("line %d: want \"name (version)\", got %q", i+1, trunc(strings.TrimSpace(line))))
				}
				continue
			}
			version, platform, _ := strings.Cut(ver, "-")
			p, err := newPackage(name, version, Metadata{Source: section, Platform: platform})
			if err != nil {
				if len(errs) < maxErrors {
					errs = append(errs, fmt.Errorf("line %d: %w", i+1, err))
				}
				continue
			}
			pkgs = append(pkgs, p)
			deps = append(deps, nil)
		case 6:
			if ok && len(pkgs) > 0 {
				deps[len(deps)-1] = append(deps[len(deps)-1], name)
			}
		}
	}
	// A dependency resolves to the locked gem of that name; with several
	// platform variants of one gem, to all of them.
	byName := map[string][]string{}
	for _, p := range pkgs {
		byName[p.Name] = append(byName[p.Name], p.PURL)
	}
	for i := range pkgs {
		var out []string
		for _, d := range deps[i] {
			out = append(out, byName[d]...)
		}
		slices.Sort(out)
		pkgs[i].DependsOn = slices.Compact(out)
	}
	return pkgs, errors.Join(errs...)
}

// nameVersion splits "name (version)" or "name"; a trailing "!" (a gem
// pinned to a source) is ignored.
func nameVersion(s string) (name, ver string, ok bool) {
	s = strings.TrimSuffix(s, "!")
	name, rest, found := strings.Cut(s, " ")
	if !found {
		return name, "", name != ""
	}
	rest = strings.TrimSpace(rest)
	if !strings.HasPrefix(rest, "(") || !strings.HasSuffix(rest, ")") {
		return "", "", false
	}
	return name, rest[1 : len(rest)-1], name != ""
}
