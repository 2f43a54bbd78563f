package sbom_test

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/sbom"
	"github.com/customs-scanner/customs/internal/scan"
)

type row struct{ Type, Name, Version, Ecosystem, Source, SourceVersion string }

func rows(d *sbom.Document) map[string]row {
	out := map[string]row{}
	for _, p := range d.Packages {
		out[p.Name] = row{p.Type, p.Name, p.Version, p.Ecosystem, p.SourceName, p.SourceVersion}
	}
	return out
}

func TestDecodeTrivySBOMs(t *testing.T) {
	openssl := row{"rpm", "openssl-libs", "1:1.0.2k-16.el7", "redhat:7", "openssl", "1:1.0.2k-16.el7"}
	for _, name := range []string{"centos-7-cyclonedx.json", "centos-7-spdx.json", "centos-7-spdx.txt", "centos-7-cyclonedx.intoto.jsonl"} {
		t.Run(name, func(t *testing.T) {
			d, err := sbom.Load(filepath.Join("testdata", name), scan.Ecosystems())
			if err != nil {
				t.Fatal(err)
			}
			if d.OS.Family != "centos" || d.OS.Version != "7.6.1810" {
				t.Errorf("OS = %+v", d.OS)
			}
			got := rows(d)
			want := openssl
			if strings.HasPrefix(name, "centos-7-spdx") {
				// Trivy's SPDX names the source as the binary package.
				want.Source = "openssl-libs"
			}
			if diff := cmp.Diff(want, got["openssl-libs"]); diff != "" {
				t.Errorf("openssl-libs (-want +got):\n%s", diff)
			}
			if len(d.Packages) != 2 {
				t.Errorf("packages = %d, want 2", len(d.Packages))
			}
			for _, p := range d.Packages {
				if p.ID == "" || len(p.Locations) != 1 {
					t.Errorf("%s: id %q locations %v", p.Name, p.ID, p.Locations)
				}
			}
		})
	}
}

func TestDecodeLanguagePackages(t *testing.T) {
	d, err := sbom.Load(filepath.Join("testdata", "fluentd-multiple-lockfiles-cyclonedx.json"), scan.Ecosystems())
	if err != nil {
		t.Fatal(err)
	}
	ecos := map[string]int{}
	for _, p := range d.Packages {
		ecos[p.Ecosystem]++
	}
	if ecos["RubyGems"] == 0 {
		t.Errorf("ecosystems = %v, want RubyGems packages", ecos)
	}
}

func TestDecodeBadInput(t *testing.T) {
	for name, in := range map[string]string{
		"not json":     "hello",
		"other json":   `{"kind": "Pod"}`,
		"broken cdx":   `{"bomFormat": "CycloneDX", "components": 3}`,
		"empty object": `{}`,
	} {
		t.Run(name, func(t *testing.T) {
			if _, err := sbom.Decode([]byte(in), scan.Ecosystems()); err == nil {
				t.Error("Decode succeeded")
			}
		})
	}
	if _, err := sbom.Load(filepath.Join(t.TempDir(), "missing.json"), scan.Ecosystems()); err == nil {
		t.Error("Load of a missing file succeeded")
	}
}

func FuzzDecode(f *testing.F) {
	for _, name := range []string{"centos-7-cyclonedx.json", "centos-7-spdx.json"} {
		b, err := os.ReadFile(filepath.Join("testdata", name))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		sbom.Decode(b, scan.Ecosystems())
	})
}

// TestDecodeByDescriptor: each PURL is read by its type's descriptor: the
// namespace joins the name as the extractors write it, a PyPI name is
// matched by its PEP 503 form, Hex and Pub components get their
// ecosystems, and a type no ecosystem declares is counted.
func TestDecodeByDescriptor(t *testing.T) {
	bom := `{"bomFormat": "CycloneDX", "specVersion": "1.5", "components": [
		{"type": "library", "name": "zope.interface", "purl": "pkg:pypi/zope.interface@5.4.0"},
		{"type": "library", "name": "core", "purl": "pkg:npm/%40babel/core@7.22.5"},
		{"type": "library", "name": "snakeyaml", "purl": "pkg:maven/org.yaml/snakeyaml@1.33"},
		{"type": "library", "name": "guzzle", "purl": "pkg:composer/guzzlehttp/guzzle@7.4.4"},
		{"type": "library", "name": "phoenix", "purl": "pkg:hex/phoenix@1.6.13"},
		{"type": "library", "name": "http", "purl": "pkg:pub/http@0.13.2"},
		{"type": "library", "name": "Alamofire", "purl": "pkg:swift/github.com/Alamofire/Alamofire@5.4.3"}]}`
	d, err := sbom.Decode([]byte(bom), scan.Ecosystems())
	if err != nil {
		t.Fatal(err)
	}
	want := map[string]row{
		"zope.interface":     {"pypi", "zope.interface", "5.4.0", "PyPI", "zope-interface", ""},
		"@babel/core":        {"npm", "@babel/core", "7.22.5", "npm", "", ""},
		"org.yaml:snakeyaml": {"maven", "org.yaml:snakeyaml", "1.33", "Maven", "", ""},
		"guzzlehttp/guzzle":  {"composer", "guzzlehttp/guzzle", "7.4.4", "Packagist", "", ""},
		"phoenix":            {"hex", "phoenix", "1.6.13", "Hex", "", ""},
		"http":               {"pub", "http", "0.13.2", "Pub", "", ""},
		"Alamofire":          {"swift", "Alamofire", "5.4.3", "", "", ""},
	}
	if diff := cmp.Diff(want, rows(d)); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff(map[string]int{"swift": 1}, d.Unknown); diff != "" {
		t.Errorf("unknown types (-want +got):\n%s", diff)
	}
}
