package extract

import (
	"context"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"sort"
	"strconv"
	"strings"

	"github.com/customs-scanner/customs/internal/extract/osrelease"
	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/layerfs"
)

// LayerInfo names one analysed layer for the inventory.
type LayerInfo struct {
	DiffID    string
	CreatedBy string
}

// Result is the inventory of an image.
type Result struct {
	OS       inventory.OS
	Packages []inventory.Package
	// Owned are language packages whose file an OS package owns (a
	// dist-info or jar that dpkg installed): they are reported as part of
	// their owner (a contains relationship) and not matched on their own,
	// unless Options.KeepOwned. Components compiled into an OS package's
	// binary (see Embedder) stay in Packages, with OwnedBy set.
	Owned         []inventory.Package
	Relationships []inventory.Relationship
	Errors        []inventory.FileError
	// FS is the image's final filesystem, for later stages (the audit).
	FS *layerfs.FS
}

// Options control Run.
type Options struct {
	// KeepOwned keeps the language packages an OS package owns (Owned) in
	// Packages too (both views), so they are matched on their own as well.
	KeepOwned bool
}

// Wants returns the combined selector for layerfs.Analyze: the files OS
// detection and any of exts need.
func Wants(exts []Extractor) func(path string, mode fs.FileMode) bool {
	return func(path string, mode fs.FileMode) bool {
		if osrelease.Wants(path) {
			return true
		}
		for _, e := range exts {
			if e.Wants(path, mode) {
				return true
			}
		}
		return false
	}
}

// Limited is implemented by extractors that ignore every file larger than
// MaxSize bytes, whatever it holds.
type Limited interface {
	MaxSize() int64
}

// WantsLarge returns the layerfs.Options.WantsLarge for exts: a file of
// size is still wanted when OS detection wants it or an extractor that
// wants it is not Limited below size. A large file only the secret scanner
// wants (a JDK's 130 MB lib/modules, a 13 MB class data archive) is then
// neither read nor reported as too large.
func WantsLarge(exts []Extractor) func(path string, mode fs.FileMode, size int64) bool {
	return func(path string, mode fs.FileMode, size int64) bool {
		if osrelease.Wants(path) {
			return true
		}
		for _, e := range exts {
			if !e.Wants(path, mode) {
				continue
			}
			if l, ok := e.(Limited); !ok || size <= l.MaxSize() {
				return true
			}
		}
		return false
	}
}

// Signature identifies the extractor set; it is part of layer cache keys so
// a new extractor version never reuses an old analysis.
func Signature(exts []Extractor) string {
	parts := make([]string, 0, len(exts)+1)
	parts = append(parts, "osrelease")
	for _, e := range exts {
		parts = append(parts, e.Name()+"@"+strconv.Itoa(e.Version()))
	}
	sort.Strings(parts)
	return strings.Join(parts, ",")
}

