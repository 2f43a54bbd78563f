package harbor

import (
	"context"
	"math"
	"sync"
	"time"

	"github.com/customs-scanner/customs/internal/service"
)

// The bounds of the Refresh-After header: Harbor polls again after that
// many seconds (5 when the header is absent).
const (
	minRefreshAfter = 1 * time.Second
	maxRefreshAfter = 5 * time.Minute
	// defaultTurnaround is the guess before any job was seen done:
	// Harbor's own default interval.
	defaultTurnaround = 5 * time.Second
)

// RefreshAfter is the Refresh-After header's value for a job with the
// given time remaining, in whole seconds within [1 s, 5 min].
func RefreshAfter(remaining time.Duration) int {
	d := min(max(remaining, minRefreshAfter), maxRefreshAfter)
	return int(math.Ceil(d.Seconds()))
}

// remaining estimates the time until a queued or running job is done: the
// service's estimate when it offers one (Estimator), else the recent
// turnaround (submission to done) less the job's age.
func (h *Handler) remaining(ctx context.Context, j service.Job) time.Duration {
	if e, ok := h.svc.(Estimator); ok {
		if d, err := e.Remaining(ctx, j.ID); err == nil && d > 0 {
			return d
		}
	}
	return h.times.remaining(j)
}

// turnaround keeps the mean time from submission to done of the jobs this
// process saw done, as an exponentially weighted moving average.
type turnaround struct {
	now  func() time.Time
	mu   sync.Mutex
	mean time.Duration
	seen map[string]bool // the jobs counted, cleared when it grows large
}

// turnaroundWeight is the weight of the newest job in the mean.
const turnaroundWeight = 0.2

func newTurnaround(now func() time.Time) *turnaround {
	return &turnaround{now: now, seen: map[string]bool{}}
}

// done counts a done job's turnaround once. A job answered from the store
// (Created == Updated) took no time and is not counted.
func (t *turnaround) done(j service.Job) {
	d := j.Updated.Sub(j.Created)
	if d <= 0 {
		return
	}
	t.mu.Lock()
	defer t.mu.Unlock()
	if t.seen[j.ID] {
		return
	}
	if len(t.seen) >= 4096 {
		clear(t.seen)
	}
	t.seen[j.ID] = true
	if t.mean == 0 {
		t.mean = d
		return
	}
	t.mean = time.Duration(turnaroundWeight*float64(d) + (1-turnaroundWeight)*float64(t.mean))
}

// remaining is the mean turnaround less the job's age; a job older than
// the mean is polled at a tenth of it.
func (t *turnaround) remaining(j service.Job) time.Duration {
	t.mu.Lock()
	mean := t.mean
	t.mu.Unlock()
	if mean == 0 {
		return defaultTurnaround
	}
	left := mean - t.now().Sub(j.Created)
	return max(left, mean/10)
}
