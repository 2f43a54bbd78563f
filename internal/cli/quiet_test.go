package cli

import (
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/customs-scanner/customs/internal/vulndb/sqlite"
)

// TestQuiet: -q drops warnings but keeps the report, errors and the
// gate's verdict.
func TestQuiet(t *testing.T) {
	ctx := t.Context()
	dbPath := filepath.Join(t.TempDir(), "old.db")
	w, err := sqlite.Create(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Add(ctx, &vulndb.Advisory{ID: "CVE-2019-14697", Source: "alpine-secdb", Severity: "CRITICAL", Affected: []vulndb.Affected{{Ecosystem: "alpine:3.10", Package: "musl", Status: vulndb.StatusRanges, Ranges: []vulndb.Range{{Fixed: "9.9.9-r0"}}}}}); err != nil { // fixed in a later musl than the image has
		t.Fatal(err)
	}
	w.SetBuilt(time.Now().Add(-30 * 24 * time.Hour)) // stale: a warning
	if err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	base := []string{"--cache-dir", t.TempDir(), "--db", dbPath}
	loud := run(t, append(base, "scan", "--scanners", "vuln", alpineImage)...)
	if !strings.Contains(loud.stderr, "warning:") {
		t.Fatalf("without -q: stderr %q, want a stale-DB warning", loud.stderr)
	}
	for _, args := range [][]string{
		append(base, "-q", "scan", "--scanners", "vuln", alpineImage),
		append(base, "scan", "--quiet", "--scanners", "vuln", alpineImage),
	} {
		r := run(t, args...)
		if r.code != ExitOK || r.stderr != "" {
			t.Errorf("%v: exit %d, stderr %q; want 0 and nothing", args, r.code, r.stderr)
		}
		if r.stdout != loud.stdout {
			t.Errorf("%v: the report changed under -q:\n%s\nwant\n%s", args, r.stdout, loud.stdout)
		}
	}
	r := run(t, append(base, "-q", "scan", "--scanners", "vuln", "--fail-on", "high", alpineImage)...)
	if r.code != ExitFindings || !strings.Contains(r.stderr, "--fail-on high: 2 findings") || strings.Contains(r.stderr, "warning") {
		t.Errorf("-q --fail-on: exit %d, stderr %q; want 1 with the verdict only", r.code, r.stderr)
	}
	r = run(t, append(base, "-q", "scan", "nope/missing.tar")...)
	if r.code != ExitError || !strings.Contains(r.stderr, "customs: error: ") {
		t.Errorf("-q with an error: exit %d, stderr %q; want 2 with the error", r.code, r.stderr)
	}
}
