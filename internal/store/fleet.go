package store

import (
	"context"
	"time"
)

// Fleet answers the dashboard's questions about the whole store in one
// query each, without reading every subject (docs/dashboard.md).
type Fleet interface {
	// Overview counts the subjects and their current snapshots' findings.
	Overview(ctx context.Context) (Overview, error)
	// Trend returns the findings by severity of the fleet as it stood at
	// each of points times, evenly spaced from since to until: at each,
	// every subject counts with its last snapshot recorded by then.
	Trend(ctx context.Context, since, until time.Time, points int) ([]TrendPoint, error)
	// Deliveries lists up to limit notifications in state (Pending,
	// Delivered, Failed; "" for all), newest first, after cursor ("" starts
	// at the newest); next is the cursor of the following page, "" after
	// the last.
	Deliveries(ctx context.Context, state, cursor string, limit int) (page []Delivery, next string, err error)
}

// DeliveryPageMax is the largest page Deliveries returns.
const DeliveryPageMax = 500

// Overview is the fleet at a glance: subjects, and the findings of their
// current snapshots.
type Overview struct {
	Images int `json:"images"`
	Hosts  int `json:"hosts"`
	// Findings counts the current snapshots' findings; BySeverity by
	// severity; KEV those listed in CISA's catalog; Fixable those with a
	// fixed version.
	Findings   int            `json:"findings"`
	BySeverity map[string]int `json:"bySeverity"`
	KEV        int            `json:"kev"`
	Fixable    int            `json:"fixable"`
	// Exposed counts the subjects with at least one KEV-listed finding.
	Exposed int `json:"exposed"`
}

// TrendPoint is the fleet's findings at one time.
type TrendPoint struct {
	At         time.Time      `json:"at"`
	Subjects   int            `json:"subjects"`
	BySeverity map[string]int `json:"bySeverity"`
}
