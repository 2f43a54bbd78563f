package php

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/inventory"
)

type short struct {
	Name, Version, PURL string
	Licenses, DependsOn []string
	Meta                Metadata
}

func shorten(t *testing.T, pkgs []inventory.Package) []short {
	t.Helper()
	var out []short
	for _, p := range pkgs {
		if p.Type != "composer" || p.Ecosystem != "Packagist" {
			t.Errorf("%s: Type %q Ecosystem %q", p.Name, p.Type, p.Ecosystem)
		}
		out = append(out, short{p.Name, p.Version, p.PURL, p.Licenses, p.DependsOn, p.Metadata.(Metadata)})
	}
	return out
}

func TestExtract(t *testing.T) {
	mit := []string{"MIT"}
	inst := Metadata{Source: "installed.json"}
	tests := []struct {
		file, path string
		want       []short
	}{
		{"composer.lock", "app/composer.lock", []short{
			{"guzzlehttp/guzzle", "7.4.4", "pkg:composer/guzzlehttp/guzzle@7.4.4", mit, []string{"pkg:composer/guzzlehttp/psr7@1.8.3"}, Metadata{Source: "composer.lock"}},
			{"guzzlehttp/psr7", "1.8.3", "pkg:composer/guzzlehttp/psr7@1.8.3", mit, nil, Metadata{Source: "composer.lock"}},
		}},
		{"installed-v2.json", "app/vendor/composer/installed.json", []short{
			{"guzzlehttp/psr7", "1.8.3", "pkg:composer/guzzlehttp/psr7@1.8.3", mit,
				[]string{"pkg:composer/psr/http-message@1.1", "pkg:composer/ralouphie/getallheaders@3.0.3"}, inst},
			{"psr/http-message", "1.1", "pkg:composer/psr/http-message@1.1", mit, nil, inst},
			{"ralouphie/getallheaders", "3.0.3", "pkg:composer/ralouphie/getallheaders@3.0.3", mit, nil, inst},
		}},
		{"installed-v1.json", "vendor/composer/installed.json", []short{
			{"guzzlehttp/psr7", "1.8.3", "pkg:composer/guzzlehttp/psr7@1.8.3", mit, []string{"pkg:composer/psr/http-message@1.1"}, inst},
			{"psr/http-message", "1.1", "pkg:composer/psr/http-message@1.1", mit, nil, inst},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			if !(Extractor{}).Wants(tc.path, 0) {
				t.Fatalf("Wants(%q) = false", tc.path)
			}
			b, err := os.ReadFile(filepath.Join("testdata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			got, err := Extractor{}.Extract(context.Background(), extract.Input{Path: tc.path, Content: b})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, shorten(t, got), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestDevAndForms(t *testing.T) {
	in := `{"packages":[{"name":"a/b","version":"v1.0.0","license":"BSD-3-Clause","require":{"c/d":"^2"}},
	{"name":"c/d","version":"2.0.1"}],"dev":true,"dev-package-names":["c/d"]}`
	got, err := Extractor{}.Extract(context.Background(), extract.Input{Path: "vendor/composer/installed.json", Content: []byte(in)})
	if err != nil {
		t.Fatal(err)
	}
	want := []short{
		{"a/b", "v1.0.0", "pkg:composer/a/b@v1.0.0", []string{"BSD-3-Clause"}, []string{"pkg:composer/c/d@2.0.1"}, Metadata{Source: "installed.json"}},
		{"c/d", "2.0.1", "pkg:composer/c/d@2.0.1", nil, nil, Metadata{Source: "installed.json", Dev: true}},
	}
	if diff := cmp.Diff(want, shorten(t, got), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestBadInput(t *testing.T) {
	tests := []struct{ path, content string }{
		{"composer.lock", "{"},
		{"composer.lock", `{"packages":[{"name":"novendor","version":"1"}]}`},
		{"composer.lock", `{"packages":[{"name":"a/b"}]}`},
		{"vendor/composer/installed.json", `"string"`},
		{"composer.lock", `{"packages":[{"name":"a/b","version":"1","license":7}]}`},
	}
	for _, tc := range tests {
		if _, err := (Extractor{}).Extract(context.Background(), extract.Input{Path: tc.path, Content: []byte(tc.content)}); err == nil {
			t.Errorf("%s %s: want error", tc.path, tc.content)
		}
	}
	for p, want := range map[string]bool{"composer.json": false, "x/vendor/composer/installed.php": false, "installed.json": false} {
		if got := (Extractor{}).Wants(p, 0); got != want {
			t.Errorf("Wants(%q) = %v, want %v", p, got, want)
		}
	}
}

func FuzzExtract(f *testing.F) {
	for _, n := range []string{"composer.lock", "installed-v1.json", "installed-v2.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(false, b)
		f.Add(true, b)
	}
	f.Fuzz(func(t *testing.T, lock bool, b []byte) {
		p := "vendor/composer/installed.json"
		if lock {
			p = "composer.lock"
		}
		pkgs, _ := Extractor{}.Extract(context.Background(), extract.Input{Path: p, Content: b})
		for _, pkg := range pkgs {
			if pkg.Name == "" || pkg.Version == "" || pkg.PURL == "" {
				t.Errorf("incomplete package %+v", pkg)
			}
		}
	})
}
