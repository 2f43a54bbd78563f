package dashboard

import (
	"errors"
	"net/http"
	"net/url"
	"slices"

	"github.com/customs-scanner/customs/internal/service"
	"github.com/customs-scanner/customs/internal/store"
)

type feedsPage struct {
	DB      *service.DBInfo
	DBError string
}

func (d *Dashboard) feeds(r *http.Request) (int, string, any, error) {
	db, err := d.svc.DB(r.Context())
	if errors.Is(err, service.ErrNoDB) {
		return http.StatusOK, "feeds", feedsPage{DBError: err.Error()}, nil
	}
	if err != nil {
		return 0, "", nil, err
	}
	return http.StatusOK, "feeds", feedsPage{DB: &db}, nil
}

type stateCount struct {
	State string
	N     int
}

type jobsPage struct {
	Counts []stateCount
	Jobs   []service.Job
	Next   string
}

// queueStates are River's states in the order of a job's life.
var queueStates = []string{"available", "scheduled", "pending", "retryable", "running", "completed", "cancelled", "discarded"}

func (d *Dashboard) jobs(r *http.Request) (int, string, any, error) {
	ctx := r.Context()
	counts, err := d.svc.Queue(ctx)
	if err != nil {
		return 0, "", nil, err
	}
	p := jobsPage{}
	for _, s := range queueStates {
		p.Counts = append(p.Counts, stateCount{s, counts[s]})
	}
	var next string
	p.Jobs, next, err = d.svc.Jobs(ctx, r.URL.Query().Get("next"), d.pageSize)
	if err != nil {
		return 0, "", nil, err
	}
	if next != "" {
		p.Next = "/jobs?next=" + url.QueryEscape(next) + "#jobs"
	}
	return http.StatusOK, "jobs", p, nil
}

type notificationsPage struct {
	State      string
	States     []string
	Deliveries []store.Delivery
	Next       string
}

func (d *Dashboard) notifications(r *http.Request) (int, string, any, error) {
	state := r.URL.Query().Get("state")
	states := []string{store.Pending, store.Failed, store.Delivered}
	if state != "" && !slices.Contains(states, state) {
		return 0, "", nil, &errBadRequest{"state=" + state + ": want pending, failed or delivered."}
	}
	cursor := r.URL.Query().Get("next")
	ds, next, err := d.st.Deliveries(r.Context(), state, cursor, d.pageSize)
	if err != nil {
		if cursor != "" {
			return 0, "", nil, &errBadRequest{"The next= cursor is not one this dashboard gave."}
		}
		return 0, "", nil, err
	}
	p := notificationsPage{State: state, States: states, Deliveries: ds}
	if next != "" {
		q := url.Values{"next": {next}}
		if state != "" {
			q.Set("state", state)
		}
		p.Next = "/notifications?" + q.Encode() + "#deliveries"
	}
	return http.StatusOK, "notifications", p, nil
}
