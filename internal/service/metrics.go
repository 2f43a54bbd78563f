package service

import (
	"context"
	"time"

	"github.com/prometheus/client_golang/prometheus"
)

// metrics are the service's Prometheus metrics (docs/serve.md).
type metrics struct {
	s           *Service
	submitted   *prometheus.CounterVec
	scans       *prometheus.CounterVec
	scanSeconds *prometheus.HistogramVec
	rescued     prometheus.Counter
	dbUpdates   *prometheus.CounterVec
	queueDesc   *prometheus.Desc
	dbAgeDesc   *prometheus.Desc
}

func newMetrics(s *Service) *metrics {
	return &metrics{
		s: s,
		submitted: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "customs_scan_requests_total",
			Help: "Scan requests by origin and outcome: queued, deduplicated (a scan of the digest was queued already), stored (answered from the store), error."},
			[]string{"origin", "outcome"}),
		scans: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "customs_scan_jobs_total",
			Help: "Scan jobs run by this process, by outcome: done, retry, failed."}, []string{"outcome"}),
		scanSeconds: prometheus.NewHistogramVec(prometheus.HistogramOpts{Name: "customs_scan_job_duration_seconds",
			Help: "Time a scan job took, by outcome.", Buckets: []float64{0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600}}, []string{"outcome"}),
		rescued: prometheus.NewCounter(prometheus.CounterOpts{Name: "customs_scan_jobs_rescued_total",
			Help: "Running jobs whose worker stopped beating, queued again by this process."}),
		dbUpdates: prometheus.NewCounterVec(prometheus.CounterOpts{Name: "customs_db_updates_total",
			Help: "Scheduled DB updates run by this process, by outcome."}, []string{"outcome"}),
		queueDesc: prometheus.NewDesc("customs_queue_jobs", "Scan jobs in the queue by River state (available, running, retryable, completed, discarded, ...).", []string{"state"}, nil),
		dbAgeDesc: prometheus.NewDesc("customs_db_age_seconds", "Age of the vulnerability DB this process scans with.", nil, nil),
	}
}

func (m *metrics) register(r prometheus.Registerer) error {
	for _, c := range []prometheus.Collector{m.submitted, m.scans, m.scanSeconds, m.rescued, m.dbUpdates, m} {
		if err := r.Register(c); err != nil {
			return err
		}
	}
	return nil
}

// Describe and Collect make the queue depth and the DB age, read when
// scraped.
func (m *metrics) Describe(ch chan<- *prometheus.Desc) {
	ch <- m.queueDesc
	ch <- m.dbAgeDesc
}

func (m *metrics) Collect(ch chan<- prometheus.Metric) {
	ctx, cancel := context.WithTimeout(context.Background(), 2*time.Second)
	defer cancel()
	if counts, err := m.s.q.counts(ctx); err == nil {
		for _, st := range []string{"available", "scheduled", "pending", "retryable", "running", "completed", "cancelled", "discarded"} {
			ch <- prometheus.MustNewConstMetric(m.queueDesc, prometheus.GaugeValue, float64(counts[st]), st)
		}
	}
	if d, err := m.s.DB(ctx); err == nil {
		ch <- prometheus.MustNewConstMetric(m.dbAgeDesc, prometheus.GaugeValue, d.Age.Seconds())
	}
}
