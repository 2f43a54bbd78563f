package server

import (
	"container/list"
	"sync"

	"github.com/prometheus/client_golang/prometheus"
)

// DefaultReportCacheBytes is the default budget of the cache of encoded
// reports (Options.ReportCacheBytes): a dozen of the largest reports
// seen (a Debian image of 1,648 packages is 6.7 MB of JSON) or hundreds
// of typical ones.
const DefaultReportCacheBytes = 64 << 20

// entryOverhead is what an entry costs beside its key and body (list
// element, map slot, headers), counted against the budget.
const entryOverhead = 256

// reportCache keeps encoded report answers by key, least recently used
// first out, within a byte budget. Its keys name what the answer was made
// from (service.ReportRef and the format), so a new snapshot, DB build or
// gate makes new keys and old entries simply age out.
type reportCache struct {
	budget int64

	mu    sync.Mutex
	used  int64
	order *list.List // of *cached, most recently used first
	byKey map[string]*list.Element

	bytes   prometheus.GaugeFunc
	lookups *prometheus.CounterVec
}

// cached is one encoded answer.
type cached struct {
	key  string
	etag string
	body []byte
}

func (c *cached) size() int64 { return int64(len(c.key)+len(c.etag)+len(c.body)) + entryOverhead }

func newReportCache(budget int64) *reportCache {
	c := &reportCache{budget: budget, order: list.New(), byKey: map[string]*list.Element{}}
	c.bytes = prometheus.NewGaugeFunc(prometheus.GaugeOpts{Name: "customs_report_cache_bytes",
		Help: "Bytes of encoded reports the API keeps in memory (at most its budget)."}, func() float64 {
		c.mu.Lock()
		defer c.mu.Unlock()
		return float64(c.used)
	})
	c.lookups = prometheus.NewCounterVec(prometheus.CounterOpts{Name: "customs_report_cache_requests_total",
		Help: "Report requests by how they were answered: hit (from memory), miss (read, judged and encoded), shared (waited for another request's miss of the same answer), not_modified (304 from the ETag alone)."},
		[]string{"outcome"})
	return c
}

// get returns the entry of key, marking it recently used.
func (c *reportCache) get(key string) (*cached, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.byKey[key]
	if !ok {
		return nil, false
	}
	c.order.MoveToFront(e)
	return e.Value.(*cached), true
}

// put keeps v, evicting the least recently used entries beyond the
// budget; an answer larger than the whole budget is not kept.
func (c *reportCache) put(v *cached) {
	n := v.size()
	if n > c.budget {
		return
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	if e, ok := c.byKey[v.key]; ok {
		c.used -= e.Value.(*cached).size()
		c.order.Remove(e)
	}
	c.byKey[v.key] = c.order.PushFront(v)
	c.used += n
	for c.used > c.budget {
		e := c.order.Back()
		old := e.Value.(*cached)
		c.order.Remove(e)
		delete(c.byKey, old.key)
		c.used -= old.size()
	}
}

// stats returns the bytes held and the entries.
func (c *reportCache) stats() (used int64, entries int) {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.used, len(c.byKey)
}
