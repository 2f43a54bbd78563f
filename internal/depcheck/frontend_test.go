package depcheck

import (
	"fmt"
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// frontEndUses are the only names the front end (internal/cli) may use of
// the stages its rule lets it import. It loads documents and runs the
// pipelines; what suppresses a finding and what fails a scan is decided
// by scan.Run (scan.Judge), so a server calls the same code. match is not
// imported at all (its rule does not allow it); vulndb/build, update and
// dist are pipelines the db commands run, used freely.
var frontEndUses = map[string][]string{
	// Parsing the gate's documents and severity names, and the exceptions
	// that customs vex turns into a VEX document.
	"policy": {"ParseExceptions", "ParsePolicy", "CheckFailOn", "Severity", "Exception"},
	// Parsing VEX documents, and writing them (customs vex).
	"vex": {"Parse", "Document", "ParseDecisions", "WriteOpenVEX", "Decision", "NotAffected"},
	// db status reads the DB's build information.
	"vulndb/sqlite": {"Open"},
	// --secret-config: the rules the scan's secret scanner runs.
	"audit/secrets": {"LoadRules"},
}

// frontEndViolations returns, for the non-test Go files of dir, each use
// of a name of an internal package (module/KEY) that uses limits and does
// not list.
func frontEndViolations(dir, module string, uses map[string][]string) ([]string, error) {
	files, err := filepath.Glob(filepath.Join(dir, "*.go"))
	if err != nil {
		return nil, err
	}
	var out []string
	fset := token.NewFileSet()
	for _, path := range files {
		if strings.HasSuffix(path, "_test.go") {
			continue
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return nil, err
		}
		local := map[string]string{} // import name -> KEY
		for _, imp := range f.Imports {
			p, _ := strconv.Unquote(imp.Path.Value)
			key, ok := strings.CutPrefix(p, module+"/")
			if _, limited := uses[key]; !ok || !limited {
				continue
			}
			name := key[strings.LastIndexByte(key, '/')+1:]
			if imp.Name != nil {
				name = imp.Name.Name
			}
			local[name] = key
		}
		ast.Inspect(f, func(n ast.Node) bool {
			sel, ok := n.(*ast.SelectorExpr)
			if !ok {
				return true
			}
			id, ok := sel.X.(*ast.Ident)
			if !ok || id.Obj != nil { // a local variable, not a package
				return true
			}
			key, ok := local[id.Name]
			if ok && !slices.Contains(uses[key], sel.Sel.Name) {
				out = append(out, fmt.Sprintf("%s: uses %s.%s: the front end may use only %s of %s",
					fset.Position(sel.Pos()), id.Name, sel.Sel.Name, strings.Join(uses[key], ", "), key))
			}
			return true
		})
	}
	return out, nil
}

func TestFrontEndOnlyLoads(t *testing.T) {
	for _, dir := range []string{"cli", "admission"} {
		got, err := frontEndViolations(filepath.Join("..", dir), "github.com/customs-scanner/customs/internal", frontEndUses)
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range got {
			t.Error(v)
		}
	}
}

// TestFrontEndViolations runs the rule over a front end in testdata that
// applies exceptions and a policy itself.
func TestFrontEndViolations(t *testing.T) {
	got, err := frontEndViolations(filepath.Join("testdata", "frontend"), "example.test/tree", frontEndUses)
	if err != nil {
		t.Fatal(err)
	}
	want := []string{
		"testdata/frontend/gate.go:16:2: uses pol.ApplyExceptions: the front end may use only ParseExceptions, ParsePolicy, CheckFailOn, Severity, Exception of policy",
		"testdata/frontend/gate.go:21:2: uses vex.Apply: the front end may use only Parse, Document, ParseDecisions, WriteOpenVEX, Decision, NotAffected of vex",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("violations (-want +got):\n%s", diff)
	}
}
