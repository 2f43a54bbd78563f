package store

import (
	"context"
	"errors"
	"time"
)

// Subscriptions keeps the notification webhooks managed through customs
// serve's API (/v1/subscriptions), which re-evaluation notifies besides
// the config file's notify.webhooks[] (docs/serve.md, "Subscriptions").
// The secret is kept as given: the events are signed with it (HMAC), so a
// hash would not do; the API never shows it.
type Subscriptions interface {
	// CreateSubscription stores s; ErrSubscriptionExists when one with
	// its URL (or ID) is stored.
	CreateSubscription(ctx context.Context, s Subscription) error
	// Subscription returns the subscription with the ID, or
	// ErrNoSubscription.
	Subscription(ctx context.Context, id string) (Subscription, error)
	// Subscriptions lists every subscription, oldest first.
	Subscriptions(ctx context.Context) ([]Subscription, error)
	// UpdateSubscription replaces the stored subscription with s's ID:
	// ErrNoSubscription when there is none, ErrSubscriptionExists when
	// another one has s's URL.
	UpdateSubscription(ctx context.Context, s Subscription) error
	// DeleteSubscription deletes the subscription with the ID, or
	// answers ErrNoSubscription. Its deliveries in the outbox stay: they
	// fail at their next attempt, as those of a webhook dropped from the
	// config do.
	DeleteSubscription(ctx context.Context, id string) error
}

// Errors of Subscriptions.
var (
	ErrNoSubscription     = errors.New("no such subscription")
	ErrSubscriptionExists = errors.New("a subscription with this url exists")
)

// Subscription is a webhook re-evaluation notifies, with the filter of
// notify.webhooks[] entries.
type Subscription struct {
	ID  string `json:"id"`
	URL string `json:"url"`
	// Secret signs the events (X-Customs-Signature); never shown.
	Secret string `json:"-"`
	Filter
	CreatedAt time.Time `json:"createdAt"`
	UpdatedAt time.Time `json:"updatedAt"`
}

// Filter is what a subscription wants to hear about (notify.Webhook's
// fields of the same names).
type Filter struct {
	MinSeverity string   `json:"minSeverity,omitempty"`
	KEVOnly     bool     `json:"kevOnly,omitempty"`
	FixableOnly bool     `json:"fixableOnly,omitempty"`
	Refs        []string `json:"refs,omitempty"`
}
