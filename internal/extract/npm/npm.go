// Package npm finds JavaScript packages: the lockfiles of npm
// (package-lock.json and npm-shrinkwrap.json, lockfileVersion 1 to 3), Yarn
// (yarn.lock, classic v1 and Berry) and pnpm (pnpm-lock.yaml, lockfile
// versions 5, 6 and 9), and installed packages (the package.json of every
// package directory under a node_modules directory, and Debian's
// usr/share/nodejs and usr/lib/nodejs trees).
//
// Lockfiles name the project itself too (the "" entry of package-lock.json,
// Yarn's workspace:. entry, pnpm's importers); the project is not reported,
// since it is the code being scanned rather than a dependency of it and has
// no registry identity. Workspace members that other packages depend on are
// reported (they are the targets of depends-on relationships).
package npm

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/inventory"
)

// maxFileSize bounds the lockfiles and manifests this package parses; the
// largest real lockfiles are a few tens of megabytes.
const maxFileSize = 64 << 20

// Metadata is the npm-specific part of a package.
type Metadata struct {
	// Dev is set when the lockfile says the package is only needed for
	// development (npm "dev", pnpm "dev" or reachable only from
	// devDependencies). Yarn lockfiles do not say.
	Dev bool `json:"dev,omitempty"`
	// Optional is set for optional dependencies.
	Optional bool `json:"optional,omitempty"`
	// Workspace is set for a workspace member of the project.
	Workspace bool `json:"workspace,omitempty"`
	// Resolved is where the package manager fetched the package from.
	Resolved string `json:"resolved,omitempty"`
	// Integrity is the lockfile's Subresource Integrity hash.
	Integrity string `json:"integrity,omitempty"`
	// Author is the package.json author of an installed package.
	Author string `json:"author,omitempty"`
}

// Extractor finds npm packages. It implements extract.Extractor and
// extract.Preparer.
type Extractor struct{}

var (
	_ extract.Extractor = Extractor{}
	_ extract.Preparer  = Extractor{}
)

// New returns an npm extractor.
func New() Extractor { return Extractor{} }

// Name returns "lang/npm".
func (Extractor) Name() string { return "lang/npm" }

// Version returns 1.
func (Extractor) Version() int { return 1 }

// kind is the format of a wanted file.
type kind int

const (
	none kind = iota
	packageLock
	yarnLock
	pnpmLock
	packageJSON
)

// kindOf classifies path (root-relative, no leading slash).
func kindOf(p string) kind {
	// Lockfiles inside node_modules belong to published packages, not to
	// what is installed.
	inNodeModules := func() bool {
		return strings.HasPrefix(p, "node_modules/") || strings.Contains(p, "/node_modules/")
	}
	switch path.Base(p) {
	case "package-lock.json", "npm-shrinkwrap.json":
		if !inNodeModules() {
			return packageLock
		}
	case "yarn.lock":
		if !inNodeModules() {
			return yarnLock
		}
	case "pnpm-lock.yaml":
		if !inNodeModules() {
			return pnpmLock
		}
	case "package.json":
		if isInstalledManifest(p) {
			return packageJSON
		}
	}
	return none
}

// isInstalledManifest reports whether p is the package.json of a package
// directory: node_modules/<name>/package.json or
// node_modules/@scope/<name>/package.json at any depth, or the same below
// Debian's usr/share/nodejs and usr/lib/nodejs (and their per-architecture
// usr/lib/<triplet>/nodejs). Other package.json files under a package (test
// fixtures, examples, "type": "module" markers in dist/) are not packages.
func isInstalledManifest(p string) bool {
	dir := path.Dir(p) // .../node_modules/name or .../node_modules/@scope/name
	parent, name := path.Split(dir)
	if name == "" || name[0] == '.' || name[0] == '@' {
		return false
	}
	parent = strings.TrimSuffix(parent, "/")
	if s := path.Base(parent); strings.HasPrefix(s, "@") && len(s) > 1 {
		parent = path.Dir(parent)
	}
	if parent == "node_modules" || strings.HasSuffix(parent, "/node_modules") {
		return nestedInstall(p)
	}
	switch parent {
	case "usr/share/nodejs", "usr/lib/nodejs":
		return true
	}
	return strings.HasPrefix(parent, "usr/lib/") && strings.HasSuffix(parent, "/nodejs") &&
		strings.Count(parent, "/") == 3
}

// nestedInstall reports whether every node_modules directory of p below
// the first is inside an installed package (node_modules/a/node_modules/b,
// node_modules/@s/a/node_modules/b, pnpm's node_modules/.pnpm/a@1/node_modules/a),
// so node_modules trees inside a package's test fixtures are not taken
// for installed packages.
func nestedInstall(p string) bool {
	segs := strings.Split(p, "/")
	prev := -1
	for i, s := range segs {
		if s != "node_modules" {
			continue
		}
		if prev >= 0 {
			mid := segs[prev+1 : i]
			switch {
			case len(mid) == 1 && mid[0] != "" && mid[0][0] != '.' && mid[0][0] != '@':
			case len(mid) == 2 && (strings.HasPrefix(mid[0], "@") || mid[0] == ".pnpm"):
			default:
				return false
			}
		}
		prev = i
	}
	return true
}

