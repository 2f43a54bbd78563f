package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sort"
	"strconv"
	"time"

	"github.com/customs-scanner/customs/internal/atomicfile"
	"github.com/customs-scanner/customs/internal/vulndb"
)

//go:embed migrations/*.sql
var migrations embed.FS

// batchSize is how many advisories go into one transaction during a build.
const batchSize = 5000

// Writer builds a new DB file. It writes into a temporary file in the
// directory of the target path and renames it over the target on Commit, so a
// crash or an error never leaves a half-written DB at the target, and readers
// of the old file are never blocked. A Writer is not safe for concurrent use.
type Writer struct {
	path, tmp string
	held      *os.File
	db        *sql.DB
	tx        *sql.Tx
	insAdv    *sql.Stmt
	selAdv    *sql.Stmt
	updAdv    *sql.Stmt
	insAff    *sql.Stmt
	insKEV    *sql.Stmt
	insEPSS   *sql.Stmt
	pending   int
	sources   []vulndb.SourceInfo
	built     time.Time

	advisories, affected int
	closed               bool
}

var _ vulndb.Sink = (*Writer)(nil)

// Create starts a new DB that Commit will move to path.
func Create(ctx context.Context, path string) (*Writer, error) {
	dir, base := filepath.Split(path)
	if dir == "" {
		dir = "."
	}
	f, err := os.CreateTemp(dir, "."+base+".*.tmp")
	if err != nil {
		return nil, fmt.Errorf("create vulnerability DB %s: %w", path, err)
	}
	// Held open until Commit or Abort, so that a build that cleans up
	// after killed ones (atomicfile.RemoveStale) leaves this one alone.
	atomicfile.Hold(f)
	w := &Writer{path: path, tmp: f.Name(), held: f}
	if err := w.init(ctx); err != nil {
		w.Abort()
		return nil, fmt.Errorf("create vulnerability DB %s: %w", path, err)
	}
	return w, nil
}

func (w *Writer) init(ctx context.Context) error {
	db, err := sql.Open("sqlite", w.tmp)
	if err != nil {
		return err
	}
	w.db = db
	// One connection: the pragmas below are per connection, and the build is
	// sequential anyway.
	db.SetMaxOpenConns(1)
	for _, p := range []string{
		"PRAGMA journal_mode = OFF",
		"PRAGMA synchronous = OFF",
		"PRAGMA locking_mode = EXCLUSIVE",
		"PRAGMA temp_store = MEMORY",
		"PRAGMA cache_size = -65536",
	} {
		if _, err := db.ExecContext(ctx, p); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
	}
	if err := migrate(ctx, db); err != nil {
		return err
	}
	return w.begin(ctx)
}

// migrate runs the embedded migrations in file name order.
func migrate(ctx context.Context, db *sql.DB) error {
	names, err := fs.Glob(migrations, "migrations/*.sql")
	if err != nil {
		return err
	}
	sort.Strings(names)
	for _, name := range names {
		b, err := migrations.ReadFile(name)
		if err != nil {
			return err
		}
		if _, err := db.ExecContext(ctx, string(b)); err != nil {
			return fmt.Errorf("migration %s: %w", name, err)
		}
	}
	return nil
}

func (w *Writer) begin(ctx context.Context) error {
	tx, err := w.db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	w.tx = tx
	prep := func(q string) *sql.Stmt {
		if err != nil {
			return nil
		}
		var s *sql.Stmt
		s, err = tx.PrepareContext(ctx, q)
		return s
	}
	w.insAdv = prep(`INSERT INTO advisories (id, source, json) VALUES (?1, ?2, ?3) ON CONFLICT (id, source) DO NOTHING RETURNING rowid`)
	w.selAdv = prep(`SELECT rowid, json FROM advisories WHERE id = ?1 AND source = ?2`)
	w.updAdv = prep(`UPDATE advisories SET json = ?2 WHERE rowid = ?1`)
	w.insAff = prep(`INSERT INTO affected (advisory, ecosystem, package, json) VALUES (?1, ?2, ?3, ?4)`)
	w.insKEV = prep(`INSERT INTO kev (cve, json) VALUES (?1, ?2) ON CONFLICT (cve) DO UPDATE SET json = excluded.json`)
	w.insEPSS = prep(`INSERT INTO epss (cve, score, percentile, date) VALUES (?1, ?2, ?3, ?4) ON CONFLICT (cve) DO UPDATE SET score = excluded.score, percentile = excluded.percentile, date = excluded.date WHERE excluded.date >= epss.date`)
	return err
}

