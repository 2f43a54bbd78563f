package sqlite

import (
	"database/sql"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/customs-scanner/customs/internal/store/sqlstore"
)

// TestMigrationsOutOfOrder: a migration whose number is below one the
// store has (numbers are reserved per change and land in any order) is
// applied when it arrives.
func TestMigrationsOutOfOrder(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "store.db")
	all, err := fs.Sub(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	names, err := fs.Glob(all, "*.sql")
	if err != nil || len(names) < 3 {
		t.Fatalf("migrations: %v %v", names, err)
	}
	// The store first gets every migration but the second to last.
	skipped := names[len(names)-2]
	early := fstest.MapFS{}
	for _, n := range names {
		if n == skipped {
			continue
		}
		b, err := fs.ReadFile(all, n)
		if err != nil {
			t.Fatal(err)
		}
		early[n] = &fstest.MapFile{Data: b}
	}
	open := func(migrations fs.FS) *sql.DB {
		db, err := sql.Open("sqlite", "file:"+path)
		if err != nil {
			t.Fatal(err)
		}
		s, err := sqlstore.Open(ctx, db, path, sqlstore.Dialect{Time: sqlstore.SQLiteTime, SingleWriter: true}, migrations)
		if err != nil {
			t.Fatalf("open with %d migrations: %v", len(names), err)
		}
		t.Cleanup(func() { s.Close() })
		return s.DB()
	}
	open(early)
	db := open(all)
	var n int
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	if n != len(names) {
		t.Errorf("%d migrations recorded, want %d (%s applied late)", n, len(names), skipped)
	}
	v, _, _ := strings.Cut(skipped, "_")
	ver, _ := strconv.Atoi(v)
	if err := db.QueryRowContext(ctx, `SELECT COUNT(*) FROM schema_migrations WHERE version = ?`, ver).Scan(&n); err != nil || n != 1 {
		t.Errorf("%s: recorded %d times (%v), want once", skipped, n, err)
	}
}
