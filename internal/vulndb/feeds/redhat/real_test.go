package redhat

import (
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/customs-scanner/customs/internal/shareddata"

	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/google/go-cmp/cmp"
)

// TestImportVunnelRHSA imports the eight real RHSA documents of vunnel's
// fixtures (seven under advisories/, one under server/2024/).
func TestImportVunnelRHSA(t *testing.T) {
	root := shareddata.Path(t, "advisories/vunnel-fixtures/tests/unit/providers/rhel/test-fixtures/csaf")
	tests := []struct {
		dir                  string
		advisories, affected int
		byStatus             map[vulndb.Status]int
	}{
		// 18 (document, CVE) pairs: RHSA-2024:6163 1, 2024:9371 1,
		// 2025:23414 2, 2023:3821 3, 2023:7025 4, 2024:0811 3,
		// 2024:1431 4; Affected 1+1+8+18+28+18+16.
		{"advisories", 18, 90, map[vulndb.Status]int{vulndb.StatusRanges: 90}},
		{"server/2024", 3, 3, map[vulndb.Status]int{vulndb.StatusRanges: 3}},
	}
	for _, tt := range tests {
		t.Run(tt.dir, func(t *testing.T) {
			var c collector
			n, err := Import(t.Context(), filepath.Join(root, filepath.FromSlash(tt.dir)), &c)
			if err != nil {
				t.Fatal(err)
			}
			affected := 0
			byStatus := map[vulndb.Status]int{}
			for _, a := range c.advs {
				if len(a.Aliases) != 1 || !strings.HasPrefix(a.Aliases[0], "RHSA-") {
					t.Errorf("%s: aliases %v, want its RHSA", a.ID, a.Aliases)
				}
				for _, af := range a.Affected {
					affected++
					byStatus[af.Status]++
					if len(af.CPEs) == 0 || !strings.HasPrefix(af.Ecosystem, "redhat:") {
						t.Errorf("%s: Affected %+v without CPEs or redhat ecosystem", a.ID, af)
					}
				}
			}
			if n != tt.advisories || affected != tt.affected {
				t.Errorf("Import = %d advisories, %d affected; want %d, %d", n, affected, tt.advisories, tt.affected)
			}
			if diff := cmp.Diff(tt.byStatus, byStatus); diff != "" {
				t.Errorf("Affected by status (-want +got):\n%s", diff)
			}
		})
	}
	// The whole tree also holds non-CSAF JSON (Red Hat's hydra CVE API
	// answers, a page list): reported, not fatal.
	var c collector
	n, err := Import(t.Context(), root, &c)
	if n != 21 || err == nil || strings.Count(err.Error(), "\n")+1 != 3 {
		t.Errorf("Import of the whole tree = %d, %v; want 21 and 3 file errors", n, err)
	}
}

// TestParseVulnListTxtar parses the CSAF VEX documents embedded in
// vuln-list-update's txtar fixtures: real layout, but no rpm components.
func TestParseVulnListTxtar(t *testing.T) {
	dir := shareddata.Path(t, "advisories/vuln-list-update-testdata/redhat/csaf/testdata")
	paths, err := filepath.Glob(filepath.Join(dir, "*.txtar"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no txtar files: %v", err)
	}
	docs, bad, advs := 0, 0, 0
	for _, p := range paths {
		data, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		for name, body := range txtarFiles(string(data)) {
			if !strings.HasSuffix(name, ".json") {
				continue
			}
			docs++
			got, err := Parse([]byte(body))
			if err != nil {
				bad++
				continue
			}
			advs += len(got)
		}
	}
	// invalid.txtar's document has no csaf_version; no document names an
	// rpm of a RHEL platform.
	if docs != 7 || bad != 1 || advs != 0 {
		t.Errorf("docs %d, bad %d, advisories %d; want 7, 1, 0", docs, bad, advs)
	}
}

// txtarFiles splits a txtar archive ("-- name --" lines) into its files.
func txtarFiles(s string) map[string]string {
	files := map[string]string{}
	name := ""
	var b strings.Builder
	flush := func() {
		if name != "" {
			files[name] = b.String()
		}
		b.Reset()
	}
	for _, l := range strings.SplitAfter(s, "\n") {
		t := strings.TrimSpace(l)
		if strings.HasPrefix(t, "-- ") && strings.HasSuffix(t, " --") && len(t) > 6 {
			flush()
			name = strings.TrimSpace(t[3 : len(t)-3])
			continue
		}
		b.WriteString(l)
	}
	flush()
	return files
}
