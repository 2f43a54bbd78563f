package nvd

import (
	"os"
	"path/filepath"
	"testing"
)

// sharedData returns rel under ../shared/data beside the repository,
// skipping the test when it is absent (a fresh clone).
func sharedData(t *testing.T, rel string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
	p := filepath.Join(dir, "..", "shared", "data", filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared data not present (%v): skipping the real-data test", err)
	}
	return p
}

// TestImportShared reads every NVD API 2.0 sample of the shared data. The
// counts of CVEs are those of the files (one per file in osv.dev's folder,
// pages of 2, 1, 3 and 1 besides the 4 bare CVEs in vuln-list-update's);
// the affected counts are what this importer makes of them.
func TestImportShared(t *testing.T) {
	tests := []struct {
		rel           string
		cves, affects int
		errs          bool
	}{
		{"advisories/osv.dev-vulnfeeds-testdata/vulnfeeds/test_data/nvdcve-2.0", 23, 64, false},
		{"advisories/vuln-list-update-testdata/nvd/testdata", 11, 22, true}, // last_updated.json is no CVE
		{"advisories/vunnel-fixtures/tests/unit/providers/nvd/test-fixtures/single-entry.json", 1, 1, false},
		{"advisories/vunnel-fixtures/tests/unit/providers/nvd/test-fixtures/full-page.json", 38, 34, false},
	}
	for _, tt := range tests {
		t.Run(filepath.Base(tt.rel), func(t *testing.T) {
			var got collect
			n, err := Import(t.Context(), sharedData(t, tt.rel), &got)
			if (err != nil) != tt.errs {
				t.Errorf("error = %v, want error: %v", err, tt.errs)
			}
			affects := 0
			for _, a := range got {
				affects += len(a.Affected)
			}
			if n != tt.cves || affects != tt.affects {
				t.Errorf("got %d CVEs, %d affected; want %d, %d", n, affects, tt.cves, tt.affects)
			}
		})
	}
}
