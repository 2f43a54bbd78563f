package limit

import (
	"math"
	"net/http"
	"strconv"
	"sync"
	"time"

	"github.com/customs-scanner/customs/internal/server/problem"
)

// Defaults of the per-token rate limit. A token's reads and its scan
// requests are counted apart (customs serve keys the buckets by token and
// scope), so a flood of scan requests does not starve the same token's
// reads; the burst lets a dashboard or CI fleet fetch hundreds of
// reports at once, and the queue deduplicates whatever scan requests pass.
const (
	DefaultRate  = 100.0 // requests per second, sustained
	DefaultBurst = 1000  // requests at once
)

// Rate is a token bucket per key (an API token's ID): each key may make
// Burst requests at once and Rate per second after that.
type Rate struct {
	rate  float64
	burst float64
	now   func() time.Time

	mu      sync.Mutex
	buckets map[string]*bucket
	calls   int
}

type bucket struct {
	tokens float64
	last   time.Time
}

// NewRate returns a limiter of rate requests per second with bursts of
// burst; now is the clock (nil is time.Now).
func NewRate(rate float64, burst int, now func() time.Time) *Rate {
	if now == nil {
		now = time.Now
	}
	return &Rate{rate: rate, burst: float64(max(burst, 1)), now: now, buckets: map[string]*bucket{}}
}

// Allow takes one request from key's bucket; when it is empty it returns
// false and how long until a request is allowed again.
func (l *Rate) Allow(key string) (bool, time.Duration) {
	now := l.now()
	l.mu.Lock()
	defer l.mu.Unlock()
	l.calls++
	if l.calls%4096 == 0 {
		l.sweep(now)
	}
	b, ok := l.buckets[key]
	if !ok {
		b = &bucket{tokens: l.burst, last: now}
		l.buckets[key] = b
	}
	if el := now.Sub(b.last).Seconds(); el > 0 {
		b.tokens = math.Min(l.burst, b.tokens+el*l.rate)
		b.last = now
	}
	if b.tokens >= 1 {
		b.tokens--
		return true, 0
	}
	if l.rate <= 0 {
		return false, time.Hour
	}
	return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
}

// sweep drops the buckets that have filled up again: they hold nothing a
// new bucket would not.
func (l *Rate) sweep(now time.Time) {
	for k, b := range l.buckets {
		if b.tokens+now.Sub(b.last).Seconds()*l.rate >= l.burst {
			delete(l.buckets, k)
		}
	}
}

// Middleware limits requests by the key key returns; a request with key
// "" is not limited. A refused request gets 429 with Retry-After (whole
// seconds, rounded up) and a problem+json body.
func (l *Rate) Middleware(key func(*http.Request) string) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			k := key(r)
			if k == "" {
				next.ServeHTTP(w, r)
				return
			}
			ok, wait := l.Allow(k)
			if !ok {
				secs := int(math.Ceil(wait.Seconds()))
				w.Header().Set("Retry-After", strconv.Itoa(max(secs, 1)))
				problem.Write(w, r, http.StatusTooManyRequests, "this token's request rate is over the limit; retry after the Retry-After seconds")
				return
			}
			next.ServeHTTP(w, r)
		})
	}
}
