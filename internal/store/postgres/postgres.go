// Package postgres is the store in a PostgreSQL database (pgx): many
// customs processes record into it at once, each recording one
// transaction.
package postgres

import (
	"context"
	"embed"
	"errors"
	"fmt"
	"io/fs"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/stdlib"

	"github.com/customs-scanner/customs/internal/store"
	"github.com/customs-scanner/customs/internal/store/sqlstore"
)

//go:embed migrations/*.sql
var migrations embed.FS

// ConnectTimeout bounds connecting when the URL sets no connect_timeout.
const ConnectTimeout = 10 * time.Second

// lockKey is the advisory lock migrations hold: "customs" in ASCII.
const lockKey = 0x637573746f6d73

// Open connects to the database at the postgres:// URL and brings its
// schema up to date. Errors name the database without its password.
func Open(ctx context.Context, dsn string) (*sqlstore.Store, error) {
	name := store.Redact(dsn)
	cfg, err := pgx.ParseConfig(dsn)
	if err != nil {
		// pgx's parse errors may quote the URL, password and all.
		return nil, fmt.Errorf("store %s: not a valid PostgreSQL URL", name)
	}
	if cfg.ConnectTimeout == 0 {
		cfg.ConnectTimeout = ConnectTimeout
	}
	db := stdlib.OpenDB(*cfg)
	db.SetMaxOpenConns(8)
	db.SetConnMaxIdleTime(time.Minute)
	if err := db.PingContext(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("store %s: cannot connect (%s); check the host, port, user and password, and that the server runs", name, connectError(err))
	}
	sub, err := fs.Sub(migrations, "migrations")
	if err != nil {
		db.Close()
		return nil, err
	}
	d := sqlstore.Dialect{
		Dollar:        true,
		Time:          func(t time.Time) any { return t.UTC() },
		MigrationLock: fmt.Sprintf("SELECT pg_advisory_xact_lock(%d)", lockKey),
		Retryable:     retryable,
	}
	s, err := sqlstore.Open(ctx, db, name, d, sub)
	if err != nil {
		db.Close()
		return nil, err
	}
	return s, nil
}

// retryable: a deadlock, a serialisation failure, a unique violation of
// two transactions creating the same row at once, or a foreign key
// violation of a recording that took an inventory a prune dropped.
func retryable(err error) bool {
	var pe *pgconn.PgError
	if !errors.As(err, &pe) {
		return false
	}
	switch pe.Code {
	case "40P01", "40001", "23505", "23503":
		return true
	}
	return false
}

// connectError is the reason of a failed connection on one line, without
// the connection string.
func connectError(err error) string {
	var pe *pgconn.PgError
	if errors.As(err, &pe) {
		return pe.Message
	}
	msg := err.Error()
	var ce *pgconn.ConnectError
	if errors.As(err, &ce) {
		msg = errors.Unwrap(ce).Error()
	}
	// One line per address tried: the first says it.
	first, _, _ := strings.Cut(msg, "\n")
	return first
}
