package drift

import (
	"os"
	"path/filepath"
	"reflect"
	"strings"
	"testing"
)

// TestSchemaDocumented: every field of the drift document's JSON is named
// in docs/drift.md (its JSON section), so the documented schema is the
// one written.
func TestSchemaDocumented(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "drift.md"))
	if err != nil {
		t.Fatal(err)
	}
	doc := string(b)
	if i := strings.Index(doc, "## The JSON document"); i >= 0 {
		doc = doc[i:]
	} else {
		t.Fatal("docs/drift.md has no JSON section")
	}
	for _, v := range []any{Document{}, Report{}, Target{}, Against{}, File{}, ImageFile{}, Owner{}, PackageDrift{}, Package{}, PackageChange{}, Item{}, Summary{}, FileCounts{}} {
		typ := reflect.TypeOf(v)
		for f := range typ.Fields() {
			name, _, _ := strings.Cut(f.Tag.Get("json"), ",")
			if name == "" || name == "-" {
				continue
			}
			if !strings.Contains(doc, "`"+name+"`") && !strings.Contains(doc, "."+name+"`") && !strings.Contains(doc, `"`+name+`"`) &&
				!strings.Contains(doc, "{"+name+",") && !strings.Contains(doc, " "+name+",") && !strings.Contains(doc, " "+name+"}") {
				t.Errorf("%s.%s (%q) is not in docs/drift.md's JSON section", typ.Name(), f.Name, name)
			}
		}
	}
}
