package sqlstore

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"time"

	"github.com/customs-scanner/customs/internal/store"
)

const tokenColumns = `id, name, scope, hash, created_at, last_used, revoked_at`

func scanToken(r interface{ Scan(...any) error }) (store.Token, error) {
	var t store.Token
	var created, used, revoked timeValue
	if err := r.Scan(&t.ID, &t.Name, &t.Scope, &t.Hash, &created, &used, &revoked); err != nil {
		return t, err
	}
	t.CreatedAt, t.LastUsed, t.RevokedAt = created.t, used.t, revoked.t
	return t, nil
}

// CreateToken stores t.
func (s *Store) CreateToken(ctx context.Context, t store.Token) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q(`INSERT INTO api_token (`+tokenColumns+`) VALUES (?, ?, ?, ?, ?, ?, ?)`),
			t.ID, t.Name, t.Scope, t.Hash, s.d.Time(t.CreatedAt), s.nullTime(t.LastUsed), s.nullTime(t.RevokedAt))
		return err
	})
	if err != nil {
		return fmt.Errorf("store %s: create token %s: %w", s.name, t.ID, err)
	}
	return nil
}

// Token returns the token with the ID.
func (s *Store) Token(ctx context.Context, id string) (store.Token, error) {
	t, err := scanToken(s.db.QueryRowContext(ctx, s.q(`SELECT `+tokenColumns+` FROM api_token WHERE id = ?`), id))
	if errors.Is(err, sql.ErrNoRows) {
		return t, fmt.Errorf("token %s: %w", id, store.ErrNoToken)
	}
	if err != nil {
		return t, fmt.Errorf("store %s: token %s: %w", s.name, id, err)
	}
	return t, nil
}

// Tokens lists every token, oldest first.
func (s *Store) Tokens(ctx context.Context) ([]store.Token, error) {
	out := []store.Token{}
	err := s.query(ctx, `SELECT `+tokenColumns+` FROM api_token ORDER BY created_at, id`, nil, func(r *sql.Rows) error {
		t, err := scanToken(r)
		out = append(out, t)
		return err
	})
	return out, err
}

// RevokeToken marks the token revoked.
func (s *Store) RevokeToken(ctx context.Context, id string, at time.Time) error {
	var n int64
	err := s.write(ctx, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, s.q(`UPDATE api_token SET revoked_at = COALESCE(revoked_at, ?) WHERE id = ?`), s.d.Time(at), id)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	if err != nil {
		return fmt.Errorf("store %s: revoke token %s: %w", s.name, id, err)
	}
	if n == 0 {
		return fmt.Errorf("token %s: %w", id, store.ErrNoToken)
	}
	return nil
}

// TokenUsed records a use of the token: one UPDATE, which leaves a later
// use time in place.
func (s *Store) TokenUsed(ctx context.Context, id string, at time.Time) error {
	err := s.write(ctx, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, s.q(`UPDATE api_token SET last_used = ? WHERE id = ? AND (last_used IS NULL OR last_used < ?)`),
			s.d.Time(at), id, s.d.Time(at))
		return err
	})
	if err != nil {
		return fmt.Errorf("store %s: token %s: %w", s.name, id, err)
	}
	return nil
}
