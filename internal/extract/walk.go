package extract

import (
	"context"
	"fmt"
	"io/fs"
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
	Errors   []inventory.FileError
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
func Run(ctx context.Context, layers []*layerfs.Layer, infos []LayerInfo, exts []Extractor) (*Result, error) {
	if len(infos) != len(layers) {
		return nil, fmt.Errorf("extract: %d layers but %d layer infos", len(layers), len(infos))
	}
	res := &Result{}
	final := layerfs.Merge(layers)
	osInfo, err := osrelease.Detect(final)
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
		var view fs.FS
		for _, p := range paths {
			for _, e := range exts {
				if !e.Wants(p, 0) {
					continue
				}
				if view == nil {
					view = layerfs.Merge(layers[:i+1])
				}
				pkgs, err := e.Extract(ctx, Input{Path: p, Content: l.Files[p], FS: view, OS: res.OS})
				if err != nil {
					res.Errors = append(res.Errors, inventory.FileError{Path: p, Layer: infos[i].DiffID, Err: fmt.Sprintf("%s: %v", e.Name(), err)})
				}
				if len(pkgs) == 0 {
					continue
				}
				okey := e.Name() + "\x00" + p
				prev := origins[okey]
				cur := make(map[string]int, len(pkgs))
				survives := false
				if o, ok := final.Origin(p); ok && o == i {
					survives = true
				}
				for _, pkg := range pkgs {
					k := pkgKey(pkg)
					origin, ok := prev[k]
					if !ok {
						origin = i
					}
					cur[k] = origin
					if survives {
						pkg.Locations = []inventory.Location{{Path: p, Layer: infos[i].DiffID}}
						pkg.Layer = infos[origin].DiffID
						pkg.CreatedBy = infos[origin].CreatedBy
						pkg.SetID()
						res.Packages = append(res.Packages, pkg)
					}
				}
				origins[okey] = cur
			}
		}
	}
	inventory.Sort(res.Packages)
	return res, nil
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
