package store

import (
	"context"
	"errors"
	"time"
)

// Tokens keeps the API tokens of customs serve (docs/serve.md, "Security").
// The store holds a token's hash, never the token: whoever reads the
// database cannot call the API with what is there.
type Tokens interface {
	// CreateToken stores t; its ID must be new.
	CreateToken(ctx context.Context, t Token) error
	// Token returns the token with the ID, revoked or not, or ErrNoToken.
	Token(ctx context.Context, id string) (Token, error)
	// Tokens lists every token, revoked ones too, oldest first.
	Tokens(ctx context.Context) ([]Token, error)
	// RevokeToken marks the token revoked at at; revoking a revoked
	// token keeps its first revocation time. An unknown ID is ErrNoToken.
	RevokeToken(ctx context.Context, id string, at time.Time) error
	// TokenUsed records that the token was used at at, unless a later
	// use is recorded already.
	TokenUsed(ctx context.Context, id string, at time.Time) error
}

// ErrNoToken is the error for a token ID the store does not hold.
var ErrNoToken = errors.New("no such token")

// Token is an API token as the store keeps it.
type Token struct {
	// ID is the token's public part: it names the token in lists, audit
	// logs and `customs token revoke`.
	ID   string `json:"id"`
	Name string `json:"name"`
	// Scope is "read", "scan" or "admin".
	Scope string `json:"scope"`
	// Hash is the hex SHA-256 of the whole token; never shown.
	Hash      string    `json:"-"`
	CreatedAt time.Time `json:"createdAt"`
	LastUsed  time.Time `json:"lastUsed,omitzero"`
	RevokedAt time.Time `json:"revokedAt,omitzero"`
}
