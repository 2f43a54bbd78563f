package sqlite_test

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/customs-scanner/customs/internal/store/sqlite"
	"github.com/customs-scanner/customs/internal/store/storetest"
)

func TestSuite(t *testing.T) {
	storetest.Run(t, storetest.Backend{
		Fresh: func(t *testing.T) string { return filepath.Join(t.TempDir(), "store.db") },
		Open: func(ctx context.Context, name string) (storetest.Store, error) {
			return sqlite.Open(ctx, name)
		},
		Size: func(ctx context.Context, s storetest.Store) (int64, error) {
			var n int64
			if _, err := s.DB().ExecContext(ctx, "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
				return 0, err
			}
			err := s.DB().QueryRowContext(ctx, "SELECT page_count * page_size FROM pragma_page_count(), pragma_page_size()").Scan(&n)
			return n, err
		},
	})
}

// TestNotADatabase: a file that is not a store gives one line naming it
// and saying what to do.
func TestNotADatabase(t *testing.T) {
	path := filepath.Join(t.TempDir(), "report.json")
	if err := os.WriteFile(path, []byte(strings.Repeat(`{"schemaVersion": "1.0"}`, 200)), 0o644); err != nil {
		t.Fatal(err)
	}
	_, err := sqlite.Open(t.Context(), path)
	if err == nil {
		t.Fatal("opened a JSON file as a store")
	}
	if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, "not a SQLite database") || strings.Contains(msg, "\n") {
		t.Errorf("error %q: want one line naming %s", msg, path)
	}
	if _, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "missing", "store.db")); err == nil || !strings.Contains(err.Error(), "does not exist") {
		t.Errorf("store in a missing directory: %v", err)
	}
}

// TestDamaged: a SQLite store whose schema page was overwritten gives one
// line naming it and saying what to do.
func TestDamaged(t *testing.T) {
	path := filepath.Join(t.TempDir(), "store.db")
	s, err := sqlite.Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.DB().ExecContext(t.Context(), "PRAGMA wal_checkpoint(TRUNCATE)"); err != nil {
		t.Fatal(err)
	}
	s.Close()
	f, err := os.OpenFile(path, os.O_RDWR, 0)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := f.WriteAt([]byte(strings.Repeat("\xde\xad\xbe\xef", 900)), 100); err != nil {
		t.Fatal(err)
	}
	f.Close()
	_, err = sqlite.Open(t.Context(), path)
	if err == nil {
		t.Fatal("opened a damaged store")
	}
	if msg := err.Error(); !strings.Contains(msg, path) || !strings.Contains(msg, "damaged") || strings.Contains(msg, "\n") {
		t.Errorf("error %q: want one line naming %s and saying it is damaged", msg, path)
	}
}
