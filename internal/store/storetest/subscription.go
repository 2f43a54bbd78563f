package storetest

import (
	"errors"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/store"
)

// testSubscriptions creates, lists, updates and deletes notification
// subscriptions through two connections, as two serve processes have;
// a URL is held by one subscription at a time.
func testSubscriptions(t *testing.T, b Backend, _ *Reports) {
	name := b.Fresh(t)
	s, other := open(t, b, name), open(t, b, name)
	ctx := t.Context()
	t0 := time.Date(2026, 12, 6, 19, 0, 0, 0, time.UTC)
	chat := store.Subscription{ID: "sub_0123456789abcdef", URL: "https://chat.example/hooks/customs", Secret: "s3cret-chat",
		Filter: store.Filter{MinSeverity: "HIGH", KEVOnly: true, Refs: []string{"registry.example/shop/*"}}, CreatedAt: t0, UpdatedAt: t0}
	pager := store.Subscription{ID: "sub_fedcba9876543210", URL: "https://pager.example/in", Secret: "s3cret-pager",
		Filter: store.Filter{FixableOnly: true}, CreatedAt: t0.Add(time.Minute), UpdatedAt: t0.Add(time.Minute)}
	for _, sub := range []store.Subscription{pager, chat} {
		if err := s.CreateSubscription(ctx, sub); err != nil {
			t.Fatal(err)
		}
	}
	dup := chat
	dup.ID = "sub_1111111111111111"
	if err := other.CreateSubscription(ctx, dup); !errors.Is(err, store.ErrSubscriptionExists) {
		t.Errorf("a second subscription for chat's URL: %v, want ErrSubscriptionExists", err)
	}
	got, err := other.Subscriptions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]store.Subscription{chat, pager}, got); diff != "" {
		t.Errorf("Subscriptions (-want +got):\n%s", diff)
	}
	// The secret is kept as given (the events are signed with it).
	if g, err := other.Subscription(ctx, chat.ID); err != nil || g.Secret != chat.Secret {
		t.Errorf("Subscription(%s) = %+v, %v", chat.ID, g, err)
	}
	if _, err := s.Subscription(ctx, "sub_0000000000000000"); !errors.Is(err, store.ErrNoSubscription) {
		t.Errorf("unknown subscription: %v, want ErrNoSubscription", err)
	}

	upd := chat
	upd.URL, upd.Secret, upd.Filter, upd.UpdatedAt = "https://chat.example/hooks/v2", "rotated", store.Filter{MinSeverity: "CRITICAL"}, t0.Add(time.Hour)
	if err := other.UpdateSubscription(ctx, upd); err != nil {
		t.Fatal(err)
	}
	if g, err := s.Subscription(ctx, chat.ID); err != nil || !cmp.Equal(g, upd) {
		t.Errorf("after the update (-want +got):\n%s%v", cmp.Diff(upd, g), err)
	}
	taken := pager
	taken.URL = upd.URL
	if err := s.UpdateSubscription(ctx, taken); !errors.Is(err, store.ErrSubscriptionExists) {
		t.Errorf("moving pager to chat's URL: %v, want ErrSubscriptionExists", err)
	}
	ghost := upd
	ghost.ID, ghost.URL = "sub_0000000000000000", "https://ghost.example/"
	if err := s.UpdateSubscription(ctx, ghost); !errors.Is(err, store.ErrNoSubscription) {
		t.Errorf("updating an unknown subscription: %v, want ErrNoSubscription", err)
	}

	if err := other.DeleteSubscription(ctx, pager.ID); err != nil {
		t.Fatal(err)
	}
	if err := s.DeleteSubscription(ctx, pager.ID); !errors.Is(err, store.ErrNoSubscription) {
		t.Errorf("deleting twice: %v, want ErrNoSubscription", err)
	}
	got, err = s.Subscriptions(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff([]store.Subscription{upd}, got); diff != "" {
		t.Errorf("Subscriptions after the delete (-want +got):\n%s", diff)
	}
	// pager's URL is free again.
	if err := other.CreateSubscription(ctx, store.Subscription{ID: "sub_2222222222222222", URL: pager.URL, Secret: "x", CreatedAt: t0, UpdatedAt: t0}); err != nil {
		t.Errorf("a new subscription for a deleted one's URL: %v", err)
	}
}