func (w *Writer) commitBatch() error {
	tx := w.tx
	w.tx = nil
	w.pending = 0
	return tx.Commit()
}

// Add stores one advisory (implements vulndb.Sink). Advisories are keyed on
// (ID, Source): adding a second advisory with the same key keeps the first
// one's fields, adds the aliases it lacks and adds the second one's Affected
// records to it. Every
// Affected needs an Ecosystem and a Package.
func (w *Writer) Add(ctx context.Context, a *vulndb.Advisory) error {
	if w.closed {
		return errors.New("add advisory: writer is closed")
	}
	if a == nil || a.ID == "" || a.Source == "" {
		return errors.New("add advisory: missing ID or source")
	}
	for i, af := range a.Affected {
		if af.Ecosystem == "" || af.Package == "" {
			return fmt.Errorf("add advisory %s: affected[%d] has no ecosystem or package", a.ID, i)
		}
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if w.tx == nil {
		if err := w.begin(ctx); err != nil {
			return fmt.Errorf("add advisory %s: %w", a.ID, err)
		}
	}
	head := *a
	head.Affected = nil
	advJSON, err := json.Marshal(&head)
	if err != nil {
		return fmt.Errorf("add advisory %s: %w", a.ID, err)
	}
	var rowid int64
	err = w.insAdv.QueryRowContext(ctx, a.ID, a.Source, advJSON).Scan(&rowid)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		err = w.mergeAliases(ctx, a, &rowid)
	case err == nil:
		w.advisories++
	}
	if err != nil {
		return fmt.Errorf("add advisory %s: %w", a.ID, err)
	}
	for _, af := range a.Affected {
		b, err := json.Marshal(&af)
		if err != nil {
			return fmt.Errorf("add advisory %s: %w", a.ID, err)
		}
		if _, err := w.insAff.ExecContext(ctx, rowid, af.Ecosystem, af.Package, b); err != nil {
			return fmt.Errorf("add advisory %s: %w", a.ID, err)
		}
		w.affected++
	}
	w.pending++
	if w.pending >= batchSize {
		if err := w.commitBatch(); err != nil {
			return fmt.Errorf("add advisory %s: %w", a.ID, err)
		}
	}
	return nil
}

// mergeAliases finds the stored advisory with a's key and adds a's aliases
// it lacks.
func (w *Writer) mergeAliases(ctx context.Context, a *vulndb.Advisory, rowid *int64) error {
	var stored []byte
	if err := w.selAdv.QueryRowContext(ctx, a.ID, a.Source).Scan(rowid, &stored); err != nil {
		return err
	}
	var have vulndb.Advisory
	if err := json.Unmarshal(stored, &have); err != nil {
		return err
	}
	changed := false
	for _, al := range a.Aliases {
		if !slices.Contains(have.Aliases, al) {
			have.Aliases = append(have.Aliases, al)
			changed = true
		}
	}
	if !changed {
		return nil
	}
	b, err := json.Marshal(&have)
	if err != nil {
		return err
	}
	_, err = w.updAdv.ExecContext(ctx, *rowid, b)
	return err
}

// Counts returns how many distinct advisories and how many affected records
// have been added so far. A builder takes the difference around one feed's
// import to fill SourceInfo.
func (w *Writer) Counts() (advisories, affected int) {
	return w.advisories, w.affected
}

// AddSource records one imported feed; it is written on Commit.
func (w *Writer) AddSource(s vulndb.SourceInfo) {
	w.sources = append(w.sources, s)
}

// SetBuilt sets the build time recorded in the DB; the default is the time of
// Commit.
func (w *Writer) SetBuilt(t time.Time) {
	w.built = t
}

// Commit finishes the DB: writes meta and sources, analyzes, closes the file,
// syncs it to disk and renames it over the target path. After Commit (whatever
// its result) the Writer is closed and its temporary file is gone.
func (w *Writer) Commit(ctx context.Context) error {
	if w.closed {
		return errors.New("commit vulnerability DB: writer is closed")
	}
	if err := w.finish(ctx); err != nil {
		w.Abort()
		return fmt.Errorf("commit vulnerability DB %s: %w", w.path, err)
	}
	return nil
}

