package service

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"
	"github.com/riverqueue/river"
	"github.com/riverqueue/river/riverdriver"
	"github.com/riverqueue/river/riverdriver/riverpgxv5"
	"github.com/riverqueue/river/riverdriver/riversqlite"
	"github.com/riverqueue/river/rivermigrate"
	"github.com/riverqueue/river/rivertype"

	"github.com/customs-scanner/customs/internal/store"
)

// queue is River over one of its drivers.
type queue interface {
	start(ctx context.Context) error
	stop(ctx context.Context) error
	close() error
	insert(ctx context.Context, a scanArgs) (Job, bool, error)
	get(ctx context.Context, id string) (Job, error)
	ping(ctx context.Context) error
	// list returns a page of scan jobs, newest first (Service.Jobs).
	list(ctx context.Context, cursor string, limit int) ([]Job, string, error)
	// counts returns the number of scan jobs by River state.
	counts(ctx context.Context) (map[string]int, error)
	// beat marks the running jobs ids as alive.
	beat(ctx context.Context, ids []int64) error
	// estimate returns the jobs ahead of id, the running ones and the
	// recent mean run time.
	estimate(ctx context.Context, id int64) (ahead, running int, mean time.Duration, err error)
	// reap queues again the running scan jobs whose last beat is older
	// than after, and returns how many.
	reap(ctx context.Context, after time.Duration) (int, error)
}

// uniqueStates are the states in which a job for the same arguments is a
// duplicate: queued, running or completed (the arguments name the DB
// build, so a DB update makes a new job); a failed one can be asked for
// again.
var uniqueStates = rivertype.UniqueOptsByStateDefault()

// retryPolicy retries soon: a scan fails for a reason that is over in
// seconds (a registry's hiccup) or not at all.
type retryPolicy struct{}

func (retryPolicy) NextRetry(j *rivertype.JobRow) time.Time {
	d := time.Second << min(max(j.Attempt-1, 0), 6)
	return time.Now().Add(min(d, time.Minute))
}

type riverQueue[TTx any] struct {
	s      *Service
	c      *river.Client[TTx]
	driver riverdriver.Driver[TTx]
	// exec runs a statement returning rows affected; query one returning
	// (state, count) rows.
	exec    func(ctx context.Context, q string, args ...any) (int64, error)
	query   func(ctx context.Context, q string) (map[string]int, error)
	row     func(ctx context.Context, q string, args []any, dest ...any) error
	pingDB  func(ctx context.Context) error
	closeDB func()
	sqlite  bool
	working bool
}

