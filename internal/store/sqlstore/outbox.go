package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"slices"
	"time"

	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/store"
)

// Current returns every subject's current snapshot.
func (s *Store) Current(ctx context.Context) ([]store.Current, error) {
	var out []store.Current
	var subjectIDs []int64
	err := s.query(ctx, `SELECT sj.id, sn.id, sn.scanned_at, sn.db, sn.tool FROM subject sj JOIN snapshot sn ON sn.id = sj.current_snapshot ORDER BY sj.id`, nil, func(r *sql.Rows) error {
		var c store.Current
		var subject int64
		var scanned timeValue
		var db string
		if err := r.Scan(&subject, &c.Snapshot, &scanned, &db, &c.Tool); err != nil {
			return err
		}
		c.ScannedAt = scanned.t
		if db != "" {
			c.DB = &report.DB{}
			if err := json.Unmarshal([]byte(db), c.DB); err != nil {
				return fmt.Errorf("snapshot %d: DB block: %w", c.Snapshot, err)
			}
		}
		out = append(out, c)
		subjectIDs = append(subjectIDs, subject)
		return nil
	})
	if err != nil {
		return nil, err
	}
	subjects, err := s.subjects(ctx, slices.Clone(subjectIDs))
	if err != nil {
		return nil, err
	}
	for i, id := range subjectIDs {
		out[i].Subject = subjects[id]
	}
	return out, nil
}

const deliveryColumns = `o.id, sj.name, o.snapshot, o.target, o.body, o.created_at, o.attempts, o.next_attempt, o.last_error, o.state`

func scanDelivery(r *sql.Rows) (store.Delivery, error) {
	var d store.Delivery
	var body string
	var created, next timeValue
	if err := r.Scan(&d.ID, &d.Subject, &d.Snapshot, &d.Target, &body, &created, &d.Attempts, &next, &d.LastError, &d.State); err != nil {
		return d, err
	}
	d.Body, d.CreatedAt, d.NextAttempt = []byte(body), created.t, next.t
	return d, nil
}

func (s *Store) deliveries(ctx context.Context, where string, args []any) ([]store.Delivery, error) {
	var out []store.Delivery
	err := s.query(ctx, `SELECT `+deliveryColumns+` FROM outbox o JOIN subject sj ON sj.id = o.subject WHERE `+where, args, func(r *sql.Rows) error {
		d, err := scanDelivery(r)
		out = append(out, d)
		return err
	})
	return out, err
}

// Due returns the pending deliveries whose time has come.
func (s *Store) Due(ctx context.Context, now time.Time, limit int) ([]store.Delivery, error) {
	return s.deliveries(ctx, `o.state = ? AND o.next_attempt <= ? ORDER BY o.created_at, o.id LIMIT ?`, []any{store.Pending, s.d.Time(now), limit})
}

// Undelivered returns the pending and failed deliveries.
func (s *Store) Undelivered(ctx context.Context) ([]store.Delivery, error) {
	return s.deliveries(ctx, `o.state <> ? ORDER BY o.created_at, o.id`, []any{store.Delivered})
}

// Attempted records an attempt at a delivery.
func (s *Store) Attempted(ctx context.Context, id string, at time.Time, errText string, next time.Time) error {
	state, delivered := store.Pending, any(nil)
	switch {
	case errText == "":
		state, delivered, next = store.Delivered, s.d.Time(at), at
	case next.IsZero():
		state, next = store.Failed, at
	}
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q(`UPDATE outbox SET attempts = attempts + 1, last_error = ?, state = ?, next_attempt = ?, delivered_at = ? WHERE id = ?`),
			errText, state, s.d.Time(next), delivered, id)
		return err
	})
	if err != nil {
		return fmt.Errorf("store %s: delivery %s: %w", s.name, id, err)
	}
	return nil
}
