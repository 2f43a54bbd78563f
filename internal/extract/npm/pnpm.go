package npm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/customs-scanner/customs/internal/inventory"
)

// pnpmLockfile is pnpm-lock.yaml
// (https://github.com/pnpm/spec/blob/master/lockfile). Package keys differ
// by version: "/name/1.0.0_peer@2.0.0" (5.x), "/name@1.0.0(peer@2.0.0)"
// (6.x), "name@1.0.0" with dependencies moved to "snapshots" keyed
// "name@1.0.0(peer@2.0.0)" (9.x).
type pnpmLockfile struct {
	LockfileVersion any                      `yaml:"lockfileVersion"`
	Importers       map[string]pnpmImporter  `yaml:"importers"`
	Packages        map[string]*pnpmPackage  `yaml:"packages"`
	Snapshots       map[string]*pnpmSnapshot `yaml:"snapshots"`
}

type pnpmImporter struct {
	Dependencies         map[string]pnpmImported `yaml:"dependencies"`
	OptionalDependencies map[string]pnpmImported `yaml:"optionalDependencies"`
	DevDependencies      map[string]pnpmImported `yaml:"devDependencies"`
}

// pnpmImported is an importer's dependency: "1.0.0" (5.x) or
// {specifier, version} (6.x and later).
type pnpmImported struct{ Version string }

func (p *pnpmImported) UnmarshalYAML(n *yaml.Node) error {
	if n.Kind == yaml.ScalarNode {
		p.Version = n.Value
		return nil
	}
	var v struct {
		Version string `yaml:"version"`
	}
	if err := n.Decode(&v); err != nil {
		return err
	}
	p.Version = v.Version
	return nil
}

type pnpmPackage struct {
	Name                 string            `yaml:"name"`
	Version              string            `yaml:"version"`
	Resolution           map[string]string `yaml:"resolution"`
	Dev                  bool              `yaml:"dev"`
	Optional             bool              `yaml:"optional"`
	Dependencies         map[string]string `yaml:"dependencies"`
	OptionalDependencies map[string]string `yaml:"optionalDependencies"`
}

type pnpmSnapshot struct {
	Dependencies         map[string]string `yaml:"dependencies"`
	OptionalDependencies map[string]string `yaml:"optionalDependencies"`
}

// maxPnpmDocuments bounds the YAML documents read from one lockfile (pnpm
// 10 writes its config dependencies as a first document).
const maxPnpmDocuments = 4

// parsePnpmLock reads pnpm-lock.yaml.
func parsePnpmLock(ctx context.Context, content []byte) ([]inventory.Package, error) {
	lf := pnpmLockfile{
		Importers: map[string]pnpmImporter{},
		Packages:  map[string]*pnpmPackage{},
		Snapshots: map[string]*pnpmSnapshot{},
	}
	dec := yaml.NewDecoder(bytes.NewReader(content))
	for i := 0; i < maxPnpmDocuments; i++ {
		var doc pnpmLockfile
		err := dec.Decode(&doc)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, fmt.Errorf("parse pnpm-lock.yaml: %w", err)
		}
		if doc.LockfileVersion != nil {
			lf.LockfileVersion = doc.LockfileVersion
		}
		for k, v := range doc.Importers {
			lf.Importers[k] = v
		}
		for k, v := range doc.Packages {
			lf.Packages[k] = v
		}
		for k, v := range doc.Snapshots {
			lf.Snapshots[k] = v
		}
	}
	if err := ctx.Err(); err != nil {
		return nil, err
	}
	major, err := pnpmMajor(lf.LockfileVersion)
	if err != nil {
		return nil, err
	}
	r := pnpmResolver{lf: &lf, major: major}
	c := newCollector()
	if major >= 9 {
		prod := r.reachable()
		for _, key := range slices.Sorted(maps.Keys(lf.Packages)) {
			p := lf.Packages[key]
			name, version, ok := r.info(key)
			if !ok || p == nil {
				continue
			}
			nd := node{name: name, version: version, meta: Metadata{
				Dev: prod != nil && !prod[key], Integrity: p.Resolution["integrity"], Resolved: p.Resolution["tarball"],
			}}
			c.add(nd)
		}
		for _, key := range slices.Sorted(maps.Keys(lf.Snapshots)) {
			s := lf.Snapshots[key]
			name, version, ok := r.info(key)
			if !ok || s == nil {
				continue
			}
			nd := node{name: name, version: version, meta: Metadata{Dev: prod != nil && !prod[stripPeers(key)]}}
			nd.deps = r.deps(c, s.Dependencies, s.OptionalDependencies)
			c.add(nd)
		}
		return c.packages(), nil
	}
	// In key order: the first entry of a package gives its metadata.
	for _, key := range slices.Sorted(maps.Keys(lf.Packages)) {
		p := lf.Packages[key]
		name, version, ok := r.info(key)
		if !ok {
			continue
		}
		nd := node{name: name, version: version, meta: Metadata{
			Dev: p.Dev, Optional: p.Optional, Integrity: p.Resolution["integrity"], Resolved: p.Resolution["tarball"],
		}}
		nd.deps = r.deps(c, p.Dependencies, p.OptionalDependencies)
		c.add(nd)
	}
	return c.packages(), nil
}

