package scan

import (
	"go/ast"
	"go/parser"
	"go/token"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
	"github.com/package-url/packageurl-go"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/sbom"
	"github.com/customs-scanner/customs/internal/vulndb/build"
	"github.com/customs-scanner/customs/internal/vulndb/feeds/friendsofphp"
	"github.com/customs-scanner/customs/internal/vulndb/feeds/nvd"
	"github.com/customs-scanner/customs/internal/vulndb/feeds/osv"
	"github.com/customs-scanner/customs/internal/vulndb/feeds/rubysec"
	"github.com/customs-scanner/customs/internal/vulndb/feeds/rustsec"
	"github.com/customs-scanner/customs/internal/vulndb/update"
)

// TestEcosystems: every default extractor describes its ecosystem, and the
// list they make is consistent (one descriptor a type, each with a version
// scheme and a namespace of its own).
func TestEcosystems(t *testing.T) {
	for _, e := range Extractors() {
		if _, ok := e.(extract.Describer); !ok {
			t.Errorf("extractor %s does not describe its ecosystem (extract.Describer)", e.Name())
		}
	}
	if err := Ecosystems().Check(); err != nil {
		t.Error(err)
	}
}

// purlTypes are the packageurl constants extractors name types with.
var purlTypes = map[string]string{
	"TypeApk": packageurl.TypeApk, "TypeCargo": packageurl.TypeCargo, "TypeComposer": packageurl.TypeComposer,
	"TypeDebian": packageurl.TypeDebian, "TypeGem": packageurl.TypeGem, "TypeGeneric": packageurl.TypeGeneric,
	"TypeGolang": packageurl.TypeGolang, "TypeHex": packageurl.TypeHex, "TypeMaven": packageurl.TypeMaven,
	"TypeNPM": packageurl.TypeNPM, "TypeNuget": packageurl.TypeNuget, "TypePub": packageurl.TypePub,
	"TypePyPi": packageurl.TypePyPi, "TypeRPM": packageurl.TypeRPM,
}

