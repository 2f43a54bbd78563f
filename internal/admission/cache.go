package admission

import (
	"sync"
	"time"
)

// maxCached bounds each in-memory cache: past it, expired entries are
// dropped, then the whole cache if none had expired (a cluster admitting
// more than this many distinct images within a TTL reloads from the store).
const maxCached = 50000

// cache is a map whose entries expire after ttl.
type cache[V any] struct {
	mu  sync.RWMutex
	ttl time.Duration
	now func() time.Time
	m   map[string]entry[V]
}

type entry[V any] struct {
	v       V
	expires time.Time
}

func newCache[V any](ttl time.Duration, now func() time.Time) *cache[V] {
	return &cache[V]{ttl: ttl, now: now, m: map[string]entry[V]{}}
}

func (c *cache[V]) get(k string) (V, bool) {
	c.mu.RLock()
	e, ok := c.m[k]
	c.mu.RUnlock()
	if !ok || !c.now().Before(e.expires) {
		var zero V
		return zero, false
	}
	return e.v, true
}

func (c *cache[V]) put(k string, v V) {
	now := c.now()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= maxCached {
		for k, e := range c.m {
			if !now.Before(e.expires) {
				delete(c.m, k)
			}
		}
		if len(c.m) >= maxCached {
			clear(c.m)
		}
	}
	c.m[k] = entry[V]{v: v, expires: now.Add(c.ttl)}
}

func (c *cache[V]) drop(k string) {
	c.mu.Lock()
	delete(c.m, k)
	c.mu.Unlock()
}