func (w *Writer) finish(ctx context.Context) error {
	if w.tx == nil {
		if err := w.begin(ctx); err != nil {
			return err
		}
	}
	built := w.built
	if built.IsZero() {
		built = time.Now()
	}
	for k, v := range map[string]string{
		"schema_version": strconv.Itoa(vulndb.SchemaVersion),
		"built":          built.UTC().Format(time.RFC3339Nano),
	} {
		if _, err := w.tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?1, ?2)`, k, v); err != nil {
			return err
		}
	}
	for _, s := range w.sources {
		if _, err := w.tx.ExecContext(ctx, `INSERT INTO sources (kind, path, advisories, affected, imported) VALUES (?1, ?2, ?3, ?4, ?5)`,
			s.Kind, s.Path, s.Advisories, s.Affected, s.Imported.UTC().Format(time.RFC3339Nano)); err != nil {
			return err
		}
	}
	if err := w.pack(ctx); err != nil {
		return fmt.Errorf("pack: %w", err)
	}
	if err := w.commitBatch(); err != nil {
		return err
	}
	// VACUUM drops the staging tables' pages from the file. Small pages
	// waste less space around the compressed runs (a few KiB each) that
	// fill most of the file: 1 KiB pages make it 6% smaller than 4 KiB.
	for _, q := range []string{"PRAGMA page_size = 1024", "VACUUM", "ANALYZE"} {
		if _, err := w.db.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	err := w.db.Close()
	w.db = nil
	if err != nil {
		return err
	}
	f, err := os.OpenFile(w.tmp, os.O_RDWR, 0)
	if err != nil {
		return err
	}
	if err := f.Chmod(0o644); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	if err := os.Rename(w.tmp, w.path); err != nil {
		return err
	}
	w.closed = true
	w.held.Close()
	syncDir(filepath.Dir(w.path))
	return nil
}

// syncDir makes the rename durable where the platform supports it.
func syncDir(dir string) {
	if d, err := os.Open(dir); err == nil {
		d.Sync()
		d.Close()
	}
}

// Abort discards the DB being built and removes its temporary file. It is a
// no-op after Commit.
func (w *Writer) Abort() {
	if w.closed {
		return
	}
	w.closed = true
	if w.tx != nil {
		w.tx.Rollback()
		w.tx = nil
	}
	if w.db != nil {
		w.db.Close()
		w.db = nil
	}
	for _, suffix := range []string{"", "-journal", "-wal", "-shm"} {
		os.Remove(w.tmp + suffix)
	}
	w.held.Close()
}

var (
	_ vulndb.KEVSink  = (*Writer)(nil)
	_ vulndb.EPSSSink = (*Writer)(nil)
)

// AddKEV stores one KEV catalog entry (implements vulndb.KEVSink); a later
// entry for the same CVE replaces an earlier one.
func (w *Writer) AddKEV(ctx context.Context, k vulndb.KEV) error {
	if k.CVE == "" {
		return errors.New("add KEV entry: no CVE")
	}
	b, err := json.Marshal(&k)
	if err != nil {
		return fmt.Errorf("add KEV entry %s: %w", k.CVE, err)
	}
	return w.exec(ctx, "add KEV entry "+k.CVE, func() error {
		_, err := w.insKEV.ExecContext(ctx, k.CVE, b)
		return err
	})
}

// AddEPSS stores one EPSS score (implements vulndb.EPSSSink); of several
// scores for a CVE the one with the newest date is kept.
func (w *Writer) AddEPSS(ctx context.Context, e vulndb.EPSS) error {
	if e.CVE == "" {
		return errors.New("add EPSS score: no CVE")
	}
	return w.exec(ctx, "add EPSS score "+e.CVE, func() error {
		_, err := w.insEPSS.ExecContext(ctx, e.CVE, e.Score, e.Percentile, e.Date)
		return err
	})
}

// exec runs one insert inside the current batch transaction.
func (w *Writer) exec(ctx context.Context, what string, insert func() error) error {
	if w.closed {
		return fmt.Errorf("%s: writer is closed", what)
	}
	if err := ctx.Err(); err != nil {
		return err
	}
	if w.tx == nil {
		if err := w.begin(ctx); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	if err := insert(); err != nil {
		return fmt.Errorf("%s: %w", what, err)
	}
	w.pending++
	if w.pending >= batchSize {
		if err := w.commitBatch(); err != nil {
			return fmt.Errorf("%s: %w", what, err)
		}
	}
	return nil
}
