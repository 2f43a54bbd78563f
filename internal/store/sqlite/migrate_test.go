package sqlite

import (
	"database/sql"
	"io/fs"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/customs-scanner/customs/internal/store"
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

// TestMigrateFindingSets: findings kept per snapshot before migration
// 0009 are put into one finding set per snapshot and layer inventory,
// and read back as before.
func TestMigrateFindingSets(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "store.db")
	all, err := fs.Sub(migrations, "migrations")
	if err != nil {
		t.Fatal(err)
	}
	names, err := fs.Glob(all, "*.sql")
	if err != nil {
		t.Fatal(err)
	}
	before := fstest.MapFS{}
	for _, n := range names {
		if strings.HasPrefix(n, "0009_") {
			continue
		}
		b, err := fs.ReadFile(all, n)
		if err != nil {
			t.Fatal(err)
		}
		before[n] = &fstest.MapFile{Data: b}
	}
	open := func(migrations fs.FS) *sqlstore.Store {
		db, err := sql.Open("sqlite", "file:"+path)
		if err != nil {
			t.Fatal(err)
		}
		s, err := sqlstore.Open(ctx, db, path, sqlstore.Dialect{Time: sqlstore.SQLiteTime, SingleWriter: true}, migrations)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { s.Close() })
		return s
	}
	old := open(before)
	// Two images on one base layer (inventory 1: packages 1 and 2); the
	// first has a layer of its own (inventory 2: package 3).
	const at = "2026-01-01T00:00:00.000000000Z"
	for _, q := range []string{
		`INSERT INTO subject (id, kind, key, name, first_seen, last_seen) VALUES (1, 'image', 'sha256:a', 'app:1', '` + at + `', '` + at + `'), (2, 'image', 'sha256:b', 'app:2', '` + at + `', '` + at + `')`,
		`INSERT INTO inventory (id, hash, diff_id, packages) VALUES (1, 'h1', 'sha256:base', 2), (2, 'h2', 'sha256:app', 1)`,
		`INSERT INTO package (id, inventory, idx, key, type, name, version, purl, purl_base, ecosystem, source_name, source_version, owned, data) VALUES
		  (1, 1, 0, 'p1', 'deb', 'openssl', '3.0.1', 'pkg:deb/debian/openssl@3.0.1', 'pkg:deb/debian/openssl', 'debian:12', '', '', 0, '{}'),
		  (2, 1, 1, 'p2', 'deb', 'zlib', '1.2', 'pkg:deb/debian/zlib@1.2', 'pkg:deb/debian/zlib', 'debian:12', '', '', 0, '{}'),
		  (3, 2, 0, 'p3', 'pypi', 'requests', '2.0', 'pkg:pypi/requests@2.0', 'pkg:pypi/requests', 'PyPI', '', '', 0, '{}')`,
		`INSERT INTO snapshot (id, subject, content_hash, scanned_at, recorded_at, tool, db, packages, summary) VALUES
		  (1, 1, 'c1', '` + at + `', '` + at + `', 'customs 1', '', 3, '{"HIGH":1,"LOW":1}'),
		  (2, 2, 'c2', '` + at + `', '` + at + `', 'customs 1', '', 2, '{"HIGH":1,"CRITICAL":1}')`,
		`INSERT INTO snapshot_layer (snapshot, idx, inventory, created_by) VALUES (1, 0, 1, 'FROM debian'), (1, 1, 2, 'COPY app'), (2, 0, 1, 'FROM debian')`,
		`INSERT INTO finding (snapshot, package, vulnerability_id, status, fixed_version, severity, kev, epss) VALUES
		  (1, 1, 'CVE-A', 'affected', '', 'HIGH', 1, 0.5),
		  (1, 3, 'CVE-B', 'fixed', '2.1', 'LOW', 0, 0),
		  (2, 1, 'CVE-A', 'affected', '', 'HIGH', 1, 0.5),
		  (2, 2, 'CVE-C', 'affected', '', 'CRITICAL', 0, 0)`,
		`UPDATE subject SET current_snapshot = id`,
	} {
		if _, err := old.DB().ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	old.Close()
	s := open(all)
	var sets int
	if err := s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM finding_set`).Scan(&sets); err != nil || sets != 3 {
		t.Errorf("%d finding sets (%v), want 3: one per snapshot and inventory with findings", sets, err)
	}
	ms, err := s.Where(ctx, "CVE-A")
	if err != nil {
		t.Fatal(err)
	}
	if len(ms) != 2 || ms[0].CreatedBy != "FROM debian" || ms[0].PackageName != "openssl" {
		t.Errorf("Where(CVE-A) = %+v, want openssl in both images, created by FROM debian", ms)
	}
	for snap, want := range map[int64]int{1: 2, 2: 2} {
		fs, err := s.SnapshotFindings(ctx, snap, nil)
		if err != nil || len(fs) != want {
			t.Errorf("snapshot %d: %d findings (%v), want %d", snap, len(fs), err, want)
		}
	}
	o, err := s.Overview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if o.KEV != 2 || o.Exposed != 2 || o.Fixable != 1 || o.Findings != 4 {
		t.Errorf("Overview = %+v, want 2 KEV-listed findings in 2 images, 1 fixable, 4 in all", o)
	}
	hs, err := s.Holders(ctx, store.PackageQuery{Name: "zlib"})
	if err != nil {
		t.Fatal(err)
	}
	if len(hs) != 2 || len(hs[0].Findings)+len(hs[1].Findings) != 1 {
		t.Errorf("Holders(zlib) = %+v, want both images, CVE-C in the second", hs)
	}
}
