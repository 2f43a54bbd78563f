package nvd

import (
	"path/filepath"
	"testing"

	"github.com/customs-scanner/customs/internal/shareddata"
)

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
			n, err := Import(t.Context(), shareddata.Path(t, tt.rel), &got)
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
