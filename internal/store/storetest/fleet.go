package storetest

import (
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/store"
)

// testFleet: the dashboard's counts, trend and outbox listing.
func testFleet(t *testing.T, b Backend, fx *Reports) {
	s := open(t, b, b.Fresh(t))
	ctx := t.Context()
	o, err := s.Overview(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(store.Overview{BySeverity: map[string]int{}}, o); diff != "" {
		t.Errorf("Overview of an empty store (-want +got):\n%s", diff)
	}
	t0 := time.Date(2026, 11, 1, 12, 0, 0, 0, time.UTC)
	want := store.Overview{BySeverity: map[string]int{}}
	reports := []*report.Report{fx.Alpine, fx.DebianApp, fx.AlpineApp2}
	for i, r := range reports {
		var out []store.Delivery
		for j := range 2 {
			out = append(out, store.Delivery{ID: r.Target.Digest() + string(rune('a'+j)), Target: "http://127.0.0.1:1/", Body: []byte("{}")})
		}
		record(t, s, store.Input{Report: r, Now: t0.Add(time.Duration(i) * time.Hour), Outbox: out})
		want.Images++
		kev := false
		for _, f := range r.Findings {
			want.Findings++
			want.BySeverity[f.Severity]++
			if f.KEV != nil {
				want.KEV++
				kev = true
			}
			if f.FixedVersion != "" {
				want.Fixable++
			}
		}
		if kev {
			want.Exposed++
		}
	}
	if want.Findings == 0 || want.Fixable == 0 {
		t.Fatalf("the fixtures have %d findings, %d fixable: nothing to count", want.Findings, want.Fixable)
	}
	if o, err = s.Overview(ctx); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(want, o); diff != "" {
		t.Errorf("Overview (-want +got):\n%s", diff)
	}

	// At t0 the fleet is Alpine; an hour later, Alpine and DebianApp; two
	// hours later, all three; before t0, nothing.
	tr, err := s.Trend(ctx, t0.Add(-time.Hour), t0.Add(2*time.Hour), 4)
	if err != nil {
		t.Fatal(err)
	}
	if len(tr) != 4 {
		t.Fatalf("Trend: %d points, want 4", len(tr))
	}
	sum := map[string]int{}
	for i, p := range tr {
		if want := t0.Add(time.Duration(i-1) * time.Hour); !p.At.Equal(want) {
			t.Errorf("point %d at %s, want %s", i, p.At, want)
		}
		if p.Subjects != i {
			t.Errorf("point %d: %d subjects, want %d", i, p.Subjects, i)
		}
		if i > 0 {
			for _, f := range reports[i-1].Findings {
				sum[f.Severity]++
			}
		}
		w := map[string]int{}
		for k, v := range sum {
			w[k] = v
		}
		if diff := cmp.Diff(w, p.BySeverity); diff != "" {
			t.Errorf("point %d by severity (-want +got):\n%s", i, diff)
		}
	}

	// The outbox, newest first, page by page and by state.
	d0 := fx.Alpine.Target.Digest() + "a"
	if err := s.Attempted(ctx, d0, t0, "", time.Time{}); err != nil {
		t.Fatal(err)
	}
	if err := s.Attempted(ctx, fx.Alpine.Target.Digest()+"b", t0, "refused", time.Time{}); err != nil {
		t.Fatal(err)
	}
	var all []string
	cursor := ""
	for range 10 {
		page, next, err := s.Deliveries(ctx, "", cursor, 4)
		if err != nil {
			t.Fatal(err)
		}
		for _, d := range page {
			all = append(all, d.ID)
		}
		if next == "" {
			break
		}
		cursor = next
	}
	if len(all) != 6 || all[0] != fx.AlpineApp2.Target.Digest()+"b" || all[5] != d0 {
		t.Errorf("Deliveries, all pages: %q, want 6 newest first", all)
	}
	for state, n := range map[string]int{store.Delivered: 1, store.Failed: 1, store.Pending: 4} {
		page, next, err := s.Deliveries(ctx, state, "", 0)
		if err != nil || len(page) != n || next != "" {
			t.Errorf("Deliveries(%s): %d, next %q, %v; want %d", state, len(page), next, err, n)
		}
	}
	if _, _, err := s.Deliveries(ctx, "bogus", "", 1); err == nil {
		t.Error("Deliveries with a bad state: no error")
	}
	if _, _, err := s.Deliveries(ctx, "", "x!", 1); err == nil {
		t.Error("Deliveries with a bad cursor: no error")
	}
}
