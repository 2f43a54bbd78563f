package cli

import (
	"encoding/json"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
)

// TestSBOM scans the real alpine 3.10 image without a DB and writes three
// SBOMs at once.
func TestSBOM(t *testing.T) {
	dir := t.TempDir()
	cdx, spdxJSON, tv := filepath.Join(dir, "bom.cdx.json"), filepath.Join(dir, "bom.spdx.json"), filepath.Join(dir, "bom.spdx")
	res := runCommand(t, newSBOMCmd, "", alpineImage, "--no-progress",
		"-o", "cyclonedx-json="+cdx, "-o", "spdx-json="+spdxJSON, "-o", "spdx-tag-value="+tv, "-o", "cyclonedx-xml")
	if res.err != nil {
		t.Fatalf("sbom: %v\n%s", res.err, res.stderr)
	}
	var bom struct {
		SpecVersion string `json:"specVersion"`
		Components  []struct {
			Name, Version, Type, Purl string
		} `json:"components"`
		Vulnerabilities []any `json:"vulnerabilities"`
	}
	readJSON(t, cdx, &bom)
	var names []string
	for _, c := range bom.Components {
		names = append(names, c.Name)
	}
	slices.Sort(names)
	want := []string{"alpine", "alpine-baselayout", "alpine-keys", "apk-tools", "busybox", "ca-certificates-cacert", "libc-utils", "libcrypto1.1", "libssl1.1", "libtls-standalone", "musl", "musl-utils", "scanelf", "ssl_client", "zlib"}
	// Other extractors (binaries) may add components; the 14 apk packages and the OS must be there.
	for _, w := range want {
		if !slices.Contains(names, w) {
			t.Errorf("component %s missing; have %v", w, names)
		}
	}
	if bom.SpecVersion != "1.6" || len(bom.Vulnerabilities) != 0 {
		t.Errorf("specVersion %s, %d vulnerabilities; want 1.6 and none (no DB)", bom.SpecVersion, len(bom.Vulnerabilities))
	}
	var doc struct {
		SPDXVersion string `json:"spdxVersion"`
		Packages    []struct {
			Name string `json:"name"`
		} `json:"packages"`
	}
	readJSON(t, spdxJSON, &doc)
	if doc.SPDXVersion != "SPDX-2.3" || len(doc.Packages) != len(bom.Components)+1 {
		t.Errorf("spdx: %s with %d packages, want SPDX-2.3 with %d (components + image)", doc.SPDXVersion, len(doc.Packages), len(bom.Components)+1)
	}
	b, err := os.ReadFile(tv)
	if err != nil {
		t.Fatal(err)
	}
	if got := strings.Count(string(b), "\nPackageName: "); got != len(doc.Packages) {
		t.Errorf("tag-value has %d packages, want %d", got, len(doc.Packages))
	}
	if !strings.Contains(res.stdout, `<bom xmlns="http://cyclonedx.org/schema/bom/1.6"`) {
		t.Errorf("stdout is not a CycloneDX 1.6 XML BOM: %.200s", res.stdout)
	}
}

func TestSBOMErrors(t *testing.T) {
	for _, tc := range []struct {
		name string
		args []string
		want string
	}{
		{"unknown format", []string{alpineImage, "-o", "cyclonedx"}, "unknown format"},
		{"template missing", []string{alpineImage, "-o", "template"}, "needs --template"},
		{"missing image", []string{filepath.Join("testdata", "nope.tar")}, "nope.tar"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			res := runCommand(t, newSBOMCmd, "", append(tc.args, "--no-progress")...)
			if res.err == nil || !strings.Contains(res.err.Error(), tc.want) {
				t.Errorf("err = %v, want %q", res.err, tc.want)
			}
		})
	}
}

func readJSON(t *testing.T, path string, v any) {
	t.Helper()
	b, err := os.ReadFile(path)
	if err != nil {
		t.Fatal(err)
	}
	if err := json.Unmarshal(b, v); err != nil {
		t.Fatalf("%s: %v", path, err)
	}
}