// TestExtractedTypesRegistered reads the extractors' source: every package
// type an extractor gives a package (Type: in an inventory.Package literal,
// or p.Type = ...) must be a registered ecosystem's, so that no extractor's
// packages go unmatched for want of a version scheme.
func TestExtractedTypesRegistered(t *testing.T) {
	fset := token.NewFileSet()
	found := map[string]string{} // type -> where
	err := filepath.WalkDir(filepath.Join("..", "extract"), func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == "testdata" {
			return filepath.SkipDir
		}
		if d.IsDir() || !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		value := func(e ast.Expr) {
			where := fset.Position(e.Pos()).String()
			switch v := e.(type) {
			case *ast.BasicLit:
				s, _ := strconv.Unquote(v.Value)
				found[s] = where
			case *ast.SelectorExpr:
				if x, ok := v.X.(*ast.Ident); ok && x.Name == "packageurl" {
					s, ok := purlTypes[v.Sel.Name]
					if !ok {
						t.Errorf("%s: packageurl.%s: add it to purlTypes", where, v.Sel.Name)
					}
					found[s] = where
					return
				}
				t.Errorf("%s: a package type this test cannot read; use a string or a packageurl constant", where)
			default:
				t.Errorf("%s: a package type this test cannot read; use a string or a packageurl constant", where)
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.CompositeLit:
				if sel, ok := n.Type.(*ast.SelectorExpr); !ok || sel.Sel.Name != "Package" {
					return true
				}
				for _, el := range n.Elts {
					if kv, ok := el.(*ast.KeyValueExpr); ok {
						if k, ok := kv.Key.(*ast.Ident); ok && k.Name == "Type" {
							value(kv.Value)
						}
					}
				}
			case *ast.AssignStmt:
				for i, l := range n.Lhs {
					if sel, ok := l.(*ast.SelectorExpr); ok && sel.Sel.Name == "Type" && i < len(n.Rhs) {
						value(n.Rhs[i])
					}
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) < 10 {
		t.Fatalf("found only %d package types in the extractors (%v); the test no longer reads them", len(found), found)
	}
	ecos := Ecosystems()
	for typ, where := range found {
		if _, ok := ecos.Lookup(typ); !ok {
			t.Errorf("%s: extractors emit packages of type %q, which no ecosystem declares", where, typ)
		}
	}
	for _, d := range ecos {
		if _, ok := found[d.Type]; !ok {
			t.Errorf("ecosystem %s is declared but no extractor emits it", d.Type)
		}
	}
}

// TestSBOMTypesRegistered: a component of every registered type, read from
// an SBOM, gets the namespace its extractor would have given it; a type no
// ecosystem declares is counted, and a scan warns about it.
func TestSBOMTypesRegistered(t *testing.T) {
	distro := map[string]string{"deb": "debian-12", "apk": "alpine-3.19.1", "rpm": "rocky-9.3"}
	var comps []string
	for _, d := range Ecosystems() {
		q := ""
		if v, ok := distro[d.Type]; ok {
			q = "?distro=" + v
		}
		comps = append(comps, `{"type": "library", "name": "x", "purl": "pkg:`+d.Type+`/x@1.0.0`+q+`"}`)
	}
	comps = append(comps, `{"type": "library", "name": "Alamofire", "purl": "pkg:swift/github.com/Alamofire/Alamofire@5.4.3"}`)
	bom := `{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [` + strings.Join(comps, ",") + `]}`
	doc, err := sbom.Decode([]byte(bom), Ecosystems())
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, p := range doc.Packages {
		got[p.Type] = p.Ecosystem
	}
	want := map[string]string{
		"deb": "debian:12", "apk": "alpine:3.19", "rpm": "rocky:9",
		"npm": "npm", "pypi": "PyPI", "gem": "RubyGems", "composer": "Packagist", "nuget": "NuGet", "maven": "Maven",
		"cargo": "crates.io", "hex": "Hex", "pub": "Pub", "golang": "Go",
		"generic": "", // a PURL names no NVD vendor:product: listed, not matched
		"swift":   "",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("namespaces by PURL type (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"swift": 1}, doc.Unknown); diff != "" {
		t.Errorf("unknown types (-want +got):\n%s", diff)
	}
}

// TestEcosystemFeeds: db update's default feeds are the native ones and the
// OSV export of every ecosystem, Hex's and Pub's included; the feed names
// are the ones users pass to --feeds.
func TestEcosystemFeeds(t *testing.T) {
	var defaults, optional []string
	for _, f := range update.Feeds(Ecosystems().Feeds()) {
		if f.Default {
			defaults = append(defaults, f.Name)
		} else if strings.HasPrefix(f.Name, "osv-") {
			optional = append(optional, f.Name)
		}
	}
	want := []string{"alpine", "debian", "epss", "kev", "osv-almalinux", "osv-crates-io", "osv-go", "osv-hex", "osv-maven",
		"osv-npm", "osv-nuget", "osv-packagist", "osv-pub", "osv-pypi", "osv-rocky-linux", "osv-rubygems", "osv-ubuntu"}
	if diff := cmp.Diff(want, defaults); diff != "" {
		t.Errorf("default feeds (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]string{"osv-alpine", "osv-debian"}, optional); diff != "" {
		t.Errorf("OSV feeds on request (-want +got):\n%s", diff)
	}
}

// TestFeedNamespacesClaimed: the namespaces the feed importers write
// records under are each some ecosystem's, so the DB holds no advisories
// that no package could ever be looked up in: the language feeds' own
// names, and every default OSV export as a release of it is normalised.
func TestFeedNamespacesClaimed(t *testing.T) {
	ecos := Ecosystems()
	namespaces := []string{friendsofphp.Ecosystem, rubysec.Ecosystem, rustsec.Ecosystem, nvd.Ecosystem, "debian:12", "alpine:3.19", "redhat:9"}
	for _, e := range ecos.Feeds() {
		n := osv.NormalizeEcosystem(e)
		if n != e { // a distribution's export: records name releases
			n = osv.NormalizeEcosystem(e + ":9")
		}
		namespaces = append(namespaces, n)
	}
	for _, n := range namespaces {
		if _, ok := ecos.Owner(n); !ok {
			t.Errorf("feeds write records under %q, which no ecosystem claims", n)
		}
	}
}

// TestScanHexAndPub: real Mix and pub lockfiles in an image, and the same
// packages in an SBOM, are matched against GitHub's reviewed advisories
// from the Hex and Pub exports: phoenix 1.6.13 (GHSA-p8f7-22gq-m7j9, fixed
// in 1.6.14) and http 0.13.2 (GHSA-4rgh-jx4f-qfcq, fixed in 0.13.3).
func TestScanHexAndPub(t *testing.T) {
	mix, err := os.ReadFile(filepath.Join("..", "extract", "elixir", "testdata", "mix.lock"))
	if err != nil {
		t.Fatal(err)
	}
	pub, err := os.ReadFile(filepath.Join("..", "extract", "dart", "testdata", "pubspec.lock"))
	if err != nil {
		t.Fatal(err)
	}
	l := layerTar(t, []file{
		{name: "usr/lib/os-release", body: bookwormOSRelease},
		{name: "srv/api/mix.lock", body: string(mix)},
		{name: "srv/web/pubspec.lock", body: string(pub)},
	})
	img, err := mutate.Append(empty.Image, mutate.Addendum{Layer: l, History: v1.History{CreatedBy: "COPY . /srv"}})
	if err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(t.TempDir(), "db")
	if _, err := build.Build(t.Context(), dbPath, []build.Source{{Kind: "osv", Path: filepath.Join("..", "..", "testdata", "feeds", "osv-hex-pub")}}, nil); err != nil {
		t.Fatal(err)
	}
	bom := filepath.Join(t.TempDir(), "bom.json")
	if err := os.WriteFile(bom, []byte(`{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [
		{"type": "library", "name": "phoenix", "version": "1.6.13", "purl": "pkg:hex/phoenix@1.6.13"},
		{"type": "library", "name": "http", "version": "0.13.2", "purl": "pkg:pub/http@0.13.2"},
		{"type": "library", "name": "shelf", "version": "1.3.1", "purl": "pkg:pub/shelf@1.3.1"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	type row struct{ ID, Type, Name, Version, Status, Fixed, Comparison string }
	want := []row{
		{"GHSA-4rgh-jx4f-qfcq", "pub", "http", "0.13.2", report.StatusFixAvailable, "0.13.3", "0.13.2 < 0.13.3 (pub)"},
		{"GHSA-p8f7-22gq-m7j9", "hex", "phoenix", "1.6.13", report.StatusFixAvailable, "1.6.14", "1.6.13 < 1.6.14 (hex)"},
	}
	for _, target := range []string{"docker-archive:" + writeArchive(t, img), "sbom:" + bom} {
		t.Run(strings.Split(target, ":")[0], func(t *testing.T) {
			r, err := Scan(t.Context(), target, Options{DBPath: dbPath})
			if err != nil {
				t.Fatal(err)
			}
			var got []row
			for _, f := range r.Findings {
				cmp := ""
				for _, e := range f.Evidence {
					cmp += e.Comparison
				}
				got = append(got, row{f.VulnerabilityID, f.PackageType, f.PackageName, f.PackageVersion, f.Status, f.FixedVersion, cmp})
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("findings (-want +got):\n%s", diff)
			}
			var covered []string
			for _, e := range r.Coverage.Ecosystems {
				if e.Covered {
					covered = append(covered, e.Ecosystem)
				}
			}
			if !slices.Contains(covered, "Hex") || !slices.Contains(covered, "Pub") {
				t.Errorf("coverage %+v: want Hex and Pub covered", r.Coverage)
			}
		})
	}
}

// TestScanSBOMUnknownType: a component of a type no ecosystem declares is
// listed, counted as unmatchable, and named in a warning; not dropped in
// silence.
func TestScanSBOMUnknownType(t *testing.T) {
	dbPath := filepath.Join(t.TempDir(), "db")
	if _, err := build.Build(t.Context(), dbPath, []build.Source{{Kind: "osv", Path: filepath.Join("..", "..", "testdata", "feeds", "osv-hex-pub")}}, nil); err != nil {
		t.Fatal(err)
	}
	bom := filepath.Join(t.TempDir(), "bom.json")
	if err := os.WriteFile(bom, []byte(`{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [
		{"type": "library", "name": "Alamofire", "version": "5.4.3", "purl": "pkg:swift/github.com/Alamofire/Alamofire@5.4.3"},
		{"type": "library", "name": "AFNetworking", "version": "4.0.1", "purl": "pkg:cocoapods/AFNetworking@4.0.1"}]}`), 0o644); err != nil {
		t.Fatal(err)
	}
	r, err := Scan(t.Context(), "sbom:"+bom, Options{DBPath: dbPath})
	if err != nil {
		t.Fatal(err)
	}
	if len(r.Packages) != 2 || len(r.Findings) != 0 {
		t.Errorf("%d packages, %d findings; want 2 listed, none found", len(r.Packages), len(r.Findings))
	}
	if diff := cmp.Diff(map[string]int{"cocoapods": 1, "swift": 1}, r.Coverage.Unmatchable); diff != "" {
		t.Errorf("unmatchable (-want +got):\n%s", diff)
	}
	want := []inventory.FileError{{Path: bom, Err: "2 components of package types customs has no ecosystem for were not matched: cocoapods (1), swift (1)"}}
	if diff := cmp.Diff(want, r.Warnings); diff != "" {
		t.Errorf("warnings (-want +got):\n%s", diff)
	}
}

// namedElsewhere are the places outside the ecosystems' folders that may
// name a package type or an advisory ecosystem, and why. Anything else
// that does is a second declaration of an ecosystem.
var namedElsewhere = map[string][]string{
	// The npm version scheme's name is the ecosystem's.
	"version/npm/semver.go": {"npm"},
	// The table puts OS packages in a section of their own.
	"report/table/findings.go": {"deb", "apk", "rpm"},
	// Package manager commands, not package types.
	"audit/image/check.go":       {"apk", "rpm"},
	"audit/secrets/extractor.go": {"apk", "rpm"},
	// The package managers whose file checksums drift reads, not types.
	"drift/upper.go": {"apk", "rpm"},
}

// TestEcosystemsDeclaredOnce reads the source: outside the ecosystems'
// folders (extract/*, version/*), the feed importers, which write the
// namespaces they import, and test fixtures (testdata, *test packages such
// as storetest), no code names a registered package type or
// advisory ecosystem, so that adding an ecosystem is one folder whose
// extractor describes it and one line in Extractors, and nothing else.
func TestEcosystemsDeclaredOnce(t *testing.T) {
	names := map[string]bool{}
	for _, d := range Ecosystems() {
		names[d.Type] = true
		if d.OS == nil {
			for _, e := range d.Ecosystems {
				names[e] = true
			}
		}
	}
	root := ".."
	fset := token.NewFileSet()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			switch {
			case d.Name() == "testdata", strings.HasSuffix(d.Name(), "test"), // fixtures: testdata, storetest, reporttest
				strings.HasPrefix(rel, "extract/"), strings.HasPrefix(rel, "vulndb/feeds"),
				rel == "version" || strings.HasPrefix(rel, "version/") && !strings.HasPrefix(rel, "version/npm"):
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") || strings.HasSuffix(path, "_test.go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, 0)
		if err != nil {
			return err
		}
		ast.Inspect(f, func(n ast.Node) bool {
			lit, ok := n.(*ast.BasicLit)
			if !ok || lit.Kind != token.STRING {
				return true
			}
			s, err := strconv.Unquote(lit.Value)
			if err != nil || !names[s] || slices.Contains(namedElsewhere[rel], s) {
				return true
			}
			t.Errorf("%s: names the ecosystem %q; let its descriptor (extract/*/ecosystem.go) say what is needed", fset.Position(lit.Pos()), s)
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}

// TestEcosystemsDocumented: the report schema lists every registered
// package type.
func TestEcosystemsDocumented(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("..", "..", "docs", "report-schema.md"))
	if err != nil {
		t.Fatal(err)
	}
	var row string
	for _, line := range strings.Split(string(b), "\n") {
		if strings.HasPrefix(line, "| `type` |") {
			row = line
			break
		}
	}
	if row == "" {
		t.Fatal("docs/report-schema.md has no `type` row")
	}
	for _, d := range Ecosystems() {
		if !strings.Contains(row, "`"+d.Type+"`") {
			t.Errorf("docs/report-schema.md: the type row does not list %s", d.Type)
		}
	}
}
