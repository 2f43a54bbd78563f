package ruby

import (
	"context"
	"os"
	"path/filepath"
	"testing"
	"testing/fstest"

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
		if p.Type != "gem" || p.Ecosystem != "RubyGems" {
			t.Errorf("%s: Type %q Ecosystem %q", p.Name, p.Type, p.Ecosystem)
		}
		out = append(out, short{p.Name, p.Version, p.PURL, p.Licenses, p.DependsOn, p.Metadata.(Metadata)})
	}
	return out
}

// specsFS puts testdata/specifications where Debian installs them.
func specsFS(t *testing.T) (fstest.MapFS, string) {
	t.Helper()
	const dir = "usr/share/rubygems-integration/all/specifications"
	m := fstest.MapFS{}
	ents, err := os.ReadDir(filepath.Join("testdata", "specifications"))
	if err != nil {
		t.Fatal(err)
	}
	for _, e := range ents {
		b, err := os.ReadFile(filepath.Join("testdata", "specifications", e.Name()))
		if err != nil {
			t.Fatal(err)
		}
		m[dir+"/"+e.Name()] = &fstest.MapFile{Data: b}
	}
	return m, dir
}

func TestGemspec(t *testing.T) {
	fsys, dir := specsFS(t)
	gs := Metadata{Source: "gemspec"}
	tests := []struct {
		file string
		want []short
	}{
		{"rack-2.2.22.gemspec", []short{{"rack", "2.2.22", "pkg:gem/rack@2.2.22", []string{"MIT"}, nil, gs}}},
		{"concurrent-ruby-1.1.6.gemspec", []short{{"concurrent-ruby", "1.1.6", "pkg:gem/concurrent-ruby@1.1.6", []string{"MIT"}, nil, gs}}},
		{"concurrent-ruby-edge-0.6.0.gemspec", []short{{"concurrent-ruby-edge", "0.6.0", "pkg:gem/concurrent-ruby-edge@0.6.0",
			[]string{"MIT"}, []string{"pkg:gem/concurrent-ruby@1.1.6"}, gs}}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			p := dir + "/" + tc.file
			if !(Extractor{}).Wants(p, 0) {
				t.Fatalf("Wants(%q) = false", p)
			}
			got, err := Extractor{}.Extract(context.Background(), extract.Input{Path: p, Content: fsys[p].Data, FS: fsys})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, shorten(t, got), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestGemspecForms(t *testing.T) {
	tests := []struct {
		name, src string
		want      []short
	}{
		{"Gem::Version and %q", `Gem::Specification.new do |spec|
  spec.name = %q{json}
  spec.version = Gem::Version.new("2.6.3")
  spec.license = 'Ruby'
  spec.platform = "java"
  spec.add_runtime_dependency "bigdecimal", ">= 0"
end`, []short{{"json", "2.6.3", "pkg:gem/json@2.6.3?platform=java", []string{"Ruby"}, nil, Metadata{Source: "gemspec", Platform: "java"}}}},
		{"stub only", "# stub: bundler 2.4.19 ruby lib\n", []short{{"bundler", "2.4.19", "pkg:gem/bundler@2.4.19", nil, nil, Metadata{Source: "gemspec"}}}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			got, err := Extractor{}.Extract(context.Background(), extract.Input{Path: "specifications/x.gemspec", Content: []byte(tc.src)})
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, shorten(t, got), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestGemfileLock(t *testing.T) {
	b, err := os.ReadFile(filepath.Join("testdata", "Gemfile.lock"))
	if err != nil {
		t.Fatal(err)
	}
	got, err := Extractor{}.Extract(context.Background(), extract.Input{Path: "app/Gemfile.lock", Content: b})
	if err != nil {
		t.Fatal(err)
	}
	gem := Metadata{Source: "GEM"}
	want := []short{
		{"sprockets", "4.2.1", "pkg:gem/sprockets@4.2.1", nil, []string{"pkg:gem/concurrent-ruby@1.1.10", "pkg:gem/rack@2.2.8"}, Metadata{Source: "GIT"}},
		{"myapp", "0.1.0", "pkg:gem/myapp@0.1.0", nil, []string{"pkg:gem/rack@2.2.8"}, Metadata{Source: "PATH"}},
		{"coderay", "1.1.3", "pkg:gem/coderay@1.1.3", nil, nil, gem},
		{"concurrent-ruby", "1.1.10", "pkg:gem/concurrent-ruby@1.1.10", nil, nil, gem},
		{"faker", "2.21.0", "pkg:gem/faker@2.21.0", nil, []string{"pkg:gem/i18n@1.10.0"}, gem},
		{"i18n", "1.10.0", "pkg:gem/i18n@1.10.0", nil, []string{"pkg:gem/concurrent-ruby@1.1.10"}, gem},
		{"method_source", "1.0.0", "pkg:gem/method_source@1.0.0", nil, nil, gem},
		{"mini_portile2", "2.8.4", "pkg:gem/mini_portile2@2.8.4", nil, nil, gem},
		{"nokogiri", "1.15.4", "pkg:gem/nokogiri@1.15.4", nil, []string{"pkg:gem/mini_portile2@2.8.4", "pkg:gem/racc@1.7.1"}, gem},
		{"nokogiri", "1.15.4", "pkg:gem/nokogiri@1.15.4?platform=x86_64-linux", nil, []string{"pkg:gem/racc@1.7.1"}, Metadata{Source: "GEM", Platform: "x86_64-linux"}},
		{"pry", "0.14.1", "pkg:gem/pry@0.14.1", nil, []string{"pkg:gem/coderay@1.1.3", "pkg:gem/method_source@1.0.0"}, gem},
		{"racc", "1.7.1", "pkg:gem/racc@1.7.1", nil, nil, gem},
		{"rack", "2.2.8", "pkg:gem/rack@2.2.8", nil, nil, gem},
	}
	if diff := cmp.Diff(want, shorten(t, got), cmpopts.EquateEmpty()); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

func TestBadInput(t *testing.T) {
	tests := []struct{ path, content string }{
		{"specifications/x.gemspec", "Gem::Specification.new do |s|\nend\n"},
		{"specifications/x.gemspec", "s.name = \"bad name\"\ns.version = \"1\"\n"},
		{"Gemfile.lock", "GEM\n  specs:\n    broken (\n"},
	}
	for _, tc := range tests {
		if _, err := (Extractor{}).Extract(context.Background(), extract.Input{Path: tc.path, Content: []byte(tc.content)}); err == nil {
			t.Errorf("%s %q: want error", tc.path, tc.content)
		}
	}
	for p, want := range map[string]bool{
		"usr/lib/ruby/gems/3.1.0/specifications/rake-13.0.6.gemspec": true,
		"app/Gemfile.lock": true, "app/gems.locked": true, "src/foo.gemspec": false, "app/Gemfile": false,
	} {
		if got := (Extractor{}).Wants(p, 0); got != want {
			t.Errorf("Wants(%q) = %v, want %v", p, got, want)
		}
	}
}

func FuzzExtract(f *testing.F) {
	for _, p := range []string{"Gemfile.lock", "specifications/rack-2.2.22.gemspec", "specifications/concurrent-ruby-edge-0.6.0.gemspec"} {
		b, err := os.ReadFile(filepath.Join("testdata", p))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(false, b)
		f.Add(true, b)
	}
	f.Fuzz(func(t *testing.T, lock bool, b []byte) {
		p := "specifications/x.gemspec"
		if lock {
			p = "Gemfile.lock"
		}
		pkgs, _ := Extractor{}.Extract(context.Background(), extract.Input{Path: p, Content: b, FS: fstest.MapFS{}})
		for _, pkg := range pkgs {
			if pkg.Name == "" || pkg.Version == "" || pkg.PURL == "" {
				t.Errorf("incomplete package %+v", pkg)
			}
		}
	})
}
