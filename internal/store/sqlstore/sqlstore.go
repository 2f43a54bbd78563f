// Package sqlstore implements store.Store over database/sql, for the
// schema store/sqlite and store/postgres each create with their own
// migrations. A Dialect says what differs between the two.
package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/customs-scanner/customs/internal/store"
)

// Dialect is what differs between the SQL backends.
type Dialect struct {
	// Dollar rewrites the ? placeholders of every statement as $1, $2, ….
	Dollar bool
	// Time converts a time for a time column.
	Time func(time.Time) any
	// MigrationLock is run first in the migration transaction; it keeps
	// two processes from migrating at once ("" when the transaction's
	// own lock does).
	MigrationLock string
	// SingleWriter serialises this process's write transactions (SQLite
	// has one writer; other processes wait on its busy timeout).
	SingleWriter bool
	// Retryable reports an error after which the transaction is run
	// again: a deadlock or serialisation failure.
	Retryable func(error) bool
}

// Store is a store.Store over one database.
type Store struct {
	db   *sql.DB
	name string // the store as messages name it, without a password
	d    Dialect
	wmu  sync.Mutex
}

var _ store.Store = (*Store)(nil)

// Open migrates db with the .sql files of migrations (named NNNN_what.sql)
// and returns the store. name is how messages name the store.
func Open(ctx context.Context, db *sql.DB, name string, d Dialect, migrations fs.FS) (*Store, error) {
	s := &Store{db: db, name: name, d: d}
	if err := s.migrate(ctx, migrations); err != nil {
		return nil, err
	}
	return s, nil
}

// Close closes the database.
func (s *Store) Close() error { return s.db.Close() }

// DB returns the database, for tests that count rows.
func (s *Store) DB() *sql.DB { return s.db }