// openQueue opens River on the store's database, migrating its tables.
func openQueue(ctx context.Context, s *Service) (queue, error) {
	d, err := store.ParseDSN(s.cfg.DSN)
	if err != nil {
		return nil, err
	}
	if d.Backend == store.Postgres {
		pool, err := pgxpool.New(ctx, d.Target)
		if err != nil {
			return nil, fmt.Errorf("queue %s: %w", d, err)
		}
		q := &riverQueue[pgx.Tx]{s: s, driver: riverpgxv5.New(pool), closeDB: pool.Close, pingDB: pool.Ping}
		q.exec = func(ctx context.Context, sql string, args ...any) (int64, error) {
			t, err := pool.Exec(ctx, sql, args...)
			return t.RowsAffected(), err
		}
		q.row = func(ctx context.Context, sql string, args []any, dest ...any) error {
			return pool.QueryRow(ctx, sql, args...).Scan(dest...)
		}
		q.query = func(ctx context.Context, sql string) (map[string]int, error) {
			rows, err := pool.Query(ctx, sql)
			if err != nil {
				return nil, err
			}
			return scanCounts(rows.Next, rows.Scan, rows.Err, rows.Close)
		}
		// Processes starting together migrate one at a time.
		conn, err := pool.Acquire(ctx)
		if err != nil {
			pool.Close()
			return nil, fmt.Errorf("queue %s: %w", d, err)
		}
		defer conn.Release()
		if _, err := conn.Exec(ctx, "SELECT pg_advisory_lock(7707)"); err != nil {
			pool.Close()
			return nil, fmt.Errorf("queue %s: %w", d, err)
		}
		defer conn.Exec(context.WithoutCancel(ctx), "SELECT pg_advisory_unlock(7707)")
		if err := q.open(ctx); err != nil {
			pool.Close()
			return nil, err
		}
		return q, nil
	}
	abs, err := filepath.Abs(d.Target)
	if err != nil {
		return nil, err
	}
	v := url.Values{}
	v.Add("_pragma", "busy_timeout(30000)")
	v.Add("_pragma", "journal_mode(WAL)")
	v.Add("_pragma", "synchronous(NORMAL)")
	v.Set("_txlock", "immediate")
	db, err := sql.Open("sqlite", (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: v.Encode()}).String())
	if err != nil {
		return nil, fmt.Errorf("queue %s: %w", d, err)
	}
	// River's SQLite driver runs one operation at a time (its advice).
	db.SetMaxOpenConns(1)
	q := &riverQueue[*sql.Tx]{s: s, driver: riversqlite.New(db), closeDB: func() { db.Close() }, pingDB: db.PingContext, sqlite: true}
	q.exec = func(ctx context.Context, q string, args ...any) (int64, error) {
		r, err := db.ExecContext(ctx, q, args...)
		if err != nil {
			return 0, err
		}
		return r.RowsAffected()
	}
	q.row = func(ctx context.Context, q string, args []any, dest ...any) error {
		return db.QueryRowContext(ctx, q, args...).Scan(dest...)
	}
	q.query = func(ctx context.Context, q string) (map[string]int, error) {
		rows, err := db.QueryContext(ctx, q)
		if err != nil {
			return nil, err
		}
		return scanCounts(rows.Next, func(d ...any) error { return rows.Scan(d...) }, rows.Err, func() { rows.Close() })
	}
	if err := q.open(ctx); err != nil {
		db.Close()
		return nil, err
	}
	return q, nil
}

func scanCounts(next func() bool, scan func(...any) error, errf func() error, closef func()) (map[string]int, error) {
	defer closef()
	out := map[string]int{}
	for next() {
		var st string
		var n int
		if err := scan(&st, &n); err != nil {
			return nil, err
		}
		out[st] = n
	}
	return out, errf()
}

// open migrates River's tables and makes the client.
func (q *riverQueue[TTx]) open(ctx context.Context) error {
	s := q.s
	m, err := rivermigrate.New(q.driver, &rivermigrate.Config{Logger: quiet(s.log)})
	if err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	if _, err := m.Migrate(ctx, rivermigrate.DirectionUp, nil); err != nil {
		return fmt.Errorf("queue: migrate: %w", err)
	}
	workers := river.NewWorkers()
	river.AddWorker(workers, &scanWorker{s: s})
	river.AddWorker(workers, &dbUpdateWorker{s: s})
	cfg := &river.Config{
		Logger:      quiet(s.log),
		Workers:     workers,
		MaxAttempts: s.cfg.MaxAttempts,
		JobTimeout:  s.cfg.ScanTimeout,
		// The backstop for a job whose process lives but never ends it;
		// a killed worker's job is rescued by reap within RescueAfter.
		RescueStuckJobsAfter: s.cfg.ScanTimeout + time.Minute,
		RetryPolicy:          retryPolicy{},
		FetchPollInterval:    time.Second,
	}
	if q.sqlite {
		cfg.PollOnly = true
	}
	if s.cfg.Workers > 0 {
		cfg.Queues = map[string]river.QueueConfig{river.QueueDefault: {MaxWorkers: s.cfg.Workers}}
		if s.cfg.DBUpdate != nil && s.cfg.DBUpdateEvery > 0 {
			every := s.cfg.DBUpdateEvery
			cfg.PeriodicJobs = []*river.PeriodicJob{river.NewPeriodicJob(river.PeriodicInterval(every),
				func() (river.JobArgs, *river.InsertOpts) {
					return dbUpdateArgs{}, &river.InsertOpts{MaxAttempts: 3, UniqueOpts: river.UniqueOpts{ByPeriod: every}}
				}, nil)}
		}
	}
	c, err := river.NewClient(q.driver, cfg)
	if err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	q.c = c
	return nil
}

