package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/store"
)

// testTokens creates, lists, uses and revokes API tokens, through two
// connections as two serve processes have.
func testTokens(t *testing.T, b Backend, _ *Reports) {
	name := b.Fresh(t)
	s, other := open(t, b, name), open(t, b, name)
	ctx := t.Context()
	t0 := time.Date(2026, 12, 6, 7, 0, 0, 0, time.UTC)
	ci := store.Token{ID: "0123456789abcdef", Name: "ci", Scope: "scan", Hash: "aa11", CreatedAt: t0}
	harbor := store.Token{ID: "fedcba9876543210", Name: "harbor", Scope: "read", Hash: "bb22", CreatedAt: t0.Add(time.Minute)}
	for _, tok := range []store.Token{harbor, ci} {
		if err := s.CreateToken(ctx, tok); err != nil {
			t.Fatal(err)
		}
	}
	if err := other.CreateToken(ctx, ci); err == nil {
		t.Error("a second token with ci's ID was stored")
	}
	got, err := other.Tokens(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]store.Token{ci, harbor}, got); diff != "" {
		t.Errorf("Tokens (-want +got):\n%s", diff)
	}
	if _, err := s.Token(ctx, "0000000000000000"); !errors.Is(err, store.ErrNoToken) {
		t.Errorf("unknown token: %v, want ErrNoToken", err)
	}
	used := t0.Add(time.Hour)
	if err := s.TokenUsed(ctx, ci.ID, used); err != nil {
		t.Fatal(err)
	}
	// A use recorded late by another process does not move it back.
	if err := other.TokenUsed(ctx, ci.ID, used.Add(-time.Minute)); err != nil {
		t.Fatal(err)
	}
	revoked := t0.Add(2 * time.Hour)
	if err := other.RevokeToken(ctx, ci.ID, revoked); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeToken(ctx, ci.ID, revoked.Add(time.Hour)); err != nil {
		t.Fatal(err)
	}
	if err := s.RevokeToken(ctx, "0000000000000000", revoked); !errors.Is(err, store.ErrNoToken) {
		t.Errorf("revoking an unknown token: %v, want ErrNoToken", err)
	}
	g, err := s.Token(ctx, ci.ID)
	if err != nil {
		t.Fatal(err)
	}
	want := ci
	want.LastUsed, want.RevokedAt = used, revoked
	if diff := cmp.Diff(want, g); diff != "" {
		t.Errorf("Token after use and revocation (-want +got):\n%s", diff)
	}
}
