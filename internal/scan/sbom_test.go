package scan

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/report/cyclonedx"
	"github.com/customs-scanner/customs/internal/report/spdx"
)

// TestScanSBOMRoundTrip: an SBOM customs wrote (CycloneDX and SPDX) scans to
// the same findings as the image it describes.
func TestScanSBOMRoundTrip(t *testing.T) {
	img, _ := debianImage(t)
	dbPath := bookwormDB(t)
	want, err := Scan(t.Context(), "docker-archive:"+writeArchive(t, img), Options{DBPath: dbPath})
	if err != nil {
		t.Fatal(err)
	}
	if len(want.Findings) == 0 {
		t.Fatal("the image has no findings to compare")
	}
	key := func(r *report.Report) []string {
		var out []string
		for _, f := range r.Findings {
			out = append(out, f.PackageName+" "+f.PackageVersion+" "+f.VulnerabilityID+" "+f.Status+" "+f.FixedVersion)
		}
		return out
	}
	for _, tc := range []struct {
		name   string
		encode func(f *os.File) error
	}{
		{"cyclonedx", func(f *os.File) error { return cyclonedx.Encoder{}.Encode(f, want) }},
		{"spdx", func(f *os.File) error { return spdx.Encoder{}.Encode(f, want) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(t.TempDir(), tc.name+".json")
			f, err := os.Create(path)
			if err != nil {
				t.Fatal(err)
			}
			if err := tc.encode(f); err != nil {
				t.Fatal(err)
			}
			f.Close()
			got, err := Scan(t.Context(), "sbom:"+path, Options{DBPath: dbPath})
			if err != nil {
				t.Fatal(err)
			}
			if got.Target.Kind != "sbom" || len(got.Packages) != len(want.Packages) {
				t.Errorf("kind %q, %d packages; want sbom, %d", got.Target.Kind, len(got.Packages), len(want.Packages))
			}
			if diff := cmp.Diff(key(want), key(got)); diff != "" {
				t.Errorf("findings from the SBOM differ from the image's (-image +sbom):\n%s", diff)
			}
		})
	}
}
