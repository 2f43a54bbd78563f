package store

import (
	"context"
	"time"

	"github.com/customs-scanner/customs/internal/report"
)

// Reevaluator reads what re-evaluation re-matches: every subject's
// current snapshot. Re-evaluation records its result with Record, with the
// notifications it announces in Input.Outbox.
type Reevaluator interface {
	// Current returns every subject's current snapshot, with its layers
	// and findings (their EPSS scores included).
	Current(ctx context.Context) ([]Current, error)
}

// Current is a subject's current snapshot.
type Current struct {
	Subject  Subject
	Snapshot int64
	// ScannedAt is when the subject was read (the inventory's age).
	ScannedAt time.Time
	// DB is the snapshot's DB block as the report had it; nil when the
	// findings came from no DB.
	DB       *report.DB
	Tool     string
	Layers   []report.Layer
	Findings []Finding
}

// Delivery states.
const (
	Pending   = "pending"
	Delivered = "delivered"
	Failed    = "failed"
)

// Delivery is one notification in the outbox: an event for one webhook.
type Delivery struct {
	// ID is the event's ID, the same on every attempt.
	ID       string `json:"id"`
	Subject  string `json:"subject"` // the subject's name
	Snapshot int64  `json:"snapshot"`
	// Target is the webhook's URL; Body the event, byte for byte as sent.
	Target      string    `json:"target"`
	Body        []byte    `json:"-"`
	CreatedAt   time.Time `json:"createdAt"`
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"nextAttempt"`
	LastError   string    `json:"lastError,omitempty"`
	State       string    `json:"state"`
}

// Outbox holds the notifications waiting to be delivered.
type Outbox interface {
	// Due returns up to limit pending deliveries whose next attempt is at
	// or before now, oldest first.
	Due(ctx context.Context, now time.Time, limit int) ([]Delivery, error)
	// Undelivered returns the pending and failed deliveries, oldest first.
	Undelivered(ctx context.Context) ([]Delivery, error)
	// Attempted records an attempt at delivery id: err "" marks it
	// delivered; else it stays pending until next, or is failed for good
	// when next is zero.
	Attempted(ctx context.Context, id string, at time.Time, err string, next time.Time) error
}