func (q *riverQueue[TTx]) start(ctx context.Context) error {
	if q.s.cfg.Workers == 0 {
		return nil
	}
	if err := q.c.Start(ctx); err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	q.working = true
	go q.s.keepAlive()
	return nil
}

func (q *riverQueue[TTx]) stop(ctx context.Context) error {
	if !q.working {
		return nil
	}
	q.working = false
	err := q.c.Stop(ctx)
	if errors.Is(err, context.DeadlineExceeded) || errors.Is(err, context.Canceled) {
		// Cancelled jobs go back to the queue (retryable).
		cctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
		defer cancel()
		return q.c.StopAndCancel(cctx)
	}
	return err
}

func (q *riverQueue[TTx]) close() error {
	q.closeDB()
	return nil
}

func (q *riverQueue[TTx]) ping(ctx context.Context) error { return q.pingDB(ctx) }

func (q *riverQueue[TTx]) insert(ctx context.Context, a scanArgs) (Job, bool, error) {
	res, err := q.c.Insert(ctx, a, &river.InsertOpts{
		MaxAttempts: q.s.cfg.MaxAttempts,
		UniqueOpts:  river.UniqueOpts{ByArgs: true, ByState: uniqueStates},
	})
	if err != nil {
		return Job{}, false, fmt.Errorf("queue a scan: %w", err)
	}
	return jobOf(res.Job), res.UniqueSkippedAsDuplicate, nil
}

func (q *riverQueue[TTx]) get(ctx context.Context, id string) (Job, error) {
	n, err := strconv.ParseInt(id, 10, 64)
	if err != nil || n <= 0 {
		return Job{}, ErrNotFound
	}
	row, err := q.c.JobGet(ctx, n)
	if errors.Is(err, river.ErrNotFound) {
		return Job{}, ErrNotFound
	}
	if err != nil {
		return Job{}, err
	}
	if row.Kind != (scanArgs{}).Kind() {
		return Job{}, ErrNotFound
	}
	return jobOf(row), nil
}

// jobOf is a River job as the service shows it.
func jobOf(row *rivertype.JobRow) Job {
	var a scanArgs
	json.Unmarshal(row.EncodedArgs, &a)
	j := Job{ID: strconv.FormatInt(row.ID, 10), Digest: a.Digest, Target: a.Ref, Platform: a.Platform, Scanners: a.Scanners,
		Attempts: row.Attempt, Created: row.CreatedAt.UTC(), Updated: row.CreatedAt.UTC()}
	if row.AttemptedAt != nil {
		j.Updated = row.AttemptedAt.UTC()
	}
	if row.FinalizedAt != nil {
		j.Updated = row.FinalizedAt.UTC()
	}
	switch row.State {
	case rivertype.JobStateRunning:
		j.Status = Running
	case rivertype.JobStateCompleted:
		j.Status = Done
	case rivertype.JobStateCancelled, rivertype.JobStateDiscarded:
		j.Status = Failed
		j.Reason = "the scan was cancelled"
		if n := len(row.Errors); n > 0 {
			j.Reason = row.Errors[n-1].Error
		}
	default:
		j.Status = Queued
	}
	return j
}

func (q *riverQueue[TTx]) counts(ctx context.Context) (map[string]int, error) {
	return q.query(ctx, "SELECT state, count(*) FROM river_job WHERE kind = 'scan' GROUP BY state")
}

