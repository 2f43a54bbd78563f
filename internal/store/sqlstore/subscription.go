package sqlstore

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"

	"github.com/customs-scanner/customs/internal/store"
)

const subscriptionColumns = `id, url, secret, filter, created_at, updated_at`

func scanSubscription(r interface{ Scan(...any) error }) (store.Subscription, error) {
	var sub store.Subscription
	var filter string
	var created, updated timeValue
	if err := r.Scan(&sub.ID, &sub.URL, &sub.Secret, &filter, &created, &updated); err != nil {
		return sub, err
	}
	if err := json.Unmarshal([]byte(filter), &sub.Filter); err != nil {
		return sub, fmt.Errorf("subscription %s: filter: %w", sub.ID, err)
	}
	sub.CreatedAt, sub.UpdatedAt = created.t, updated.t
	return sub, nil
}

// urlTaken reports whether a subscription other than id has url.
func (s *Store) urlTaken(ctx context.Context, tx *sql.Tx, url, id string) error {
	var n int
	if err := tx.QueryRowContext(ctx, s.q(`SELECT count(*) FROM subscription WHERE (url = ? OR id = ?) AND id <> ?`), url, id, id).Scan(&n); err != nil {
		return err
	}
	if n > 0 {
		return store.ErrSubscriptionExists
	}
	return nil
}

// CreateSubscription stores sub.
func (s *Store) CreateSubscription(ctx context.Context, sub store.Subscription) error {
	filter, err := json.Marshal(sub.Filter)
	if err != nil {
		return err
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, s.q(`SELECT count(*) FROM subscription WHERE url = ? OR id = ?`), sub.URL, sub.ID).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return store.ErrSubscriptionExists
		}
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO subscription (`+subscriptionColumns+`) VALUES (?, ?, ?, ?, ?, ?)`),
			sub.ID, sub.URL, sub.Secret, string(filter), s.d.Time(sub.CreatedAt), s.d.Time(sub.UpdatedAt))
		return err
	})
	if errors.Is(err, store.ErrSubscriptionExists) {
		return fmt.Errorf("subscription %s: %w", sub.ID, err)
	}
	if err != nil {
		return fmt.Errorf("store %s: create subscription %s: %w", s.name, sub.ID, err)
	}
	return nil
}

// Subscription returns the subscription with the ID.
func (s *Store) Subscription(ctx context.Context, id string) (store.Subscription, error) {
	sub, err := scanSubscription(s.db.QueryRowContext(ctx, s.q(`SELECT `+subscriptionColumns+` FROM subscription WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return sub, fmt.Errorf("subscription %s: %w", id, store.ErrNoSubscription)
	}
	if err != nil {
		return sub, fmt.Errorf("store %s: subscription %s: %w", s.name, id, err)
	}
	return sub, nil
}

// Subscriptions lists every subscription, oldest first.
func (s *Store) Subscriptions(ctx context.Context) ([]store.Subscription, error) {
	out := []store.Subscription{}
	err := s.query(ctx, `SELECT `+subscriptionColumns+` FROM subscription ORDER BY created_at, id`, nil, func(r *sql.Rows) error {
		sub, err := scanSubscription(r)
		out = append(out, sub)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("store %s: subscriptions: %w", s.name, err)
	}
	return out, nil
}

// UpdateSubscription replaces the subscription with sub's ID.
func (s *Store) UpdateSubscription(ctx context.Context, sub store.Subscription) error {
	filter, err := json.Marshal(sub.Filter)
	if err != nil {
		return err
	}
	err = s.write(ctx, func(tx *sql.Tx) error {
		if err := s.urlTaken(ctx, tx, sub.URL, sub.ID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, s.q(`UPDATE subscription SET url = ?, secret = ?, filter = ?, updated_at = ? WHERE id = ?`),
			sub.URL, sub.Secret, string(filter), s.d.Time(sub.UpdatedAt), sub.ID)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil || n == 0 {
			return cmpErr(err, store.ErrNoSubscription)
		}
		return nil
	})
	if errors.Is(err, store.ErrSubscriptionExists) || errors.Is(err, store.ErrNoSubscription) {
		return fmt.Errorf("subscription %s: %w", sub.ID, err)
	}
	if err != nil {
		return fmt.Errorf("store %s: update subscription %s: %w", s.name, sub.ID, err)
	}
	return nil
}

// DeleteSubscription deletes the subscription with the ID.
func (s *Store) DeleteSubscription(ctx context.Context, id string) error {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`DELETE FROM subscription WHERE id = ?`), id)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("store %s: delete subscription %s: %w", s.name, id, err)
	}
	if n == 0 {
		return fmt.Errorf("subscription %s: %w", id, store.ErrNoSubscription)
	}
	return nil
}

// cmpErr is err, or else fallback.
func cmpErr(err, fallback error) error {
	if err != nil {
		return err
	}
	return fallback
}
