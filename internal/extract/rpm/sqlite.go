package rpm

import (
	"context"
	"database/sql"
	"fmt"
	"net/url"
	"os"
	"path/filepath"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// sqliteMagic starts every SQLite 3 database file.
const sqliteMagic = "SQLite format 3\x00"

// readSQLite calls fn with each header blob in the Packages table of an
// rpmdb.sqlite (rpm >= 4.16). SQLite needs a file, so the bytes are
// written to a temporary one that is removed afterwards.
func readSQLite(ctx context.Context, db []byte, fn func([]byte) error) (err error) {
	if len(db) < len(sqliteMagic) || string(db[:len(sqliteMagic)]) != sqliteMagic {
		return fmt.Errorf("sqlite rpmdb: not an SQLite database")
	}
	dir, err := os.MkdirTemp("", "customs-rpmdb-")
	if err != nil {
		return fmt.Errorf("sqlite rpmdb: %w", err)
	}
	defer os.RemoveAll(dir)
	name := filepath.Join(dir, "rpmdb.sqlite")
	if err := os.WriteFile(name, db, 0o600); err != nil {
		return fmt.Errorf("sqlite rpmdb: %w", err)
	}
	dsn := (&url.URL{Scheme: "file", Path: name, RawQuery: "mode=ro&immutable=1"}).String()
	conn, err := sql.Open("sqlite", dsn)
	if err != nil {
		return fmt.Errorf("sqlite rpmdb: open: %w", err)
	}
	defer conn.Close()
	rows, err := conn.QueryContext(ctx, "SELECT blob FROM Packages ORDER BY hnum")
	if err != nil {
		return fmt.Errorf("sqlite rpmdb: query: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var b []byte
		if err := rows.Scan(&b); err != nil {
			return fmt.Errorf("sqlite rpmdb: scan: %w", err)
		}
		if err := fn(b); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite rpmdb: %w", err)
	}
	return nil
}
