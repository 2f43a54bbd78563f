// Package depcheck keeps the folder tree honest: data flows one way, and a
// stage never depends on a sibling stage, directly or through another
// package (see STYLE.md, "The folder tree is the architecture"). The rules
// of customs are in its test; Check applies rules to any import graph.
package depcheck

import (
	"errors"
	"fmt"
	"go/build"
	"io/fs"
	"path/filepath"
	"slices"
	"sort"
	"strings"
)

// Rank orders packages in the direction data flows: a package may depend
// on packages of a lower rank, on its own stage, and on leaves.
type Rank int

const (
	// Leaf packages import nothing internal; every package may use them.
	Leaf Rank = iota
	// Model packages hold data and pure logic; they may use each other.
	Model
	// Stage packages do one step of the flow; they may use models only.
	Stage
	// Pipeline packages call stages in order.
	Pipeline
	// FrontEnd packages turn user input into pipeline calls.
	FrontEnd
)

var rankNames = [...]string{"leaf", "model", "stage", "pipeline", "front end"}

func (r Rank) String() string {
	if r < 0 || int(r) >= len(rankNames) {
		return fmt.Sprintf("Rank(%d)", int(r))
	}
	return rankNames[r]
}

// A Rule says what the packages it covers are and may import. Rules are
// keyed by a package path relative to the tree's root ("match"), or by a
// directory and "/*" ("extract/*"): every package below it, each
// directory directly below it being one unit of its own (extract/rpm and
// extract/rpm/rpmdb are one unit, extract/apk another). A package takes
// the most specific rule that covers it.
type Rule struct {
	Rank Rank
	// Stage names the stage the packages belong to; empty means the
	// rule's key. Packages of one stage may depend on each other through
	// each other's imports (extract/dpkg on extract), but import only what
	// their Imports allow (extract/dpkg not extract/apk).
	Stage string
	// Imports are what the packages may import directly, besides leaves
	// and their own unit: package paths, or "dir/*" for any package below
	// dir.
	Imports []string
}

// A Waiver lets one package import one other package against the rules:
// an existing violation, listed narrowly until it is fixed. A waiver that
// matches no import is itself an error, so it goes when the import goes.
type Waiver struct {
	From, To string
	Why      string
}

// Graph maps each package (its path relative to the tree's root) to the
// packages of the tree its non-test files import, sorted.
type Graph map[string][]string

// Load reads the import graph of the packages under root, whose import
// path is prefix. Test files, testdata and directories starting with "."
// or "_" are left out; build constraints are those of the running
// platform.
func Load(root, prefix string) (Graph, error) {
	g := Graph{}
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if !d.IsDir() {
			return nil
		}
		if n := d.Name(); path != root && (n == "testdata" || strings.HasPrefix(n, ".") || strings.HasPrefix(n, "_")) {
			return filepath.SkipDir
		}
		p, err := build.Default.ImportDir(path, 0)
		if err != nil {
			var none *build.NoGoError
			if errors.As(err, &none) {
				return nil
			}
			return fmt.Errorf("load %s: %w", path, err)
		}
		rel, err := filepath.Rel(root, path)
		if err != nil {
			return err
		}
		pkg := filepath.ToSlash(rel)
		imps := []string{}
		for _, imp := range p.Imports {
			if to, ok := strings.CutPrefix(imp, prefix+"/"); ok {
				imps = append(imps, to)
			}
		}
		sort.Strings(imps)
		g[pkg] = imps
		return nil
	})
	if err != nil {
		return nil, err
	}
	return g, nil
}

// placed is a package with the rule that covers it.
type placed struct {
	key  string // of the rule
	unit string
	Rule
}

// place returns the rule of pkg, and the unit pkg belongs to.
func place(rules map[string]Rule, pkg string) (placed, bool) {
	if r, ok := rules[pkg]; ok {
		return placed{pkg, pkg, stageOf(r, pkg)}, true
	}
	best := ""
	for k := range rules {
		dir, ok := strings.CutSuffix(k, "/*")
		if ok && strings.HasPrefix(pkg, dir+"/") && len(dir) > len(best) {
			best = dir
		}
	}
	if best == "" {
		return placed{}, false
	}
	first, _, _ := strings.Cut(strings.TrimPrefix(pkg, best+"/"), "/")
	key := best + "/*"
	return placed{key, best + "/" + first, stageOf(rules[key], key)}, true
}

func stageOf(r Rule, key string) Rule {
	if r.Stage == "" {
		r.Stage = key
	}
	return r
}

