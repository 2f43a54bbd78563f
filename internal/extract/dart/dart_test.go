package dart

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/extract"
)

type short struct {
	Name, Version, Ecosystem, PURL string
	Meta                           Metadata
}

func extractString(t *testing.T, in string) ([]short, error) {
	t.Helper()
	pkgs, err := Extractor{}.Extract(t.Context(), extract.Input{Path: "app/pubspec.lock", Content: []byte(in)})
	var got []short
	for _, p := range pkgs {
		if p.Type != "pub" {
			t.Errorf("%s: Type %q", p.Name, p.Type)
		}
		got = append(got, short{p.Name, p.Version, p.Ecosystem, p.PURL, p.Metadata.(Metadata)})
	}
	return got, err
}

func TestExtract(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "pubspec.lock"))
	if err != nil {
		t.Fatal(err)
	}
	if !(Extractor{}).Wants("app/pubspec.lock", 0) || (Extractor{}).Wants("app/pubspec.yaml", 0) {
		t.Fatal("Wants: want pubspec.lock only")
	}
	got, err := extractString(t, string(b))
	if err != nil {
		t.Fatal(err)
	}
	want := []short{
		{"http", "0.13.2", "Pub", "pkg:pub/http@0.13.2", Metadata{Source: "hosted", Dependency: "direct main"}},
		{"shelf", "1.3.1", "Pub", "pkg:pub/shelf@1.3.1", Metadata{Source: "hosted", Dependency: "transitive"}},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
}

func TestExtractSources(t *testing.T) {
	in := `packages:
  flutter:
    dependency: "direct main"
    description: flutter
    source: sdk
    version: "0.0.0"
  mylib:
    dependency: "direct main"
    description:
      path: "../mylib"
      relative: true
    source: path
    version: "1.0.0"
  broken:
    dependency: transitive
    description:
      name: broken
      url: "https://pub.example"
    source: hosted
    version: ""
`
	got, err := extractString(t, in)
	want := []short{{"mylib", "1.0.0", "", "pkg:pub/mylib@1.0.0", Metadata{Source: "path", Dependency: "direct main"}}}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	if err == nil || !strings.Contains(err.Error(), "broken without a version") {
		t.Errorf("error = %v, want broken without a version", err)
	}
	if _, err := extractString(t, "packages: [unclosed"); err == nil || !strings.HasPrefix(err.Error(), "pubspec.lock: ") {
		t.Errorf("bad YAML: error = %v, want a pubspec.lock error", err)
	}
}

func FuzzExtract(f *testing.F) {
	b, err := os.ReadFile(filepath.Join("testdata", "pubspec.lock"))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(b)
	f.Fuzz(func(t *testing.T, b []byte) {
		Extractor{}.Extract(t.Context(), extract.Input{Path: "pubspec.lock", Content: b})
	})
}
