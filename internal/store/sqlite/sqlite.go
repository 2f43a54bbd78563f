// Package sqlite is the store in one SQLite file (pure Go, as the
// vulnerability DB): WAL, so queries run while one process records;
// writers take turns, waiting up to BusyTimeout for each other.
package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"time"

	_ "modernc.org/sqlite" // the "sqlite" database/sql driver

	"github.com/customs-scanner/customs/internal/store"
	"github.com/customs-scanner/customs/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// BusyTimeout is how long a write waits for another process's write.
const BusyTimeout = 30 * time.Second

// Open opens (creating it if needed) the store in the SQLite file at path
// and brings its schema up to date.
func Open(ctx context.Context, path string) (*sqlstore.Store, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	if fi, err := os.Stat(abs); err == nil && fi.IsDir() {
		return nil, fmt.Errorf("store %s: is a directory; give the path of a file", path)
	} else if errors.Is(err, fs.ErrNotExist) {
		if _, err := os.Stat(filepath.Dir(abs)); err != nil {
			return nil, fmt.Errorf("store %s: the directory %s does not exist", path, filepath.Dir(abs))
		}
	}
	q := url.Values{}
	q.Add("_pragma", fmt.Sprintf("busy_timeout(%d)", BusyTimeout.Milliseconds()))
	q.Add("_pragma", "journal_mode(WAL)")
	q.Add("_pragma", "synchronous(NORMAL)")
	q.Add("_pragma", "foreign_keys(1)")
	q.Set("_txlock", "immediate")
	dsn := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: q.Encode()}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		db.Close()
		return nil, err
	}
	s, err := sqlstore.Open(ctx, db, path, sqlstore.Dialect{Time: sqlstore.SQLiteTime, SingleWriter: true}, sub)
	if err != nil {
		db.Close()
		if strings.Contains(err.Error(), "file is not a database") || strings.Contains(err.Error(), "malformed") {
			return nil, fmt.Errorf("store %s: not a SQLite database, or a damaged one; check the path, or move the file away to start a new store", path)
		}
		if errors.Is(err, store.ErrNewer) {
			return nil, err
		}
		return nil, fmt.Errorf("store %s: %w", path, err)
	}
	return s, nil
}