// q rewrites a statement's placeholders for the dialect.
func (s *Store) q(query string) string {
	if !s.d.Dollar {
		return query
	}
	var b strings.Builder
	n := 0
	for _, r := range query {
		if r == '?' {
			n++
			b.WriteString("$" + strconv.Itoa(n))
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

type migration struct {
	version int
	name    string
}

// migrate applies the migrations the store lacks, in one transaction, and
// refuses a store whose version is above every migration known here. A
// migration is lacking when schema_migrations does not record it, not
// when its number is below the store's highest: numbers are reserved per
// change and land in any order, so a store may hold 0010 before 0009
// exists.
func (s *Store) migrate(ctx context.Context, migrations fs.FS) error {
	names, err := fs.Glob(migrations, "*.sql")
	if err != nil {
		return err
	}
	var ms []migration
	for _, n := range names {
		v, _, ok := strings.Cut(path.Base(n), "_")
		ver, err := strconv.Atoi(v)
		if !ok || err != nil {
			return fmt.Errorf("migration %s: the name does not start with a version number", n)
		}
		ms = append(ms, migration{ver, n})
	}
	slices.SortFunc(ms, func(a, b migration) int { return a.version - b.version })
	known := 0
	if len(ms) > 0 {
		known = ms[len(ms)-1].version
	}
	return s.write(ctx, func(tx *sql.Tx) error {
		if s.d.MigrationLock != "" {
			if _, err := tx.ExecContext(ctx, s.d.MigrationLock); err != nil {
				return err
			}
		}
		if _, err := tx.ExecContext(ctx, `CREATE TABLE IF NOT EXISTS schema_migrations (version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)`); err != nil {
			return err
		}
		applied := map[int]bool{}
		have := 0
		rows, err := tx.QueryContext(ctx, `SELECT version FROM schema_migrations`)
		if err != nil {
			return err
		}
		for rows.Next() {
			var v int
			if err := rows.Scan(&v); err != nil {
				rows.Close()
				return err
			}
			applied[v], have = true, max(have, v)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		if unknown := unknownVersions(applied, ms); len(unknown) > 0 {
			return fmt.Errorf("%w: store %s has schema version %d (migrations %s), newer than the version %d this customs knows; upgrade customs to use it",
				store.ErrNewer, s.name, have, strings.Join(unknown, ", "), known)
		}
		for _, m := range ms {
			if applied[m.version] {
				continue
			}
			b, err := fs.ReadFile(migrations, m.name)
			if err != nil {
				return err
			}
			if _, err := tx.ExecContext(ctx, string(b)); err != nil {
				return fmt.Errorf("migration %s: %w", m.name, err)
			}
			if _, err := tx.ExecContext(ctx, s.q(`INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)`),
				m.version, path.Base(m.name), time.Now().UTC().Format(time.RFC3339)); err != nil {
				return err
			}
		}
		return nil
	})
}

// unknownVersions lists the migrations a store has applied that are not
// among ms. Numbers are reserved per change and land in any order, so a
// newer customs may have applied one below this build's highest.
func unknownVersions(applied map[int]bool, ms []migration) []string {
	known := map[int]bool{}
	for _, m := range ms {
		known[m.version] = true
	}
	var unknown []int
	for v := range applied {
		if !known[v] {
			unknown = append(unknown, v)
		}
	}
	slices.Sort(unknown)
	names := make([]string, len(unknown))
	for i, v := range unknown {
		names[i] = fmt.Sprintf("%04d", v)
	}
	return names
}

// write runs f in a write transaction, again after a retryable error.
func (s *Store) write(ctx context.Context, f func(*sql.Tx) error) error {
	if s.d.SingleWriter {
		s.wmu.Lock()
		defer s.wmu.Unlock()
	}
	for attempt := 0; ; attempt++ {
		err := s.tx(ctx, f)
		if err == nil || s.d.Retryable == nil || !s.d.Retryable(err) || attempt >= 5 || ctx.Err() != nil {
			return err
		}
		time.Sleep(time.Duration(attempt+1) * 20 * time.Millisecond)
	}
}

func (s *Store) tx(ctx context.Context, f func(*sql.Tx) error) error {
	tx, err := s.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	if err := f(tx); err != nil {
		return errors.Join(err, rollback(tx))
	}
	return tx.Commit()
}

func rollback(tx *sql.Tx) error {
	if err := tx.Rollback(); err != nil && !errors.Is(err, sql.ErrTxDone) {
		return err
	}
	return nil
}

// timeValue scans a time column: a time, or text in the forms the
// backends write.
type timeValue struct{ t time.Time }

func (v *timeValue) Scan(src any) error {
	switch x := src.(type) {
	case nil:
		v.t = time.Time{}
	case time.Time:
		v.t = x.UTC()
	case string:
		return v.parse(x)
	case []byte:
		return v.parse(string(x))
	default:
		return fmt.Errorf("time column holds %T", src)
	}
	return nil
}

func (v *timeValue) parse(s string) error {
	t, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		return fmt.Errorf("time column: %w", err)
	}
	v.t = t.UTC()
	return nil
}

// SQLiteTime is the text form of times in a SQLite store: fixed width,
// so text order is time order.
func SQLiteTime(t time.Time) any {
	return t.UTC().Format("2006-01-02T15:04:05.000000000Z07:00")
}

// nullTime is nil for the zero time.
func (s *Store) nullTime(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return s.d.Time(t)
}

// placeholders returns n placeholders "?, ?, …".
func placeholders(n int) string {
	return strings.TrimSuffix(strings.Repeat("?, ", n), ", ")
}

// insertRows inserts rows of len(cols) values in statements of at most
// chunk rows; suffix follows the VALUES list (ON CONFLICT …).
func (s *Store) insertRows(ctx context.Context, tx *sql.Tx, table string, cols []string, rows [][]any, suffix string) error {
	const chunk = 200
	for len(rows) > 0 {
		n := min(chunk, len(rows))
		var b strings.Builder
		fmt.Fprintf(&b, "INSERT INTO %s (%s) VALUES ", table, strings.Join(cols, ", "))
		args := make([]any, 0, n*len(cols))
		one := "(" + placeholders(len(cols)) + ")"
		for i, r := range rows[:n] {
			if i > 0 {
				b.WriteString(", ")
			}
			b.WriteString(one)
			args = append(args, r...)
		}
		b.WriteString(" " + suffix)
		if _, err := tx.ExecContext(ctx, s.q(b.String()), args...); err != nil {
			return fmt.Errorf("insert into %s: %w", table, err)
		}
		rows = rows[n:]
	}
	return nil
}
