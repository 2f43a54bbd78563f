package dotnet

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
	DependsOn           []string
	Meta                Metadata
}

func shorten(t *testing.T, pkgs []inventory.Package) []short {
	t.Helper()
	var out []short
	for _, p := range pkgs {
		if p.Type != "nuget" || p.Ecosystem != "NuGet" {
			t.Errorf("%s: Type %q Ecosystem %q", p.Name, p.Type, p.Ecosystem)
		}
		out = append(out, short{p.Name, p.Version, p.PURL, p.DependsOn, p.Metadata.(Metadata)})
	}
	return out
}

func TestExtract(t *testing.T) {
	deps := Metadata{Source: "deps.json"}
	lock := Metadata{Source: "packages.lock.json"}
	direct := Metadata{Source: "packages.lock.json", Direct: true}
	tests := []struct {
		file, path string
		want       []short
	}{
		{"datacollector.deps.json", "app/datacollector.deps.json", []short{
			{"Newtonsoft.Json", "9.0.1", "pkg:nuget/Newtonsoft.Json@9.0.1", nil, deps},
		}},
		{"webapp.deps.json", "app/webapp.deps.json", []short{
			{"Serilog.AspNetCore", "8.0.1", "pkg:nuget/Serilog.AspNetCore@8.0.1", []string{"pkg:nuget/Serilog@3.1.1"}, deps},
			{"Serilog", "3.1.1", "pkg:nuget/Serilog@3.1.1", nil, deps},
			{"System.Text.Json", "8.0.4", "pkg:nuget/System.Text.Json@8.0.4", nil, deps},
		}},
		{"packages.lock.json", "src/packages.lock.json", []short{
			{"Newtonsoft.Json", "12.0.3", "pkg:nuget/Newtonsoft.Json@12.0.3", nil, direct},
			{"NuGet.Frameworks", "5.7.0", "pkg:nuget/NuGet.Frameworks@5.7.0", []string{"pkg:nuget/Newtonsoft.Json@12.0.3"}, direct},
		}},
		{"multi.packages.lock.json", "packages.lock.json", []short{
			{"Serilog", "2.10.0", "pkg:nuget/Serilog@2.10.0", nil, lock},
			{"Serilog.AspNetCore", "6.1.0", "pkg:nuget/Serilog.AspNetCore@6.1.0", []string{"pkg:nuget/Serilog@2.10.0"}, direct},
			{"System.Text.Json", "8.0.4", "pkg:nuget/System.Text.Json@8.0.4", nil, lock},
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

func TestBadInput(t *testing.T) {
	tests := []struct{ path, content string }{
		{"a.deps.json", "{"},
		{"a.deps.json", `{"libraries":{"NoVersion":{"type":"package"}}}`},
		{"packages.lock.json", `{"dependencies":{"net8.0":{"X":{"type":"Direct"}}}}`},
		{"packages.lock.json", `[]`},
	}
	for _, tc := range tests {
		if _, err := (Extractor{}).Extract(context.Background(), extract.Input{Path: tc.path, Content: []byte(tc.content)}); err == nil {
			t.Errorf("%s %s: want error", tc.path, tc.content)
		}
	}
	for p, want := range map[string]bool{"app/x.runtimeconfig.json": false, "x/packages.config": false, "app/x.deps.json": true} {
		if got := (Extractor{}).Wants(p, 0); got != want {
			t.Errorf("Wants(%q) = %v, want %v", p, got, want)
		}
	}
}

func FuzzExtract(f *testing.F) {
	for _, n := range []string{"datacollector.deps.json", "webapp.deps.json", "packages.lock.json", "multi.packages.lock.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", n))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(false, b)
		f.Add(true, b)
	}
	f.Fuzz(func(t *testing.T, lock bool, b []byte) {
		p := "a.deps.json"
		if lock {
			p = "packages.lock.json"
		}
		pkgs, _ := Extractor{}.Extract(context.Background(), extract.Input{Path: p, Content: b})
		for _, pkg := range pkgs {
			if pkg.Name == "" || pkg.Version == "" || pkg.PURL == "" {
				t.Errorf("incomplete package %+v", pkg)
			}
		}
	})
}
