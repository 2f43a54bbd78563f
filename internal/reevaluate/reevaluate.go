// Package reevaluate re-matches the inventories kept in the store against
// the current vulnerability DB, without reading any image, records each
// subject's new findings and announces what changed to the webhooks
// through the store's outbox (docs/store.md, "Re-evaluation").
package reevaluate

import (
	"context"
	"fmt"
	"time"

	"github.com/customs-scanner/customs/internal/notify"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/scan"
	"github.com/customs-scanner/customs/internal/store"
)

// Options configure a re-evaluation.
type Options struct {
	// DBPath is the current vulnerability DB.
	DBPath string
	// Full re-matches every subject; else only those whose current
	// snapshot was matched against another DB build.
	Full bool
	// Hooks are the webhooks to notify.
	Hooks []notify.Webhook
	// Version is customs' version, for the snapshots' tool.
	Version string
	// Now is the clock; nil takes time.Now.
	Now func() time.Time
}

// Result counts what a re-evaluation did.
type Result struct {
	Subjects  int `json:"subjects"`
	Rematched int `json:"rematched"`
	// Changed is how many subjects' findings changed; Events how many
	// notifications were queued in the outbox.
	Changed  int            `json:"changed"`
	Events   int            `json:"events"`
	Changes  []SubjectDelta `json:"changes"`
	DBBuilt  time.Time      `json:"dbBuilt"`
	Duration time.Duration  `json:"-"`
}

// SubjectDelta is what changed for one subject.
type SubjectDelta struct {
	Subject  store.Subject `json:"subject"`
	Snapshot int64         `json:"snapshot"`
	Change   store.Change  `json:"change"`
}

// Run re-evaluates the store's subjects against the DB at opts.DBPath.
// A subject whose current snapshot came from no DB is re-matched but
// announces nothing: like a first recording, there is nothing to compare.
func Run(ctx context.Context, st store.Store, opts Options) (Result, error) {
	start := time.Now()
	now := opts.Now
	if now == nil {
		now = time.Now
	}
	var res Result
	m, err := scan.NewRematcher(ctx, scan.Options{DBPath: opts.DBPath, Version: opts.Version})
	if err != nil {
		return res, err
	}
	defer m.Close()
	built := m.Built().UTC()
	res.DBBuilt = built
	cur, err := st.Current(ctx)
	if err != nil {
		return res, err
	}
	res.Subjects = len(cur)
	for _, c := range cur {
		if !opts.Full && c.DB != nil && c.DB.Built.Equal(built) {
			continue
		}
		d, queued, err := one(ctx, st, m, c, opts, now())
		if err != nil {
			return res, fmt.Errorf("re-evaluate %s %s: %w", c.Subject.Kind, c.Subject.Name, err)
		}
		res.Rematched++
		res.Events += queued
		if d != nil {
			res.Changed++
			res.Changes = append(res.Changes, *d)
		}
	}
	res.Duration = time.Since(start)
	return res, nil
}

// one re-matches one subject and records the result with its events.
func one(ctx context.Context, st store.Store, m *scan.Rematcher, c store.Current, opts Options, now time.Time) (*SubjectDelta, int, error) {
	// The snapshot as its report: re-matching replaces the findings,
	// coverage and DB block, and keeps what the scan saw besides the
	// packages (target, OS, secrets, misconfigurations).
	sr, err := st.SnapshotReport(ctx, c.Snapshot)
	if err != nil {
		return nil, 0, err
	}
	s := c.Subject
	r := sr.Report
	r.SchemaVersion, r.Tool, r.CreatedAt = report.SchemaVersion, report.Tool{Name: "customs", Version: opts.Version}, c.ScannedAt
	// What judged the old findings does not hold for the new ones.
	r.Suppressed, r.Policy, r.Verdict = nil, nil, nil
	in := store.Input{Report: r, Platform: s.Platform, Labels: s.Labels, Now: now, Replaces: c.Snapshot}
	if s.Kind == store.KindHost {
		in.Host = &store.Host{MachineID: s.Digest, Hostname: s.Name}
	} else if r.Target.Digest() != s.Digest {
		r.Target.ManifestDigest = s.Digest
	}
	if err := m.Rematch(ctx, r); err != nil {
		return nil, 0, err
	}
	change := store.Diff(c.Findings, findings(r))
	in.Unchanged = change.Empty()
	if c.DB != nil && !change.Empty() {
		for _, h := range opts.Hooks {
			fc, ok := h.Filter(s, change)
			if !ok {
				continue
			}
			id := notify.NewID()
			body, err := notify.Event(id, s, fc, r.DB, now)
			if err != nil {
				return nil, 0, err
			}
			in.Outbox = append(in.Outbox, store.Delivery{ID: id, Target: h.URL, Body: body})
		}
	}
	rec, err := st.Record(ctx, in)
	if err != nil {
		return nil, 0, err
	}
	if rec.Superseded || !rec.New || change.Empty() {
		return nil, 0, nil
	}
	return &SubjectDelta{Subject: s, Snapshot: rec.Snapshot, Change: change}, len(in.Outbox), nil
}

// findings are the report's findings as the store keeps them.
func findings(r *report.Report) []store.Finding {
	out := make([]store.Finding, 0, len(r.Findings))
	for _, f := range r.Findings {
		if f.PackageID == "" {
			continue
		}
		sf := store.Finding{VulnerabilityID: f.VulnerabilityID, PackageName: f.PackageName, PackageVersion: f.PackageVersion, PURL: f.PURL,
			Status: f.Status, FixedVersion: f.FixedVersion, Severity: f.Severity, KEV: f.KEV != nil}
		if f.EPSS != nil {
			sf.EPSS = f.EPSS.Score
		}
		out = append(out, sf)
	}
	return out
}
