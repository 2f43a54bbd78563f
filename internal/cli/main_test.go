package cli

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/customs-scanner/customs/internal/vulndb/sqlite"
)

// TestMain keeps the tests away from the user's own config, DB and cache.
func TestMain(m *testing.M) {
	dir, err := os.MkdirTemp("", "customs-cli-test-")
	if err != nil {
		panic(err)
	}
	os.Setenv("XDG_CONFIG_HOME", filepath.Join(dir, "config"))
	os.Setenv("XDG_CACHE_HOME", filepath.Join(dir, "cache"))
	for _, v := range []string{"CUSTOMS_CONFIG", "CUSTOMS_DB", "CUSTOMS_CACHE_DIR"} {
		os.Unsetenv(v)
	}
	code := m.Run()
	os.RemoveAll(dir)
	os.Exit(code)
}

func TestStaleDBWarning(t *testing.T) {
	ctx := t.Context()
	dbPath := filepath.Join(t.TempDir(), "old.db")
	w, err := sqlite.Create(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	if err := w.Add(ctx, &vulndb.Advisory{ID: "CVE-2019-14697", Source: "alpine-secdb", Affected: []vulndb.Affected{{Ecosystem: "alpine:3.10", Package: "musl", Status: vulndb.StatusRanges, Ranges: []vulndb.Range{{Fixed: "1.1.22-r3"}}}}}); err != nil {
		t.Fatal(err)
	}
	w.SetBuilt(time.Now().Add(-30 * 24 * time.Hour))
	if err := w.Commit(ctx); err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		args []string
		warn bool
	}{
		{[]string{"--db", dbPath, "scan", alpineImage}, true},
		{[]string{"--db", dbPath, "scan", "--db-max-age", "2000h", alpineImage}, false},
	} {
		r := run(t, append([]string{"--cache-dir", t.TempDir()}, tc.args...)...)
		if r.code != 0 {
			t.Fatalf("%v: exit %d: %s", tc.args, r.code, r.stderr)
		}
		if got := strings.Contains(r.stderr, "warning: the vulnerability DB was built 720h0m0s ago"); got != tc.warn {
			t.Errorf("%v: stale warning = %v, want %v; stderr %q", tc.args, got, tc.warn, r.stderr)
		}
	}
}

func TestSkipUpdateNeverPulls(t *testing.T) {
	// With --skip-update, --db-ref must not reach for the (unreachable)
	// registry: the scan fails on the missing local DB instead.
	r := run(t, "--cache-dir", t.TempDir(), "scan", "--skip-update", "--db-ref", "127.0.0.1:1/customs/db:latest", alpineImage)
	if r.code != ExitError || !strings.Contains(r.stderr, "no vulnerability DB at") {
		t.Errorf("exit %d stderr %q", r.code, r.stderr)
	}
}