// Wants reports whether path is a lockfile outside node_modules or the
// package.json of an installed package.
func (Extractor) Wants(p string, mode fs.FileMode) bool {
	return !mode.IsDir() && kindOf(p) != none
}

// Prepare keeps only the fields of an installed package.json that Extract
// reads (node_modules trees hold thousands of them) and drops manifests
// without a name or version. Lockfiles are kept as they are.
func (Extractor) Prepare(p string, content []byte) ([]byte, error) {
	if kindOf(p) != packageJSON {
		return content, nil
	}
	return compactManifest(content)
}

// Extract parses one wanted file.
func (Extractor) Extract(ctx context.Context, in extract.Input) ([]inventory.Package, error) {
	if len(in.Content) > maxFileSize {
		return nil, fmt.Errorf("larger than %d bytes", maxFileSize)
	}
	switch kindOf(in.Path) {
	case packageLock:
		return parsePackageLock(ctx, in.Content)
	case yarnLock:
		return parseYarnLock(ctx, in.Content)
	case pnpmLock:
		return parsePnpmLock(ctx, in.Content)
	case packageJSON:
		p, ok, err := parseManifest(in.Content)
		if err != nil || !ok {
			return nil, err
		}
		return []inventory.Package{p}, nil
	}
	return nil, nil
}

// purl returns pkg:npm/%40scope/name@version.
func purl(name, version string) string {
	ns, n := "", name
	if strings.HasPrefix(name, "@") {
		if i := strings.IndexByte(name, '/'); i > 0 {
			ns, n = name[:i], name[i+1:]
		}
	}
	return packageurl.NewPackageURL(packageurl.TypeNPM, ns, n, version, nil, "").ToString()
}

// validName reports whether name can be an npm package name: non-empty,
// and "@scope/name" when scoped. The registry's rules are stricter; this
// only keeps garbage out of PURLs.
func validName(name string) bool {
	if name == "" || len(name) > 214 || strings.ContainsAny(name, " \t\r\n") {
		return false
	}
	if strings.HasPrefix(name, "@") {
		scope, n, ok := strings.Cut(name[1:], "/")
		return ok && scope != "" && n != "" && !strings.Contains(n, "/")
	}
	return !strings.Contains(name, "/")
}

// node is one package found in a lockfile while the file is read.
type node struct {
	name, version string
	meta          Metadata
	licenses      []string
	// deps are the PURLs of the dependencies, resolved.
	deps []string
}

// collector de-duplicates lockfile packages by name@version: a package
// installed at several places in the tree is reported once, with the union
// of its dependencies, and is dev only if every copy is.
type collector struct {
	byPURL map[string]int
	pkgs   []inventory.Package
	metas  []Metadata
	deps   []map[string]bool
	purls  map[string]string // name@version -> PURL, as building one is not cheap
}

func newCollector() *collector {
	return &collector{byPURL: map[string]int{}, purls: map[string]string{}}
}

// purl is purl(name, version), memoised.
func (c *collector) purl(name, version string) string {
	k := name + "@" + version
	if p, ok := c.purls[k]; ok {
		return p
	}
	p := purl(name, version)
	c.purls[k] = p
	return p
}

func (c *collector) add(n node) {
	if !validName(n.name) || n.version == "" || strings.ContainsAny(n.version, ":/ ") {
		return // git and tarball URLs in place of a version name no release
	}
	id := c.purl(n.name, n.version)
	i, ok := c.byPURL[id]
	if !ok {
		i = len(c.pkgs)
		c.byPURL[id] = i
		c.pkgs = append(c.pkgs, inventory.Package{
			Name: n.name, Version: n.version, Type: "npm", Ecosystem: "npm", PURL: id,
		})
		c.pkgs[i].Licenses = n.licenses
		c.metas = append(c.metas, n.meta)
		c.deps = append(c.deps, map[string]bool{})
	} else {
		m := &c.metas[i]
		m.Dev = m.Dev && n.meta.Dev
		m.Optional = m.Optional && n.meta.Optional
	}
	for _, d := range n.deps {
		if d != id {
			c.deps[i][d] = true
		}
	}
}

func (c *collector) packages() []inventory.Package {
	out := make([]inventory.Package, len(c.pkgs))
	for i, p := range c.pkgs {
		if len(c.deps[i]) > 0 {
			p.DependsOn = make([]string, 0, len(c.deps[i]))
			for d := range c.deps[i] {
				p.DependsOn = append(p.DependsOn, d)
			}
			sort.Strings(p.DependsOn)
		}
		if c.metas[i] != (Metadata{}) {
			p.Metadata = c.metas[i]
		}
		out[i] = p
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return out[i].Version < out[j].Version
	})
	return out
}
