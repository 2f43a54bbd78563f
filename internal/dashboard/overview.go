package dashboard

import (
	"context"
	"net/http"
	"net/url"
	"sync"
	"time"

	"github.com/customs-scanner/customs/internal/service"
	"github.com/customs-scanner/customs/internal/store"
)

// fleet is the overview's counts and trend, as computed at At.
type fleet struct {
	Overview store.Overview
	Trend    []store.TrendPoint
	At       time.Time
}

// overviewCache keeps the fleet's counts for OverviewTTL and computes them
// again in the background when they are older: counting the findings of
// every current snapshot reads millions of rows on a large store. A page
// never computes them itself: it waits up to OverviewWait for the first
// computation, and shows the page without counts after that.
type overviewCache struct {
	mu         sync.Mutex
	v          *fleet
	refreshing bool
	// ready is closed when the first computation ends.
	ready chan struct{}
	once  sync.Once
}

func (d *Dashboard) computeFleet(ctx context.Context) (*fleet, error) {
	o, err := d.st.Overview(ctx)
	if err != nil {
		return nil, err
	}
	now := d.now()
	tr, err := d.st.Trend(ctx, now.Add(-TrendDays*24*time.Hour), now, TrendDays+1)
	if err != nil {
		return nil, err
	}
	return &fleet{Overview: o, Trend: tr, At: now}, nil
}

// fleet returns the counts: fresh ones, else the last ones while fresh
// ones are computed in the background, else (before the first computation
// ended) those of the first computation if it ends within OverviewWait,
// else nil.
func (d *Dashboard) fleet(ctx context.Context) *fleet {
	c := &d.ov
	c.mu.Lock()
	v := c.v
	stale := v == nil || d.now().Sub(v.At) > OverviewTTL
	c.mu.Unlock()
	if stale {
		d.Warm()
	}
	if v != nil {
		return v
	}
	t := time.NewTimer(d.overviewWait)
	defer t.Stop()
	select {
	case <-c.ready:
	case <-t.C:
	case <-ctx.Done():
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.v
}

// Warm computes the overview's counts in the background, unless they
// are being computed: customs serve calls it at start, so the first
// visitor does not wait for them.
func (d *Dashboard) Warm() {
	c := &d.ov
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.refreshing {
		return
	}
	c.refreshing = true
	go d.refreshFleet()
}

func (d *Dashboard) refreshFleet() {
	c := &d.ov
	ctx, cancel := context.WithTimeout(context.Background(), OverviewTimeout)
	defer cancel()
	v, err := d.computeFleet(ctx)
	c.mu.Lock()
	defer c.mu.Unlock()
	c.refreshing = false
	if err != nil {
		d.log.Warn("dashboard: overview", "error", err)
	} else {
		c.v = v
	}
	c.once.Do(func() { close(c.ready) })
}

type overviewPage struct {
	Fleet    *fleet
	Severity barChart
	Trend    lineChart
	Subjects []store.SubjectSummary
	Next     string
	DB       *service.DBInfo
	DBError  string
}

func (d *Dashboard) overview(r *http.Request) (int, string, any, error) {
	ctx := r.Context()
	p := overviewPage{Fleet: d.fleet(ctx)}
	if f := p.Fleet; f != nil {
		p.Severity, p.Trend = severityChart(f.Overview.BySeverity), trendChart(f.Trend)
	}
	cursor := r.URL.Query().Get("next")
	subjects, next, err := d.st.SubjectsPage(ctx, cursor, d.pageSize)
	if err != nil {
		if cursor != "" {
			return 0, "", nil, &errBadRequest{"The next= cursor is not one this dashboard gave."}
		}
		return 0, "", nil, err
	}
	p.Subjects = subjects
	if next != "" {
		p.Next = "/?next=" + url.QueryEscape(next) + "#images"
	}
	if db, err := d.svc.DB(ctx); err == nil {
		p.DB = &db
	} else {
		p.DBError = err.Error()
	}
	return http.StatusOK, "overview", p, nil
}

type subjectsPage struct {
	Kind     string
	Subjects []store.SubjectSummary
	Next     string
}

// subjects is the list of the images, or of the hosts, page by page.
func (d *Dashboard) subjects(kind string) func(*http.Request) (int, string, any, error) {
	return func(r *http.Request) (int, string, any, error) {
		cursor := r.URL.Query().Get("next")
		subjects, next, err := d.st.KindPage(r.Context(), kind, cursor, d.pageSize)
		if err != nil {
			if cursor != "" {
				return 0, "", nil, &errBadRequest{"The next= cursor is not one this dashboard gave."}
			}
			return 0, "", nil, err
		}
		p := subjectsPage{Kind: kind, Subjects: subjects}
		if next != "" {
			p.Next = r.URL.Path + "?next=" + url.QueryEscape(next)
		}
		return http.StatusOK, "subjects", p, nil
	}
}
