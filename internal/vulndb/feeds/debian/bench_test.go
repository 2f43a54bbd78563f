package debian

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/customs-scanner/customs/internal/vulndb"
)

// countingSink counts and drops what it is given, so a benchmark measures
// the importer's memory, not the collected advisories.
type countingSink struct{ n int }

func (s *countingSink) Add(context.Context, *vulndb.Advisory) error { s.n++; return nil }

// BenchmarkImportTrackerJSON imports a generated document in the tracker's
// layout: 2,000 packages x 10 records x 5 releases (about 15 MB).
func BenchmarkImportTrackerJSON(b *testing.B) {
	var sb strings.Builder
	sb.WriteString("{")
	for p := range 2000 {
		if p > 0 {
			sb.WriteString(",")
		}
		fmt.Fprintf(&sb, "%q:{", fmt.Sprintf("pkg%d", p))
		for c := range 10 {
			if c > 0 {
				sb.WriteString(",")
			}
			fmt.Fprintf(&sb, `"CVE-2023-%d":{"description":"Some description of the problem in package %d, long enough to be realistic.","scope":"remote","debianbug":%d,"releases":{`, p*10+c, p, 1000000+p)
			for r, rel := range []string{"bullseye", "bookworm", "trixie", "forky", "sid"} {
				if r > 0 {
					sb.WriteString(",")
				}
				fmt.Fprintf(&sb, `%q:{"status":"resolved","repositories":{%q:"1.%d-1"},"fixed_version":"1.%d-1","urgency":"low**"}`, rel, rel, c, c)
			}
			sb.WriteString("}}")
		}
		sb.WriteString("}")
	}
	sb.WriteString("}")
	path := filepath.Join(b.TempDir(), "tracker.json")
	if err := os.WriteFile(path, []byte(sb.String()), 0o644); err != nil {
		b.Fatal(err)
	}
	b.SetBytes(int64(sb.Len()))
	b.ReportAllocs()
	for b.Loop() {
		var s countingSink
		n, err := ImportTrackerJSON(b.Context(), path, &s)
		if err != nil || n != 20000 {
			b.Fatalf("ImportTrackerJSON = %d, %v; want 20000", n, err)
		}
	}
}
