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
