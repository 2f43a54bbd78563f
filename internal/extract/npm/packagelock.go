package npm

import (
	"context"
	"encoding/json"
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/customs-scanner/customs/internal/inventory"
)

// lockFile is package-lock.json / npm-shrinkwrap.json
// (https://docs.npmjs.com/cli/configuring-npm/package-lock-json). Version 1
// has only the nested "dependencies" tree; version 2 has both; version 3
// only "packages", keyed by install path ("node_modules/a/node_modules/b").
type lockFile struct {
	LockfileVersion int                     `json:"lockfileVersion"`
	Packages        map[string]*lockPackage `json:"packages"`
	Dependencies    map[string]*lockDep     `json:"dependencies"`
}

type lockPackage struct {
	Name                 string            `json:"name"`
	Version              string            `json:"version"`
	Resolved             string            `json:"resolved"`
	Integrity            string            `json:"integrity"`
	License              json.RawMessage   `json:"license"`
	Dev                  bool              `json:"dev"`
	Optional             bool              `json:"optional"`
	Link                 bool              `json:"link"`
	Dependencies         map[string]string `json:"dependencies"`
	OptionalDependencies map[string]string `json:"optionalDependencies"`
	PeerDependencies     map[string]string `json:"peerDependencies"`
}

type lockDep struct {
	Version      string              `json:"version"`
	Resolved     string              `json:"resolved"`
	Integrity    string              `json:"integrity"`
	Dev          bool                `json:"dev"`
	Optional     bool                `json:"optional"`
	Requires     map[string]string   `json:"requires"`
	Dependencies map[string]*lockDep `json:"dependencies"`
}

// parsePackageLock reads an npm lockfile of any version.
func parsePackageLock(ctx context.Context, content []byte) ([]inventory.Package, error) {
	var lf lockFile
	if err := json.Unmarshal(content, &lf); err != nil {
		return nil, fmt.Errorf("parse package-lock.json: %w", err)
	}
	c := newCollector()
	if len(lf.Packages) > 0 {
		if err := packagesV2(ctx, lf.Packages, c); err != nil {
			return nil, err
		}
		return c.packages(), nil
	}
	err := dependenciesV1(ctx, lf.Dependencies, []map[string]*lockDep{lf.Dependencies}, c)
	return c.packages(), err
}

// packagesV2 reads the "packages" map of lockfile versions 2 and 3.
func packagesV2(ctx context.Context, pkgs map[string]*lockPackage, c *collector) error {
	// Workspace members (keys outside node_modules) are named by the
	// links that point at them.
	linkName := map[string]string{}
	for key, p := range pkgs {
		if p != nil && p.Link {
			linkName[p.Resolved] = nameFromPath(key)
		}
	}
	name := func(key string, p *lockPackage) string {
		if p.Name != "" {
			return p.Name
		}
		if n, ok := linkName[key]; ok {
			return n
		}
		return nameFromPath(key)
	}
	n := 0
	// In key order: the first entry of a package gives its metadata.
	for _, key := range slices.Sorted(maps.Keys(pkgs)) {
		p := pkgs[key]
		if n++; n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return err
			}
		}
		if key == "" || p == nil || p.Link || p.Version == "" {
			continue // the project itself, links (their targets are entries), broken entries
		}
		nd := node{name: name(key, p), version: p.Version, meta: Metadata{
			Dev: p.Dev, Optional: p.Optional, Resolved: p.Resolved, Integrity: p.Integrity,
			Workspace: !isInstallPath(key),
		}}
		if nd.name, nd.version = unalias(nd.name, nd.version); nd.version == "" {
			continue
		}
		for _, deps := range []map[string]string{p.Dependencies, p.OptionalDependencies, p.PeerDependencies} {
			for dep := range deps {
				target, ok := resolveV2(pkgs, key, dep)
				if !ok {
					continue // optional or peer dependency not installed
				}
				tp := pkgs[target]
				if tn, tv := unalias(name(target, tp), tp.Version); tv != "" && validName(tn) {
					nd.deps = append(nd.deps, c.purl(tn, tv))
				}
			}
		}
		if len(p.License) > 0 {
			nd.licenses = licenses(manifest{License: p.License})
		}
		c.add(nd)
	}
	return nil
}