// Run finds the packages in layers (bottom first). Every copy of a package
// database is parsed in the view of the layer that wrote it, so each package
// is attributed to the layer that introduced its installed version; only
// the copies that survive into the final filesystem are reported.
func Run(ctx context.Context, layers []*layerfs.Layer, infos []LayerInfo, exts []Extractor, opts Options) (*Result, error) {
	if len(infos) != len(layers) {
		return nil, fmt.Errorf("extract: %d layers but %d layer infos", len(layers), len(infos))
	}
	final := layerfs.Merge(layers)
	res := &Result{FS: final}
	osInfo, err := osrelease.Detect(rawView{final})
	if err == nil {
		res.OS = osInfo
	}
	// origins[path][key] is the layer index since which the package with
	// that key has been continuously present in the database at path.
	origins := map[string]map[string]int{}
	for i, l := range layers {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		forgetDeleted(origins, l)
		for _, fe := range l.Errors {
			if fe.Layer == "" {
				fe.Layer = infos[i].DiffID
			}
			res.Errors = append(res.Errors, fe)
		}
		paths := make([]string, 0, len(l.Files))
		for p := range l.Files {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		modes := make(map[string]fs.FileMode, len(paths))
		for _, en := range l.Entries {
			if _, ok := l.Files[en.Path]; ok {
				modes[en.Path] = en.Mode
			}
		}
		var view fs.FS
		for _, p := range paths {
			for _, e := range exts {
				if !e.Wants(p, modes[p]) {
					continue
				}
				_, isPrep := e.(Preparer)
				content, ok := contentFor(e.Name(), isPrep, l.Files[p])
				if !ok {
					continue
				}
				if view == nil {
					if i == len(layers)-1 {
						view = rawView{final} // the top layer's view is the final one
					} else {
						view = &lazyView{layers: layers[:i+1]}
					}
				}
				pkgs, err := e.Extract(ctx, Input{Path: p, Content: content, FS: view, OS: res.OS})
				if err != nil {
					res.Errors = append(res.Errors, inventory.FileError{Path: p, Layer: infos[i].DiffID, Err: fmt.Sprintf("%s: %v", e.Name(), err)})
				}
				if len(pkgs) == 0 {
					continue
				}
				okey := e.Name() + "\x00" + p
				o, ok := final.Origin(p)
				var kept []inventory.Package
				origins[okey], kept = attribute(pkgs, origins[okey], i, ok && o == i, infos, e.Name(), p)
				res.Packages = append(res.Packages, kept...)
			}
		}
	}
	res.Packages = dedupe(res.Packages)
	inventory.Sort(res.Packages)
	relate(res, final, exts, opts)
	return res, nil
}

// dedupe merges the packages one extractor found twice in one project: the
// same PURL declared in a lockfile and installed below the lockfile's
// directory (node_modules, site-packages) is one package, reported at its
// installed path with the lockfile as a second location.
func dedupe(pkgs []inventory.Package) []inventory.Package {
	type key struct{ by, purl string }
	groups := map[key][]int{}
	for i, p := range pkgs {
		if p.PURL != "" && len(p.Locations) > 0 {
			k := key{p.FoundBy, p.PURL}
			groups[k] = append(groups[k], i)
		}
	}
	drop := map[int]bool{}
	for _, idx := range groups {
		if len(idx) < 2 {
			continue
		}
		for _, decl := range idx {
			dir := path.Dir(pkgs[decl].Locations[0].Path)
			for _, inst := range idx {
				if inst == decl || drop[inst] || drop[decl] {
					continue
				}
				ip := pkgs[inst].Locations[0].Path
				if dir == "." || !strings.HasPrefix(ip, dir+"/") || path.Dir(ip) == dir {
					continue
				}
				// decl (a lockfile beside the project) declares what inst
				// (deeper, installed) is.
				pkgs[inst].Locations = append(pkgs[inst].Locations, pkgs[decl].Locations...)
				pkgs[inst].DependsOn = mergeStrings(pkgs[inst].DependsOn, pkgs[decl].DependsOn)
				drop[decl] = true
			}
		}
	}
	if len(drop) == 0 {
		return pkgs
	}
	out := pkgs[:0]
	for i, p := range pkgs {
		if !drop[i] {
			out = append(out, p)
		}
	}
	return out
}

func mergeStrings(a, b []string) []string {
	for _, s := range b {
		if !slices.Contains(a, s) {
			a = append(a, s)
		}
	}
	return a
}

// relate records which OS package owns which other package's file and what
// depends on what, and sets OwnedBy on the packages found in an owned file.
// Components an Embedder says were compiled into the file stay in Packages;
// the others move to Owned, staying in Packages too only with
// opts.KeepOwned.
func relate(res *Result, final *layerfs.FS, exts []Extractor, opts Options) {
	// The files packages were found in: only these need an owner. An
	// image's OS packages own tens of thousands of files.
	found := map[string]bool{}
	for _, p := range res.Packages {
		if len(p.Files) == 0 {
			for _, l := range p.Locations {
				found[strings.SplitN(l.Path, "!", 2)[0]] = true
			}
		}
	}
	owner := map[string]int{} // file path -> index in res.Packages of the package that owns it
	dirs := map[string]string{}
	for i, p := range res.Packages {
		for _, f := range p.Files {
			f = strings.TrimPrefix(f, "/")
			if found[f] {
				owner[f] = i
			}
			// Package managers record paths as installed; with merged
			// /usr (lib -> usr/lib) the file lives elsewhere.
			c := path.Clean(f) // no copy: recorded paths are clean
			dir := path.Dir(f)
			if real := realDir(final, dir, dirs, 0); real != dir {
				c = path.Join(real, path.Base(f))
			}
			if c != f && found[c] {
				owner[c] = i
			}
		}
	}
	embedders := map[string]Embedder{}
	for _, e := range exts {
		if em, ok := e.(Embedder); ok {
			embedders[e.Name()] = em
		}
	}
	byPURL := map[string][]int{}
	for i, p := range res.Packages {
		byPURL[p.PURL] = append(byPURL[p.PURL], i)
	}
	kept := res.Packages[:0:0]
	for _, p := range res.Packages {
		own := -1
		if len(p.Files) == 0 {
			for _, l := range p.Locations {
				if o, ok := owner[strings.SplitN(l.Path, "!", 2)[0]]; ok && res.Packages[o].ID != p.ID {
					own = o
					break
				}
			}
		}
		for _, dep := range p.DependsOn {
			if to := closest(res.Packages, byPURL[dep], p); to != "" {
				res.Relationships = append(res.Relationships, inventory.Relationship{From: p.ID, To: to, Type: inventory.DependsOn})
			}
		}
		if own < 0 {
			kept = append(kept, p)
			continue
		}
		o := res.Packages[own]
		p.OwnedBy = inventory.OwnerOf(o)
		res.Relationships = append(res.Relationships, inventory.Relationship{From: o.ID, To: p.ID, Type: inventory.Contains})
		if em, ok := embedders[p.FoundBy]; ok && em.Embedded(p, o) {
			kept = append(kept, p)
			continue
		}
		res.Owned = append(res.Owned, p)
		if opts.KeepOwned {
			kept = append(kept, p)
		}
	}
	res.Packages = kept
	sort.Slice(res.Relationships, func(i, j int) bool {
		a, b := res.Relationships[i], res.Relationships[j]
		if a.From != b.From {
			return a.From < b.From
		}
		if a.To != b.To {
			return a.To < b.To
		}
		return a.Type < b.Type
	})
}

// realDir resolves the symbolic links among dir's components inside the
// image root, caching per directory.
func realDir(fsys *layerfs.FS, dir string, cache map[string]string, depth int) string {
	if dir == "." || dir == "" || dir == "/" {
		return "."
	}
	if r, ok := cache[dir]; ok {
		return r
	}
	cur := path.Join(realDir(fsys, path.Dir(dir), cache, depth), path.Base(dir))
	if depth < 16 {
		if fi, err := fsys.Lstat(cur); err == nil && fi.Mode()&fs.ModeSymlink != 0 {
			if target, err := fsys.ReadLink(cur); err == nil {
				if path.IsAbs(target) {
					target = path.Clean(strings.TrimPrefix(target, "/"))
				} else {
					target = path.Join(path.Dir(cur), target)
				}
				if !strings.HasPrefix(target, "../") && target != ".." {
					cur = realDir(fsys, target, cache, depth+1)
				}
			}
		}
	}
	cache[dir] = cur
	return cur
}

// closest picks, of the packages at idx, the one found in the same file as
// p (the same lockfile), else the first; "" when there is none.
func closest(pkgs []inventory.Package, idx []int, p inventory.Package) string {
	if len(idx) == 0 {
		return ""
	}
	for _, i := range idx {
		if len(pkgs[i].Locations) > 0 && len(p.Locations) > 0 && pkgs[i].Locations[0].Path == p.Locations[0].Path {
			return pkgs[i].ID
		}
	}
	return pkgs[idx[0]].ID
}

// attribute gives each package of one copy (layer i) of a database the
// layer since which it has been continuously present there: prev maps
// package keys to that layer for the copy below. It returns the map for
// this copy and, when this copy survives into the final filesystem, the
// packages stamped with their locations and layers.
func attribute(pkgs []inventory.Package, prev map[string]int, i int, survives bool, infos []LayerInfo, foundBy, path string) (map[string]int, []inventory.Package) {
	cur := make(map[string]int, len(pkgs))
	var out []inventory.Package
	for _, pkg := range pkgs {
		k := pkgKey(pkg)
		origin, ok := prev[k]
		if !ok {
			origin = i
		}
		cur[k] = origin
		if !survives {
			continue
		}
		pkg.FoundBy = foundBy
		if len(pkg.Locations) == 0 {
			pkg.Locations = []inventory.Location{{Path: path}}
		}
		// Extractors may name inner locations (a jar inside a war); the
		// walker adds the layer.
		for j := range pkg.Locations {
			pkg.Locations[j].Layer = infos[i].DiffID
		}
		pkg.Layer = infos[origin].DiffID
		pkg.CreatedBy = infos[origin].CreatedBy
		pkg.SetID()
		out = append(out, pkg)
	}
	return cur, out
}

// forgetDeleted drops the package history of database files that layer l
// deletes, so a package re-installed later is attributed to the later layer.
func forgetDeleted(origins map[string]map[string]int, l *layerfs.Layer) {
	if len(l.Whiteouts) == 0 && len(l.Opaque) == 0 {
		return
	}
	for okey := range origins {
		_, p, _ := strings.Cut(okey, "\x00")
		for _, w := range l.Whiteouts {
			if p == w || strings.HasPrefix(p, w+"/") {
				delete(origins, okey)
			}
		}
		for _, o := range l.Opaque {
			if strings.HasPrefix(p, o+"/") || o == "." || o == "" {
				delete(origins, okey)
			}
		}
	}
}

func pkgKey(p inventory.Package) string {
	if p.PURL != "" {
		return p.PURL
	}
	return p.Type + "/" + p.Name + "@" + p.Version + "/" + p.Arch
}
