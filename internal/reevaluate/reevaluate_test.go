package reevaluate_test

import (
	"context"
	"database/sql"
	"path/filepath"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"github.com/customs-scanner/customs/internal/notify"
	"github.com/customs-scanner/customs/internal/reevaluate"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/shareddata"
	"github.com/customs-scanner/customs/internal/store"
	"github.com/customs-scanner/customs/internal/store/postgres"
	"github.com/customs-scanner/customs/internal/store/sqlite"
	"github.com/customs-scanner/customs/internal/store/storetest"
)

// TestFullAsEach: a full re-evaluation, which matches each package row
// once and records through one only the subjects whose findings change,
// gives what sending every subject through one gave: the same deltas and
// events, the same snapshots and reports, after a DB update, back, and
// against the same build again; on both backends.
func TestFullAsEach(t *testing.T) {
	backends := []struct {
		name string
		open func(t *testing.T) store.Store
	}{
		{"SQLite", func(t *testing.T) store.Store {
			s, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "store.db"))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}},
		{"PostgreSQL", func(t *testing.T) store.Store {
			s, err := postgres.Open(t.Context(), storetest.PostgresSchema(t, shareddata.Postgres(t)))
			if err != nil {
				t.Fatal(err)
			}
			t.Cleanup(func() { s.Close() })
			return s
		}},
	}
	for _, b := range backends {
		t.Run(b.name, func(t *testing.T) {
			fx, d := storetest.Fixtures(t), storetest.TwoDBs(t)
			full, each := b.open(t), b.open(t)
			host := &store.Host{MachineID: "4c4c4544004e3610804cb8c04f4e3132", Hostname: "build-7"}
			at := time.Date(2026, 12, 6, 4, 0, 0, 0, time.UTC)
			for _, s := range []store.Store{full, each} {
				for _, r := range []*report.Report{fx.Alpine, fx.AlpineApp, fx.AlpineApp2, fx.Debian, fx.DebianApp} {
					record(t, s, store.Input{Report: storetest.Rematched(t, r, d.Old), Now: at})
				}
				// A host recorded without a DB: re-matched by one, announcing
				// nothing.
				hr := storetest.Rematched(t, fx.Debian, d.Old)
				hr.Target = report.Target{Ref: "dir:/", Kind: "rootfs"}
				hr.DB, hr.Findings = nil, []report.Finding{}
				hr.Summarize()
				record(t, s, store.Input{Report: hr, Host: host, Now: at})
			}
			// Events are queued, not delivered: nothing listens there.
			hooks := []notify.Webhook{{URL: "http://127.0.0.1:1/all", Secret: "s3cret"}}
			for i, db := range []string{d.New, d.Old, d.Old} {
				now := at.Add(time.Duration(i+1) * time.Hour)
				opts := reevaluate.Options{DBPath: db, Full: true, Hooks: hooks, Version: "test", Now: func() time.Time { return now }}
				got, err := reevaluate.Run(t.Context(), full, opts)
				if err != nil {
					t.Fatal(err)
				}
				want, err := reevaluate.RunEach(t.Context(), each, opts)
				if err != nil {
					t.Fatal(err)
				}
				ignore := cmp.Options{cmpopts.IgnoreFields(reevaluate.Result{}, "Duration"), cmpopts.IgnoreFields(reevaluate.SubjectDelta{}, "Snapshot"), cmpopts.EquateEmpty()}
				if diff := cmp.Diff(want, got, ignore); diff != "" {
					t.Errorf("run %d: full re-evaluation (-each through one +full):\n%s", i, diff)
				}
				if i == 0 && (got.Changed != 3 || got.Rematched != 6) {
					t.Errorf("run %d: %+v, want the 6 subjects re-matched, the 3 apps changed: the fixtures changed", i, got)
				}
				if i == 2 && got.Changed != 0 {
					t.Errorf("run %d, against the same build: %d changed, want none", i, got.Changed)
				}
				if diff := cmp.Diff(contents(t, each), contents(t, full)); diff != "" {
					t.Errorf("run %d: the stores (-each through one +full):\n%s", i, diff)
				}
			}
		})
	}
}

func record(t *testing.T, s store.Store, in store.Input) {
	t.Helper()
	if _, err := s.Record(t.Context(), in); err != nil {
		t.Fatal(err)
	}
}

// contents are what a store says of each subject: its summary, its
// snapshots with their findings, its current report and the events
// waiting for delivery, without the IDs the store gives them.
func contents(t *testing.T, s store.Store) []any {
	t.Helper()
	ctx := context.Background()
	subjects, err := s.Subjects(ctx)
	if err != nil {
		t.Fatal(err)
	}
	out := []any{subjects}
	for _, sub := range subjects {
		h, err := s.History(ctx, sub.Subject.Digest)
		if err != nil {
			t.Fatal(err)
		}
		for i := range h {
			h[i].ID = 0
		}
		r, err := s.Report(ctx, sub.Subject.Digest)
		if err != nil {
			t.Fatal(err)
		}
		r.Snapshot = 0
		out = append(out, h, r)
	}
	pending, err := s.Undelivered(ctx)
	if err != nil {
		t.Fatal(err)
	}
	var targets []string
	for _, p := range pending {
		targets = append(targets, p.Target)
	}
	// The finding sets and their rows: a re-matched layer's set is found
	// by its content, as a recording finds it.
	db := s.(interface{ DB() *sql.DB }).DB()
	rows := map[string]int{}
	for _, table := range []string{"finding_set", "finding", "finding_detail", "snapshot", "snapshot_layer"} {
		var n int
		if err := db.QueryRowContext(ctx, "SELECT COUNT(*) FROM "+table).Scan(&n); err != nil {
			t.Fatal(err)
		}
		rows[table] = n
	}
	// The snapshots' content hashes: a recording of the same report after
	// the re-evaluation adds no snapshot.
	var hashes []string
	r, err := db.QueryContext(ctx, "SELECT content_hash FROM snapshot ORDER BY id")
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	for r.Next() {
		var h string
		if err := r.Scan(&h); err != nil {
			t.Fatal(err)
		}
		hashes = append(hashes, h)
	}
	return append(out, targets, rows, hashes)
}