// pnpmMajor returns the major lockfile version ("5.4", 5.4, '6.0', '9.0').
func pnpmMajor(v any) (int, error) {
	s := strings.TrimSpace(fmt.Sprint(v))
	if v == nil || s == "" {
		return 0, errors.New("parse pnpm-lock.yaml: no lockfileVersion")
	}
	s, _, _ = strings.Cut(s, ".")
	n, err := strconv.Atoi(s)
	if err != nil || n < 1 {
		return 0, fmt.Errorf("parse pnpm-lock.yaml: lockfileVersion %q", fmt.Sprint(v))
	}
	return n, nil
}

type pnpmResolver struct {
	lf    *pnpmLockfile
	major int
}

// stripPeers drops the peer suffix of a 6.x/9.x key: "a@1.0.0(b@2)" -> "a@1.0.0".
func stripPeers(key string) string {
	if i := strings.IndexByte(key, '('); i > 0 {
		return key[:i]
	}
	return key
}

// info returns the name and version of the package at key (a packages or,
// for 9.x, a snapshots key).
func (r pnpmResolver) info(key string) (name, version string, ok bool) {
	var p *pnpmPackage
	if r.major >= 9 {
		p = r.lf.Packages[stripPeers(key)]
	} else {
		p = r.lf.Packages[key]
	}
	if p == nil {
		return "", "", false // a dependency that is not installed (an unmet peer)
	}
	k := strings.TrimPrefix(key, "/")
	if r.major >= 6 {
		name, version = splitSpec(stripPeers(k))
	} else {
		// name/1.0.0_peer or @scope/name/1.0.0_peer
		slash := strings.IndexByte(k, '/')
		if strings.HasPrefix(k, "@") && slash >= 0 {
			if j := strings.IndexByte(k[slash+1:], '/'); j >= 0 {
				slash += j + 1
			} else {
				slash = -1
			}
		}
		if slash > 0 {
			name, version = k[:slash], k[slash+1:]
			version, _, _ = strings.Cut(version, "_")
		}
	}
	if p.Name != "" {
		name = p.Name
	}
	if p.Version != "" {
		version = p.Version // tarball and git dependencies
	}
	if version == "" || version[0] < '0' || version[0] > '9' || !validName(name) {
		return "", "", false // local directories (file:, link:) and unversioned URLs
	}
	return name, version, true
}

// ref turns a dependency (name and the version the lockfile gives it) into
// the key of its entry.
func (r pnpmResolver) ref(dep, val string) string {
	switch {
	case r.major >= 9:
		if val != "" && (val[0] < '0' || val[0] > '9') && !strings.Contains(val, ":") {
			return val // an alias: "real-name@1.0.0"
		}
		return dep + "@" + val
	case strings.HasPrefix(val, "/"):
		return val
	case r.major >= 6:
		return "/" + dep + "@" + val
	}
	return "/" + dep + "/" + val
}

func (r pnpmResolver) deps(c *collector, maps ...map[string]string) []string {
	var out []string
	for _, m := range maps {
		for dep, val := range m {
			if name, version, ok := r.info(r.ref(dep, val)); ok {
				out = append(out, c.purl(name, version))
			}
		}
	}
	return out
}

// maxPnpmWalk bounds the graph walk of reachable.
const maxPnpmWalk = 1 << 20

// reachable returns the package keys (without peer suffixes) that the
// importers' dependencies and optional dependencies need: 9.x lockfiles do
// not mark dev packages, so the packages outside this set are dev. It
// returns nil when the lockfile has no importers.
func (r pnpmResolver) reachable() map[string]bool {
	if len(r.lf.Importers) == 0 {
		return nil
	}
	seen := map[string]bool{}
	var stack []string
	for _, imp := range r.lf.Importers {
		for _, m := range []map[string]pnpmImported{imp.Dependencies, imp.OptionalDependencies} {
			for dep, v := range m {
				stack = append(stack, r.ref(dep, v.Version))
			}
		}
	}
	visited := map[string]bool{}
	for steps := 0; len(stack) > 0 && steps < maxPnpmWalk; steps++ {
		key := stack[len(stack)-1]
		stack = stack[:len(stack)-1]
		if visited[key] {
			continue
		}
		visited[key] = true
		seen[stripPeers(key)] = true
		if s := r.lf.Snapshots[key]; s != nil {
			for _, m := range []map[string]string{s.Dependencies, s.OptionalDependencies} {
				for dep, val := range m {
					stack = append(stack, r.ref(dep, val))
				}
			}
		}
	}
	return seen
}