func (q *riverQueue[TTx]) beat(ctx context.Context, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	if !q.sqlite {
		_, err := q.exec(ctx, "UPDATE river_job SET attempted_at = now() WHERE id = ANY($1) AND state = 'running'", ids)
		return err
	}
	marks := strings.TrimSuffix(strings.Repeat("?,", len(ids)), ",")
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	_, err := q.exec(ctx, "UPDATE river_job SET attempted_at = datetime('now', 'subsec') WHERE state = 'running' AND id IN ("+marks+")", args...)
	return err
}

// reap does for a killed worker's jobs what River's rescuer does for stuck
// ones, after RescueAfter without a heartbeat instead of River's hour: a
// job with attempts left is available again, else discarded.
func (q *riverQueue[TTx]) reap(ctx context.Context, after time.Duration) (int, error) {
	var n int64
	var err error
	if !q.sqlite {
		n, err = q.exec(ctx, `UPDATE river_job SET
	state = CASE WHEN attempt >= max_attempts THEN 'discarded'::river_job_state ELSE 'available'::river_job_state END,
	finalized_at = CASE WHEN attempt >= max_attempts THEN now() END,
	scheduled_at = now()
WHERE state = 'running' AND kind = 'scan' AND attempted_at < now() - make_interval(secs => $1)`, after.Seconds())
	} else {
		n, err = q.exec(ctx, `UPDATE river_job SET
	state = CASE WHEN attempt >= max_attempts THEN 'discarded' ELSE 'available' END,
	finalized_at = CASE WHEN attempt >= max_attempts THEN datetime('now', 'subsec') END,
	scheduled_at = datetime('now', 'subsec')
WHERE state = 'running' AND kind = 'scan' AND attempted_at < datetime('now', ?, 'subsec')`, fmt.Sprintf("-%.3f seconds", after.Seconds()))
	}
	return int(n), err
}

// running lists the ids of the jobs this process runs.
func (s *Service) running() []int64 {
	s.runMu.Lock()
	defer s.runMu.Unlock()
	ids := make([]int64, 0, len(s.runningJobs))
	for id := range s.runningJobs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return ids
}

// estimate returns how many scan jobs wait ahead of id, how many run, and
// the mean run time of the scans finished in the last hour (0 when none;
// the heartbeat moves attempted_at, so it is low by up to a beat).
func (q *riverQueue[TTx]) estimate(ctx context.Context, id int64) (ahead, running int, mean time.Duration, err error) {
	var avg sql.NullFloat64
	if !q.sqlite {
		err = q.row(ctx, `SELECT
	(SELECT count(*) FROM river_job WHERE kind = 'scan' AND state IN ('available', 'retryable', 'scheduled', 'pending') AND id < $1),
	(SELECT count(*) FROM river_job WHERE kind = 'scan' AND state = 'running'),
	(SELECT avg(extract(epoch FROM finalized_at - attempted_at)) FROM river_job
		WHERE kind = 'scan' AND state = 'completed' AND finalized_at > now() - interval '1 hour')`, []any{id}, &ahead, &running, &avg)
	} else {
		err = q.row(ctx, `SELECT
	(SELECT count(*) FROM river_job WHERE kind = 'scan' AND state IN ('available', 'retryable', 'scheduled', 'pending') AND id < ?),
	(SELECT count(*) FROM river_job WHERE kind = 'scan' AND state = 'running'),
	(SELECT avg((julianday(finalized_at) - julianday(attempted_at)) * 86400) FROM river_job
		WHERE kind = 'scan' AND state = 'completed' AND finalized_at > datetime('now', '-1 hour', 'subsec'))`, []any{id}, &ahead, &running, &avg)
	}
	if avg.Valid {
		mean = time.Duration(avg.Float64 * float64(time.Second))
	}
	return ahead, running, mean, err
}
