package python

import (
	"context"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/inventory"
)

func extractFile(t *testing.T, fsys fstest.MapFS, path string) ([]inventory.Package, error) {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(path)))
	if err != nil {
		t.Fatal(err)
	}
	return Extractor{}.Extract(context.Background(), extract.Input{Path: path, Content: b, FS: fsys})
}

// short is a package without Metadata and Ecosystem/Type (checked apart).
type short struct {
	Name, Version, PURL, SourceName string
	Licenses, DependsOn             []string
	Meta                            Metadata
}

func shorten(t *testing.T, pkgs []inventory.Package) []short {
	t.Helper()
	var out []short
	for _, p := range pkgs {
		if p.Type != "pypi" || p.Ecosystem != "PyPI" {
			t.Errorf("%s: Type %q Ecosystem %q, want pypi PyPI", p.Name, p.Type, p.Ecosystem)
		}
		out = append(out, short{p.Name, p.Version, p.PURL, p.SourceName, p.Licenses, p.DependsOn, p.Metadata.(Metadata)})
	}
	return out
}

// siteFS loads testdata/site into a MapFS rooted like an image.
func siteFS(t *testing.T) fstest.MapFS {
	t.Helper()
	m := fstest.MapFS{}
	root := filepath.Join("testdata", "site")
	err := filepath.Walk(root, func(p string, info os.FileInfo, err error) error {
		if err != nil || info.IsDir() {
			return err
		}
		b, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel("testdata", p)
		m[filepath.ToSlash(rel)] = &fstest.MapFile{Data: b}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return m
}

func TestInstalled(t *testing.T) {
	inst := Metadata{Source: "installed"}
	site := siteFS(t)
	tests := []struct {
		path string
		want []short
	}{
		{"site/dist-packages/requests-2.28.1.egg-info/PKG-INFO", []short{{
			Name: "requests", Version: "2.28.1", PURL: "pkg:pypi/requests@2.28.1", Licenses: []string{"Apache 2.0"}, Meta: inst}}},
		{"site/dist-packages/chardet-5.1.0.dist-info/METADATA", []short{{
			Name: "chardet", Version: "5.1.0", PURL: "pkg:pypi/chardet@5.1.0", Licenses: []string{"LGPL"}, Meta: inst}}},
		{"site/dist-packages/six-1.16.0.egg-info/PKG-INFO", []short{{
			Name: "six", Version: "1.16.0", PURL: "pkg:pypi/six@1.16.0", Licenses: []string{"MIT"}, Meta: inst}}},
		{"site/dist-packages/demo-1.0.dist-info/METADATA", []short{{
			Name: "Demo_Pkg", Version: "1.0", PURL: "pkg:pypi/demo-pkg@1.0", SourceName: "demo-pkg",
			Licenses:  []string{"Apache-2.0 OR MIT"},
			DependsOn: []string{"pkg:pypi/certifi@2022.9.24", "pkg:pypi/chardet@5.1.0", "pkg:pypi/six@1.16.0"}, Meta: inst}}},
		{"egg-file/six-1.16.0-py3.11.egg-info", []short{{
			Name: "six", Version: "1.16.0", PURL: "pkg:pypi/six@1.16.0", Licenses: []string{"MIT"}, Meta: inst}}},
		{"metadata/asyncssh-2.14.2.METADATA", nil}, // not a wanted path; see TestMetadataFiles
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			got, err := extractFile(t, site, tc.path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, shorten(t, got), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

// TestMetadataFiles reads trivy's METADATA fixtures as if installed.
func TestMetadataFiles(t *testing.T) {
	tests := []struct {
		file string
		want short
	}{
		{"asyncssh-2.14.2.METADATA", short{Name: "asyncssh", Version: "2.14.2", PURL: "pkg:pypi/asyncssh@2.14.2", Licenses: []string{"Eclipse Public License v2.0"}}},
		{"iniconfig-2.0.0.METADATA", short{Name: "iniconfig", Version: "2.0.0", PURL: "pkg:pypi/iniconfig@2.0.0", Licenses: []string{"MIT"}}},
		{"networkx-3.0.METADATA", short{Name: "networkx", Version: "3.0", PURL: "pkg:pypi/networkx@3.0"}},
		{"distlib-0.3.1.METADATA", short{Name: "distlib", Version: "0.3.1", PURL: "pkg:pypi/distlib@0.3.1", Licenses: []string{"Python license"}}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			b, err := os.ReadFile(filepath.Join("testdata", "metadata", tc.file))
			if err != nil {
				t.Fatal(err)
			}
			p := "usr/lib/python3.11/site-packages/x-1.dist-info/METADATA"
			got, err := Extractor{}.Extract(context.Background(), extract.Input{Path: p, Content: b, FS: fstest.MapFS{}})
			if err != nil {
				t.Fatal(err)
			}
			tc.want.Meta = Metadata{Source: "installed"}
			if diff := cmp.Diff([]short{tc.want}, shorten(t, got), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestLockfiles(t *testing.T) {
	req := Metadata{Source: "requirements"}
	tests := []struct {
		path string
		want []short
	}{
		{"lock/requirements.txt", []short{
			{Name: "click", Version: "8.0.0", PURL: "pkg:pypi/click@8.0.0", Meta: req},
			{Name: "Flask", Version: "2.0.0", PURL: "pkg:pypi/flask@2.0.0", SourceName: "flask", Meta: req},
			{Name: "itsdangerous", Version: "2.0.0", PURL: "pkg:pypi/itsdangerous@2.0.0", Meta: req},
			{Name: "Jinja2", Version: "3.0.0", PURL: "pkg:pypi/jinja2@3.0.0", SourceName: "jinja2", Meta: req},
			{Name: "Werkzeug", Version: "0.11", PURL: "pkg:pypi/werkzeug@0.11", SourceName: "werkzeug", Meta: req},
			{Name: "oauth2-client", Version: "4.0.0", PURL: "pkg:pypi/oauth2-client@4.0.0", Meta: req},
			{Name: "python-gitlab", Version: "2.0.0", PURL: "pkg:pypi/python-gitlab@2.0.0", Meta: req},
		}},
		{"lock/requirements-edge.txt", []short{
			{Name: "requests", Version: "2.31.0", PURL: "pkg:pypi/requests@2.31.0", Meta: req},
			{Name: "urllib3", Version: "1.26.18", PURL: "pkg:pypi/urllib3@1.26.18", Meta: req},
			{Name: "zope.interface", Version: "6.0", PURL: "pkg:pypi/zope-interface@6.0", SourceName: "zope-interface", Meta: req},
			{Name: "Flask_Login", Version: "0.6.2", PURL: "pkg:pypi/flask-login@0.6.2", SourceName: "flask-login", Meta: req},
		}},
		{"lock/Pipfile.lock", []short{
			{Name: "werkzeug", Version: "0.11.1", PURL: "pkg:pypi/werkzeug@0.11.1", Meta: Metadata{Source: "pipenv"}},
		}},
		{"lock/poetry.lock", []short{
			{Name: "click", Version: "8.1.3", PURL: "pkg:pypi/click@8.1.3", DependsOn: []string{"pkg:pypi/colorama@0.4.6"}, Meta: Metadata{Source: "poetry"}},
			{Name: "colorama", Version: "0.4.6", PURL: "pkg:pypi/colorama@0.4.6", Meta: Metadata{Source: "poetry"}},
			{Name: "werkzeug", Version: "0.14", PURL: "pkg:pypi/werkzeug@0.14", Meta: Metadata{Source: "poetry"}},
		}},
		{"lock/uv.lock", []short{
			{Name: "click", Version: "8.1.3", PURL: "pkg:pypi/click@8.1.3", DependsOn: []string{"pkg:pypi/colorama@0.4.6"}, Meta: Metadata{Source: "uv"}},
			{Name: "colorama", Version: "0.4.6", PURL: "pkg:pypi/colorama@0.4.6", Meta: Metadata{Source: "uv"}},
			{Name: "werkzeug", Version: "0.11.1", PURL: "pkg:pypi/werkzeug@0.11.1", Meta: Metadata{Source: "uv"}},
		}},
		{"lock/pylock.toml", []short{
			{Name: "click", Version: "8.1.3", PURL: "pkg:pypi/click@8.1.3", DependsOn: []string{"pkg:pypi/colorama@0.4.6"}, Meta: Metadata{Source: "pylock"}},
			{Name: "colorama", Version: "0.4.6", PURL: "pkg:pypi/colorama@0.4.6", Meta: Metadata{Source: "pylock"}},
			{Name: "werkzeug", Version: "0.11.1", PURL: "pkg:pypi/werkzeug@0.11.1", Meta: Metadata{Source: "pylock"}},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			got, err := extractFile(t, nil, tc.path)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tc.want, shorten(t, got), cmpopts.EquateEmpty()); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestWants(t *testing.T) {
	tests := map[string]bool{
		"usr/lib/python3/dist-packages/requests-2.28.1.egg-info/PKG-INFO":     true,
		"usr/lib/python3/dist-packages/requests-2.28.1.egg-info/requires.txt": true,
		"usr/lib/python3/dist-packages/chardet-5.1.0.dist-info/METADATA":      true,
		"usr/lib/python3/dist-packages/chardet-5.1.0.dist-info/RECORD":        false,
		"usr/lib/python3.11/site-packages/six-1.16.0-py3.11.egg-info":         true,
		"usr/lib/python3.11/site-packages/x.egg/EGG-INFO/PKG-INFO":            true,
		"app/requirements.txt":                    true,
		"app/requirements-dev.txt":                true,
		"app/poetry.lock":                         true,
		"app/Pipfile.lock":                        true,
		"app/uv.lock":                             true,
		"app/pylock.toml":                         true,
		"app/pyproject.toml":                      false,
		"usr/share/doc/python3-requests/METADATA": false,
	}
	for p, want := range tests {
		if got := (Extractor{}).Wants(p, 0); got != want {
			t.Errorf("Wants(%q) = %v, want %v", p, got, want)
		}
	}
}

func TestBadInput(t *testing.T) {
	tests := []struct {
		path, content string
	}{
		{"a-1.dist-info/METADATA", "Name: a\n"},
		{"a-1.dist-info/METADATA", "garbage without colon\n"},
		{"a-1.dist-info/METADATA", "Name: bad name!\nVersion: 1\n"},
		{"poetry.lock", "[[package]\nname="},
		{"Pipfile.lock", "{"},
		{"uv.lock", "[[package]]\nname = \"x\"\n"},
		{"requirements.txt", "bad$name==1.0\n"},
	}
	for _, tc := range tests {
		t.Run(tc.path+" "+tc.content, func(t *testing.T) {
			_, err := Extractor{}.Extract(context.Background(), extract.Input{Path: tc.path, Content: []byte(tc.content)})
			if err == nil {
				t.Errorf("want error")
			}
		})
	}
}

// pep503 is PEP 503's own definition, re.sub(r"[-_.]+", "-", name).lower().
var pep503 = regexp.MustCompile(`[-_.]+`)

func TestNormalize(t *testing.T) {
	for in, want := range map[string]string{
		"Flask": "flask", "zope.interface": "zope-interface", "A__b-.-C": "a-b-c", "ruamel.yaml.clib": "ruamel-yaml-clib",
		"a--b": "a-b", "a-b": "a-b", "-a_": "-a-", "": "", "._-": "-", "ÄÖ.Ü": "äö-ü",
	} {
		if got := Normalize(in); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", in, got, want)
		}
		if re := pep503.ReplaceAllString(strings.ToLower(in), "-"); re != want {
			t.Errorf("regexp normalizes %q to %q, want %q", in, re, want)
		}
	}
}

func FuzzNormalize(f *testing.F) {
	for _, s := range []string{"Flask", "A__b-.-C", "-a_", "a--b"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if got, want := Normalize(s), pep503.ReplaceAllString(strings.ToLower(s), "-"); got != want {
			t.Errorf("Normalize(%q) = %q, want %q", s, got, want)
		}
	})
}

func FuzzExtract(f *testing.F) {
	paths := []string{"x-1.dist-info/METADATA", "requirements.txt", "poetry.lock", "Pipfile.lock", "uv.lock", "pylock.toml"}
	for _, p := range []string{
		"site/dist-packages/demo-1.0.dist-info/METADATA", "lock/requirements-edge.txt", "lock/poetry.lock",
		"lock/Pipfile.lock", "lock/uv.lock", "lock/pylock.toml",
	} {
		b, err := os.ReadFile(filepath.Join("testdata", filepath.FromSlash(p)))
		if err != nil {
			f.Fatal(err)
		}
		for i := range paths {
			f.Add(uint8(i), b)
		}
	}
	f.Fuzz(func(t *testing.T, which uint8, b []byte) {
		p := paths[int(which)%len(paths)]
		pkgs, _ := Extractor{}.Extract(context.Background(), extract.Input{Path: p, Content: b, FS: fstest.MapFS{}})
		for _, pkg := range pkgs {
			if pkg.Name == "" || pkg.Version == "" || pkg.PURL == "" {
				t.Errorf("incomplete package %+v", pkg)
			}
		}
	})
}
