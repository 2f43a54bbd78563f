package sqlstore

import (
	"context"
	"database/sql"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"github.com/customs-scanner/customs/internal/store"
)

// Overview counts the subjects and their current snapshots' findings:
// by severity from the snapshots' summaries, KEV-listed and fixable ones
// from the finding rows.
func (s *Store) Overview(ctx context.Context) (store.Overview, error) {
	o := store.Overview{BySeverity: map[string]int{}}
	err := s.query(ctx, `SELECT kind, COUNT(*) FROM subject GROUP BY kind`, nil, func(r *sql.Rows) error {
		var kind string
		var n int
		if err := r.Scan(&kind, &n); err != nil {
			return err
		}
		if kind == store.KindHost {
			o.Hosts += n
		} else {
			o.Images += n
		}
		return nil
	})
	if err != nil {
		return o, err
	}
	err = s.query(ctx, `SELECT sn.summary FROM subject sj JOIN snapshot sn ON sn.id = sj.current_snapshot`, nil, func(r *sql.Rows) error {
		var summary string
		if err := r.Scan(&summary); err != nil {
			return err
		}
		var by map[string]int
		if err := json.Unmarshal([]byte(summary), &by); err != nil {
			return fmt.Errorf("snapshot summary: %w", err)
		}
		for sev, n := range by {
			o.BySeverity[sev] += n
			o.Findings += n
		}
		return nil
	})
	if err != nil {
		return o, err
	}
	// KEV-listed and fixable findings: the counts of the current
	// snapshots' finding sets.
	err = s.query(ctx, `SELECT COALESCE(SUM(fs.kev), 0), COUNT(DISTINCT CASE WHEN fs.kev > 0 THEN sl.snapshot END), COALESCE(SUM(fs.fixable), 0)
		FROM subject sj JOIN snapshot_layer sl ON sl.snapshot = sj.current_snapshot JOIN finding_set fs ON fs.id = sl.findings`, nil,
		func(r *sql.Rows) error { return r.Scan(&o.KEV, &o.Exposed, &o.Fixable) })
	return o, err
}

// Trend replays the snapshots recorded up to until, oldest first, keeping
// each subject's last summary, and takes the fleet's sum at each point.
func (s *Store) Trend(ctx context.Context, since, until time.Time, points int) ([]store.TrendPoint, error) {
	if points < 1 {
		return nil, fmt.Errorf("trend: %d points: want 1 or more", points)
	}
	if !until.After(since) {
		since = until
	}
	at := make([]time.Time, points)
	for i := range points {
		if points == 1 {
			at[i] = until
			continue
		}
		at[i] = since.Add(time.Duration(int64(until.Sub(since)) * int64(i) / int64(points-1)))
	}
	out := make([]store.TrendPoint, 0, points)
	cur := map[int64]map[string]int{}
	total := map[string]int{}
	emit := func(t time.Time) {
		by := make(map[string]int, len(total))
		for k, v := range total {
			if v != 0 {
				by[k] = v
			}
		}
		out = append(out, store.TrendPoint{At: t, Subjects: len(cur), BySeverity: by})
	}
	next := 0
	err := s.query(ctx, `SELECT subject, recorded_at, summary FROM snapshot WHERE recorded_at <= ? ORDER BY recorded_at, id`, []any{s.d.Time(until)}, func(r *sql.Rows) error {
		var subject int64
		var recorded timeValue
		var summary string
		if err := r.Scan(&subject, &recorded, &summary); err != nil {
			return err
		}
		for next < points && recorded.t.After(at[next]) {
			emit(at[next])
			next++
		}
		var by map[string]int
		if err := json.Unmarshal([]byte(summary), &by); err != nil {
			return fmt.Errorf("snapshot summary: %w", err)
		}
		for k, v := range cur[subject] {
			total[k] -= v
		}
		for k, v := range by {
			total[k] += v
		}
		cur[subject] = by
		return nil
	})
	if err != nil {
		return nil, err
	}
	for ; next < points; next++ {
		emit(at[next])
	}
	return out, nil
}

// Deliveries lists the outbox newest first, by (created_at, id).
func (s *Store) Deliveries(ctx context.Context, state, cursor string, limit int) ([]store.Delivery, string, error) {
	if limit < 1 || limit > store.DeliveryPageMax {
		limit = store.DeliveryPageMax
	}
	var where []string
	var args []any
	switch state {
	case "":
	case store.Pending, store.Delivered, store.Failed:
		where, args = append(where, `o.state = ?`), append(args, state)
	default:
		return nil, "", fmt.Errorf("deliveries: state %q: want pending, delivered or failed", state)
	}
	if cursor != "" {
		t, id, err := parseDeliveryCursor(cursor)
		if err != nil {
			return nil, "", err
		}
		where = append(where, `(o.created_at < ? OR (o.created_at = ? AND o.id < ?))`)
		args = append(args, s.d.Time(t), s.d.Time(t), id)
	}
	cond := "1 = 1"
	if len(where) > 0 {
		cond = strings.Join(where, " AND ")
	}
	page, err := s.deliveries(ctx, cond+` ORDER BY o.created_at DESC, o.id DESC LIMIT ?`, append(args, limit+1))
	if err != nil {
		return nil, "", err
	}
	next := ""
	if len(page) > limit {
		page = page[:limit]
		last := page[limit-1]
		next = base64.RawURLEncoding.EncodeToString([]byte(last.CreatedAt.UTC().Format(time.RFC3339Nano) + " " + last.ID))
	}
	if page == nil {
		page = []store.Delivery{}
	}
	return page, next, nil
}

func parseDeliveryCursor(c string) (time.Time, string, error) {
	b, err := base64.RawURLEncoding.DecodeString(c)
	if err == nil {
		ts, id, ok := strings.Cut(string(b), " ")
		var t time.Time
		if t, err = time.Parse(time.RFC3339Nano, ts); err == nil && ok {
			return t, id, nil
		}
	}
	return time.Time{}, "", fmt.Errorf("deliveries: bad cursor %q", c)
}
