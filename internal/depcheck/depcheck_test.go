// Package depcheck keeps the folder tree honest: data flows one way, and a
// stage never imports a sibling stage (see STYLE.md, "The folder tree is the
// architecture").
package depcheck

import (
	"go/parser"
	"go/token"
	"io/fs"
	"path/filepath"
	"strings"
	"testing"
)

const module = "github.com/customs-scanner/customs/"

// allowed lists, for each package tree under internal/, the internal trees it
// may import besides its own. Model packages (inventory, vulndb, report,
// version) import only models, and the vulndb tree (whose update and dist
// stages write files) the leaf atomicfile.
var allowed = map[string][]string{
	"inventory":     {},
	"version":       {},
	"ecosystem":     {"inventory", "version"},
	"vulndb":        {"inventory", "version", "atomicfile"},
	"report":        {"inventory", "vulndb"},
	"image":         {"dockerengine", "suggest", "target"},
	"dockerengine":  {},
	"layerfs":       {"inventory", "atomicfile"},
	"extract":       {"inventory", "layerfs", "version", "ecosystem"},
	"match":         {"inventory", "report", "version", "vulndb"},
	"policy":        {"inventory", "report", "vulndb"},
	"audit":         {"inventory", "layerfs", "image", "report", "extract", "dockerengine"},
	"sbom":          {"inventory", "extract", "ecosystem"},
	"vex":           {"inventory", "report", "target"},
	"vulndb/feeds":  {"vulndb", "version"},
	"vulndb/sqlite": {"vulndb", "atomicfile"},
	"vulndb/build":  {"vulndb", "atomicfile"},
	"report/json":   {"report", "inventory", "vulndb"},
	"report/table":  {"report", "inventory", "vulndb"},
	"scan":          {"inventory", "vulndb", "report", "version", "image", "layerfs", "extract", "match", "audit", "target"},
	"cli":           {"inventory", "vulndb", "report", "version", "image", "scan", "match", "layerfs", "policy", "vex", "audit", "atomicfile"},
	"depcheck":      {},
	"golden":        {},
	"shareddata":    {},
	"atomicfile":    {},
	"suggest":       {},
	"target":        {},
}

// tree returns the most specific key of allowed that contains pkg.
func tree(pkg string) string {
	best := ""
	for k := range allowed {
		if (pkg == k || strings.HasPrefix(pkg, k+"/")) && len(k) > len(best) {
			best = k
		}
	}
	return best
}

func TestDependencyRules(t *testing.T) {
	root := filepath.Join("..")
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		rel, _ := filepath.Rel(root, filepath.Dir(path))
		pkg := filepath.ToSlash(rel)
		from := tree(pkg)
		if from == "" {
			t.Errorf("%s: package tree %q has no dependency rule; add it to allowed", path, pkg)
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.ImportsOnly)
		if err != nil {
			return err
		}
		for _, imp := range f.Imports {
			p := strings.Trim(imp.Path.Value, `"`)
			if !strings.HasPrefix(p, module+"internal/") {
				continue
			}
			to := strings.TrimPrefix(p, module+"internal/")
			if to == pkg || strings.HasPrefix(to, from+"/") || to == from {
				continue
			}
			ok := false
			for _, a := range allowed[from] {
				if to == a || strings.HasPrefix(to, a+"/") && tree(to) == a {
					ok = true
				}
			}
			// vulndb/build orchestrates the feeds and the store.
			if from == "vulndb/build" && (strings.HasPrefix(to, "vulndb/feeds/") || to == "vulndb/sqlite") {
				ok = true
			}
			if from == "scan" || from == "cli" {
				ok = ok || !strings.HasPrefix(to, "cli")
			}
			if !ok {
				t.Errorf("%s imports internal/%s: %s may not depend on %s", path, to, from, tree(to))
			}
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