// isInstallPath reports whether a "packages" key is inside node_modules
// (a workspace member's key is its directory, "packages/a").
func isInstallPath(key string) bool {
	return strings.HasPrefix(key, "node_modules/") || strings.Contains(key, "/node_modules/")
}

// nameFromPath returns the package name of an install path: what follows
// the last "node_modules/", or the last element of a workspace path.
func nameFromPath(key string) string {
	if i := strings.LastIndex(key, "node_modules/"); i >= 0 {
		return key[i+len("node_modules/"):]
	}
	if i := strings.LastIndexByte(key, '/'); i >= 0 {
		return key[i+1:]
	}
	return key
}

// maxLinkHops bounds chains of link entries.
const maxLinkHops = 8

// resolveV2 finds the entry that require(dep) loads from the package at
// key, as Node's module resolution does: dep in key's own node_modules,
// then in each ancestor directory's node_modules, up to the root. Link
// entries are followed to their targets.
func resolveV2(pkgs map[string]*lockPackage, key, dep string) (string, bool) {
	dir := key
	for {
		cand := "node_modules/" + dep
		if dir != "" {
			cand = dir + "/node_modules/" + dep
		}
		if p, ok := pkgs[cand]; ok && p != nil {
			for hops := 0; p.Link && hops < maxLinkHops; hops++ {
				cand = p.Resolved
				if p, ok = pkgs[cand]; !ok || p == nil {
					return "", false
				}
			}
			if p.Link || p.Version == "" {
				return "", false
			}
			return cand, true
		}
		if dir == "" {
			return "", false
		}
		if i := strings.LastIndexByte(dir, '/'); i >= 0 {
			dir = dir[:i]
		} else {
			dir = ""
		}
	}
}

// unalias turns an aliased install ("npm:real-name@1.2.3" as a version,
// lockfile v1 and yarn) into the real name and version. Versions that are
// local paths ("file:..", "link:..") give "".
func unalias(name, version string) (string, string) {
	if rest, ok := strings.CutPrefix(version, "npm:"); ok {
		if i := strings.LastIndexByte(rest, '@'); i > 0 {
			return rest[:i], rest[i+1:]
		}
		return name, rest
	}
	if strings.HasPrefix(version, "file:") || strings.HasPrefix(version, "link:") {
		return name, ""
	}
	return name, version
}

// maxDepth bounds the nesting of lockfile v1 "dependencies".
const maxDepth = 256

// dependenciesV1 reads the nested "dependencies" tree of lockfile version
// 1. scopes are the dependency maps from the root down to deps, innermost
// last: a "requires" entry resolves to the closest one that has it, as
// node_modules resolution would.
func dependenciesV1(ctx context.Context, deps map[string]*lockDep, scopes []map[string]*lockDep, c *collector) error {
	if len(scopes) > maxDepth {
		return fmt.Errorf("parse package-lock.json: dependencies nested deeper than %d", maxDepth)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	// In name order: the first entry of a package gives its metadata.
	for _, name := range slices.Sorted(maps.Keys(deps)) {
		d := deps[name]
		if d == nil {
			continue
		}
		inner := scopes
		if len(d.Dependencies) > 0 {
			inner = append(scopes[:len(scopes):len(scopes)], d.Dependencies)
		}
		n, v := unalias(name, d.Version)
		nd := node{name: n, version: v, meta: Metadata{
			Dev: d.Dev, Optional: d.Optional, Resolved: d.Resolved, Integrity: d.Integrity,
		}}
		for req := range d.Requires {
			for i := len(inner) - 1; i >= 0; i-- {
				if t, ok := inner[i][req]; ok && t != nil {
					if tn, tv := unalias(req, t.Version); tv != "" && validName(tn) {
						nd.deps = append(nd.deps, c.purl(tn, tv))
					}
					break
				}
			}
		}
		if v != "" {
			c.add(nd)
		}
		if len(d.Dependencies) > 0 {
			if err := dependenciesV1(ctx, d.Dependencies, inner, c); err != nil {
				return err
			}
		}
	}
	return nil
}