// matches reports whether pkg is one of patterns.
func matches(patterns []string, pkg string) bool {
	for _, p := range patterns {
		if dir, ok := strings.CutSuffix(p, "/*"); ok && strings.HasPrefix(pkg, dir+"/") || p == pkg {
			return true
		}
	}
	return false
}

// Check returns the violations of rules and waivers in g, sorted:
//   - a package no rule covers;
//   - an import its rule does not allow and no waiver lets through;
//   - a dependency, through imports the rules allow, on a package of a
//     higher rank or of a sibling stage (a model importing a stage, which
//     every user of the model then depends on);
//   - a waiver no import uses, and a rule that covers no package.
//
// Waived and disallowed imports are not followed: the package they lead
// to is checked on its own, and the disallowed import is reported once.
func Check(g Graph, rules map[string]Rule, waivers []Waiver) []error {
	var errs []string
	pkgs := make([]string, 0, len(g))
	for p := range g {
		pkgs = append(pkgs, p)
	}
	sort.Strings(pkgs)
	where := map[string]placed{}
	usedRules := map[string]bool{}
	for _, p := range pkgs {
		pl, ok := place(rules, p)
		if !ok {
			errs = append(errs, fmt.Sprintf("%s: no dependency rule covers it; add one", p))
			continue
		}
		where[p] = pl
		usedRules[pl.key] = true
	}
	waived := map[[2]string]bool{}
	for _, w := range waivers {
		waived[[2]string{w.From, w.To}] = true
	}
	usedWaivers := map[[2]string]bool{}
	// follow[p] are the imports of p the rules allow.
	follow := map[string][]string{}
	for _, p := range pkgs {
		from, ok := where[p]
		if !ok {
			continue
		}
		for _, imp := range g[p] {
			to, ok := where[imp]
			switch {
			case waived[[2]string{p, imp}]:
				usedWaivers[[2]string{p, imp}] = true
			case !ok:
				// reported as a package without a rule
			case to.Rank == Leaf || to.unit == from.unit || matches(from.Imports, imp):
				follow[p] = append(follow[p], imp)
			case to.Stage == from.Stage:
				errs = append(errs, fmt.Sprintf("%s imports %s: %s may not import its sibling %s (%s %s, rule %s)", p, imp, from.unit, to.unit, from.Rank, from.Stage, from.key))
			default:
				errs = append(errs, fmt.Sprintf("%s imports %s: the %s %s may not import the %s %s", p, imp, from.Rank, from.Stage, to.Rank, to.Stage))
			}
		}
	}
	for _, p := range pkgs {
		from, ok := where[p]
		if !ok {
			continue
		}
		for _, dep := range reach(follow, p) {
			to := where[dep[len(dep)-1]]
			if to.Stage == from.Stage || to.Rank == Leaf || to.Rank < from.Rank || to.Rank == Model && from.Rank == Model {
				continue
			}
			errs = append(errs, fmt.Sprintf("%s depends on %s (%s): the %s %s may not depend on the %s %s",
				p, dep[len(dep)-1], strings.Join(dep, " -> "), from.Rank, from.Stage, to.Rank, to.Stage))
		}
	}
	for _, w := range waivers {
		if !usedWaivers[[2]string{w.From, w.To}] {
			errs = append(errs, fmt.Sprintf("waiver %s -> %s: no such import; remove the waiver", w.From, w.To))
		}
	}
	for k := range rules {
		if !usedRules[k] {
			errs = append(errs, fmt.Sprintf("rule %s: covers no package; remove it", k))
		}
	}
	sort.Strings(errs)
	out := make([]error, len(errs))
	for i, e := range errs {
		out[i] = errors.New(e)
	}
	return out
}

// reach returns, for every package p depends on through follow, one
// shortest import path from p to it (p first), sorted by the package.
func reach(follow map[string][]string, p string) [][]string {
	parent := map[string]string{p: ""}
	queue := []string{p}
	var found []string
	for len(queue) > 0 {
		q := queue[0]
		queue = queue[1:]
		for _, imp := range follow[q] {
			if _, seen := parent[imp]; seen {
				continue
			}
			parent[imp] = q
			queue = append(queue, imp)
			found = append(found, imp)
		}
	}
	sort.Strings(found)
	paths := make([][]string, len(found))
	for i, f := range found {
		var path []string
		for q := f; q != ""; q = parent[q] {
			path = append(path, q)
		}
		slices.Reverse(path)
		paths[i] = path
	}
	return paths
}
