package scan

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/vulndb/build"
)

// TestScanLanguagePackage: requests 2.28.1 installed with pip (not by the
// distro) is matched against PyPA's advisories: PYSEC-2023-74
// (CVE-2023-32681) is fixed in 2.31.0.
func TestScanLanguagePackage(t *testing.T) {
	pkgInfo, err := os.ReadFile(filepath.Join("..", "extract", "testdata", "requests-2.28.1.PKG-INFO"))
	if err != nil {
		t.Fatal(err)
	}
	l := layerTar(t, []file{
		{name: "usr/lib/os-release", body: bookwormOSRelease},
		{name: "usr/local/lib/python3.11/site-packages/requests-2.28.1.egg-info/PKG-INFO", body: string(pkgInfo)},
	})
	img, err := mutate.Append(empty.Image, mutate.Addendum{Layer: l, History: v1.History{CreatedBy: "RUN pip install requests==2.28.1"}})
	if err != nil {
		t.Fatal(err)
	}
	dbPath := filepath.Join(t.TempDir(), "db")
	if _, err := build.Build(t.Context(), dbPath, []build.Source{{Kind: "osv", Path: filepath.Join("..", "..", "testdata", "feeds", "osv-pypi")}}, nil); err != nil {
		t.Fatal(err)
	}
	r, err := Scan(t.Context(), "docker-archive:"+writeArchive(t, img), Options{DBPath: dbPath})
	if err != nil {
		t.Fatal(err)
	}
	var got *report.Finding
	for i, f := range r.Findings {
		if f.VulnerabilityID == "PYSEC-2023-74" {
			got = &r.Findings[i]
		}
	}
	if got == nil {
		t.Fatalf("PYSEC-2023-74 not found; findings %+v", r.Findings)
	}
	if got.PackageType != "pypi" || got.PackageName != "requests" || got.FixedVersion != "2.31.0" || got.Status != report.StatusFixAvailable ||
		got.CreatedBy != "RUN pip install requests==2.28.1" || len(got.Locations) != 1 {
		t.Errorf("finding %+v", got)
	}
	found := false
	for _, a := range got.Aliases {
		found = found || a == "CVE-2023-32681"
	}
	if !found {
		t.Errorf("aliases %v lack CVE-2023-32681", got.Aliases)
	}
}
