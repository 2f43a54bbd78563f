package scan

import (
	"errors"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/target"
)

// TestRun runs the whole pipeline on a real image and DB: the gate is
// applied and its verdict carried by the report, and the DB's age is told
// by the injected clock.
func TestRun(t *testing.T) {
	img, _ := debianImage(t)
	ref := target.Ref{Kind: target.DockerArchive, Name: writeArchive(t, img)}
	dbPath := bookwormDB(t)
	plain, err := Run(t.Context(), ref, Options{DBPath: dbPath})
	if err != nil {
		t.Fatal(err)
	}
	if plain.Verdict != nil || plain.Policy != nil || len(plain.Findings) == 0 {
		t.Fatalf("without a gate: verdict %+v, policy %+v, %d findings; want no verdict, no policy and findings", plain.Verdict, plain.Policy, len(plain.Findings))
	}
	built := plain.DB.Built
	tests := []struct {
		name      string
		now       time.Time
		maxAge    time.Duration
		wantStale []StaleDB
	}{
		{"fresh", built.Add(time.Hour), 0, nil},
		{"older than the default", built.Add(8 * 24 * time.Hour), 0, []StaleDB{{Built: built, Age: 8 * 24 * time.Hour, MaxAge: DefaultDBMaxAge}}},
		{"within a longer max age", built.Add(8 * 24 * time.Hour), 10 * 24 * time.Hour, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			var rec recorder
			opts := Options{DBPath: dbPath, DBMaxAge: tt.maxAge, Now: func() time.Time { return tt.now }, Handler: &rec,
				Gate: &Gate{FailOn: "unknown", BaselineImage: &ref}}
			r, err := Run(t.Context(), ref, opts)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.wantStale, rec.stale); diff != "" {
				t.Errorf("stale DB events (-want +got):\n%s", diff)
			}
			// The image is its own baseline: every finding is known, and
			// --fail-on has nothing to count.
			if diff := cmp.Diff(&report.Verdict{}, r.Verdict); diff != "" {
				t.Errorf("verdict (-want +got):\n%s", diff)
			}
			if len(r.Findings) != 0 || len(r.Suppressed) != len(plain.Findings) || r.Policy.BaselineKnown != len(plain.Findings) {
				t.Errorf("%d findings, %d suppressed, %d known to the baseline; want 0, %d, %d", len(r.Findings), len(r.Suppressed), r.Policy.BaselineKnown, len(plain.Findings), len(plain.Findings))
			}
			if !r.CreatedAt.Equal(tt.now) {
				t.Errorf("createdAt %s, want the injected clock's %s", r.CreatedAt, tt.now)
			}
		})
	}
	r, err := Run(t.Context(), ref, Options{DBPath: dbPath, Gate: &Gate{FailOn: "unknown"}})
	if err != nil {
		t.Fatal(err)
	}
	if r.Verdict == nil || !r.Verdict.Failed {
		t.Errorf("--fail-on unknown without a baseline: verdict %+v, want failed", r.Verdict)
	}
}

func TestRunNoDB(t *testing.T) {
	img, _ := debianImage(t)
	missing := filepath.Join(t.TempDir(), "none.db")
	_, err := Run(t.Context(), target.Ref{Kind: target.DockerArchive, Name: writeArchive(t, img)}, Options{DBPath: missing})
	var nodb *NoDBError
	if !errors.As(err, &nodb) || nodb.Path != missing {
		t.Fatalf("error %v, want a NoDBError for %s", err, missing)
	}
}

// TestRunTypoBeforeDB: a mistyped target is reported as such even when
// there is no DB, not as the missing DB (which the user would fix first,
// only to meet the typo next).
func TestRunTypoBeforeDB(t *testing.T) {
	missing := filepath.Join(t.TempDir(), "none.db")
	for _, tc := range []struct{ ref, want string }{
		{"dockr:alpine", `unknown scheme "dockr:", did you mean docker:?`},
		{filepath.Join(t.TempDir(), "app.tar"), "does not exist"},
	} {
		_, err := Run(t.Context(), target.Parse(tc.ref), Options{DBPath: missing})
		if err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Run(%q) = %v, want an error containing %q", tc.ref, err, tc.want)
		}
	}
}
