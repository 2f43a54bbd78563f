package service

import (
	"context"
	"fmt"

	"github.com/riverqueue/river"
)

// JobPageMax is the largest page Jobs returns.
const JobPageMax = 200

// Queue counts the scan jobs in the queue by River state ("available",
// "running", "retryable", "completed", "discarded", …).
func (s *Service) Queue(ctx context.Context) (map[string]int, error) {
	return s.q.counts(ctx)
}

// Jobs lists up to limit scan jobs (JobPageMax when limit is not in
// 1..JobPageMax), newest first, after cursor ("" starts at the newest);
// next is the cursor of the following page, "" after the last. Finished
// jobs are kept for a day.
func (s *Service) Jobs(ctx context.Context, cursor string, limit int) (jobs []Job, next string, err error) {
	if limit < 1 || limit > JobPageMax {
		limit = JobPageMax
	}
	return s.q.list(ctx, cursor, limit)
}

func (q *riverQueue[TTx]) list(ctx context.Context, cursor string, limit int) ([]Job, string, error) {
	p := river.NewJobListParams().Kinds((scanArgs{}).Kind()).OrderBy(river.JobListOrderByID, river.SortOrderDesc).First(limit)
	if cursor != "" {
		var c river.JobListCursor
		if err := c.UnmarshalText([]byte(cursor)); err != nil {
			return nil, "", &RequestError{fmt.Sprintf("jobs: bad cursor %q", cursor)}
		}
		p = p.After(&c)
	}
	res, err := q.c.JobList(ctx, p)
	if err != nil {
		return nil, "", fmt.Errorf("list jobs: %w", err)
	}
	rows := res.Jobs
	// A full page has a next one, perhaps empty.
	next := ""
	if len(rows) == limit && res.LastCursor != nil {
		if b, err := res.LastCursor.MarshalText(); err == nil {
			next = string(b)
		}
	}
	out := make([]Job, len(rows))
	for i, r := range rows {
		out[i] = jobOf(r)
	}
	return out, next, nil
}
