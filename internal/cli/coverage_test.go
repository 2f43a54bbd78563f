package cli

import (
	"encoding/json"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/report"
)

// goAdvisories are three real records of the Go vulnerability database
// (one for the standard library, two for modules): a DB built from them
// alone holds nothing for Alpine.
var goAdvisories = filepath.Join("..", "..", "testdata", "feeds", "osv-go")

// buildDB builds a DB from the sources into a fresh cache dir, which it returns.
func buildDB(t *testing.T, sources ...string) string {
	t.Helper()
	cache := t.TempDir()
	args := []string{"--cache-dir", cache, "db", "build"}
	for _, s := range sources {
		args = append(args, "--source", s)
	}
	if r := run(t, args...); r.code != 0 {
		t.Fatalf("db build: exit %d: %s", r.code, r.stderr)
	}
	return cache
}

func TestCoverageOfTheDB(t *testing.T) {
	goOnly := buildDB(t, "osv="+goAdvisories)
	alpine := buildDB(t, "alpine-secdb="+alpineSecdb)
	const warning = "customs: warning: the DB holds no advisories for alpine:3.10 (14 packages): no vulnerabilities can be found in them; run `customs db update`"
	tests := []struct {
		name      string
		cache     string
		args      []string
		code      int
		coverage  *report.Coverage
		stderr    string // wanted in stderr; "" wants no warning at all
		tableLine string // wanted in the table's summary, when -o table
	}{
		{
			name:     "a DB without Alpine's advisories warns",
			cache:    goOnly,
			code:     ExitOK,
			coverage: &report.Coverage{Ecosystems: []report.EcosystemCoverage{{Ecosystem: "alpine:3.10", Packages: 14}}},
			stderr:   warning,
		},
		{
			name:      "and says so in the table",
			cache:     goOnly,
			args:      []string{"-o", "table"},
			code:      ExitOK,
			stderr:    warning,
			tableLine: "no findings in 14 packages\nnot covered by the DB: alpine:3.10 (14 packages)\n",
		},
		{
			name:   "--fail-on-uncovered fails on it",
			cache:  goOnly,
			args:   []string{"--fail-on-uncovered"},
			code:   ExitFindings,
			stderr: "customs: --fail-on-uncovered: the DB holds no advisories for alpine:3.10 (14 packages)",
		},
		{
			name:     "the Alpine 3.10 secdb covers the image",
			cache:    alpine,
			args:     []string{"--fail-on-uncovered"},
			code:     ExitOK,
			coverage: &report.Coverage{Ecosystems: []report.EcosystemCoverage{{Ecosystem: "alpine:3.10", Packages: 14, Covered: true, DBPackages: 239}}},
		},
		{
			name:   "--fail-on-uncovered without a DB fails",
			cache:  alpine,
			args:   []string{"--skip-db", "--fail-on-uncovered"},
			code:   ExitFindings,
			stderr: "customs: --fail-on-uncovered: no vulnerability DB was used",
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			args := append([]string{"--cache-dir", tc.cache, "scan", "--scanners", "vuln"}, tc.args...)
			if tc.tableLine == "" {
				args = append(args, "-o", "json")
			}
			r := run(t, append(args, alpineImage)...)
			if r.code != tc.code {
				t.Fatalf("exit %d, want %d; stderr %q", r.code, tc.code, r.stderr)
			}
			if tc.stderr == "" && r.stderr != "" {
				t.Errorf("stderr %q, want nothing", r.stderr)
			}
			if !strings.Contains(r.stderr, tc.stderr) {
				t.Errorf("stderr %q, want %q in it", r.stderr, tc.stderr)
			}
			if tc.tableLine != "" {
				if !strings.HasSuffix(r.stdout, tc.tableLine) {
					t.Errorf("table ends %q, want %q", r.stdout[max(0, len(r.stdout)-200):], tc.tableLine)
				}
				return
			}
			var rep report.Report
			if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
				t.Fatalf("decode report: %v", err)
			}
			if tc.coverage != nil {
				if diff := cmp.Diff(tc.coverage, rep.Coverage); diff != "" {
					t.Errorf("coverage (-want +got):\n%s", diff)
				}
			}
		})
	}
}

func TestDBStatusEcosystems(t *testing.T) {
	cache := buildDB(t, "alpine-secdb="+alpineSecdb, "osv="+goAdvisories)
	r := run(t, "--cache-dir", cache, "db", "status", "-o", "json")
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	var info struct{ Ecosystems map[string]int }
	if err := json.Unmarshal([]byte(r.stdout), &info); err != nil {
		t.Fatal(err)
	}
	// The secdb's 239 source packages of 3.10; the Go records' stdlib and
	// two modules.
	if diff := cmp.Diff(map[string]int{"alpine:3.10": 239, "Go": 3}, info.Ecosystems); diff != "" {
		t.Errorf("ecosystems (-want +got):\n%s", diff)
	}
	r = run(t, "--cache-dir", cache, "db", "status")
	if want := "Ecosystems:     2, packages with advisories in each: Go (3), alpine:3.10 (239)\n"; !strings.Contains(r.stdout, want) {
		t.Errorf("db status:\n%s\nwant a line %q", r.stdout, want)
	}
}

func TestCoverageOfAnEmptyTarget(t *testing.T) {
	cache := buildDB(t, "alpine-secdb="+alpineSecdb)
	dir := t.TempDir()
	r := run(t, "--cache-dir", cache, "scan", "--scanners", "vuln", "-o", "json", "dir:"+dir)
	if r.code != ExitOK {
		t.Fatalf("exit %d: %s", r.code, r.stderr)
	}
	want := "customs: warning: " + dir + ": no operating system and no packages were found: nothing was checked for vulnerabilities\n"
	if r.stderr != want {
		t.Errorf("stderr %q, want %q", r.stderr, want)
	}
	var rep report.Report
	if err := json.Unmarshal([]byte(r.stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&report.Coverage{Ecosystems: []report.EcosystemCoverage{}, Note: report.NoInventoryNote}, rep.Coverage); diff != "" {
		t.Errorf("coverage (-want +got):\n%s", diff)
	}
	// In JSON, an explicit empty list beside the note.
	if !strings.Contains(r.stdout, `"coverage": {
    "ecosystems": [],
    "note": "no operating system`) {
		t.Errorf("JSON coverage is not an empty list with a note:\n%s", r.stdout)
	}

	r = run(t, "--cache-dir", cache, "scan", "--scanners", "vuln", "dir:"+dir)
	if !strings.HasSuffix(r.stdout, "no findings in 0 packages\n"+report.NoInventoryNote+"\n") {
		t.Errorf("table:\n%s", r.stdout)
	}
}
