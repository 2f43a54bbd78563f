package storetest

import (
	"bytes"
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/customs-scanner/customs/internal/report"
	jsonreport "github.com/customs-scanner/customs/internal/report/json"
	"github.com/customs-scanner/customs/internal/store"
)

// The suite runs again in child processes of the test binary to record as
// several customs processes do: childEnv holds the directory of the
// reports to record, childStore the store, childLoop "1" to record until
// killed.
const (
	childEnv   = "CUSTOMS_STORETEST_CHILD"
	childStore = "CUSTOMS_STORETEST_STORE"
	childLoop  = "CUSTOMS_STORETEST_LOOP"
)

// child records the reports of dir into the store, once or until killed.
func child(t *testing.T, b Backend, dir string) {
	ctx := context.Background()
	s, err := b.Open(ctx, os.Getenv(childStore))
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	paths, err := filepath.Glob(filepath.Join(dir, "*.json"))
	if err != nil || len(paths) == 0 {
		t.Fatalf("no reports in %s: %v", dir, err)
	}
	var reports []*report.Report
	for _, p := range paths {
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		r, err := jsonreport.Decode(f)
		f.Close()
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		reports = append(reports, r)
	}
	for round := 0; ; round++ {
		for _, r := range reports {
			in := store.Input{Report: r}
			if os.Getenv(childLoop) != "" {
				// Each round another snapshot: one finding fewer.
				v := *r
				v.Findings = v.Findings[round%max(1, len(v.Findings)):]
				in.Report = &v
			}
			if _, err := s.Record(ctx, in); err != nil {
				t.Fatal(err)
			}
		}
		if os.Getenv(childLoop) == "" {
			return
		}
	}
}

// writeReports writes reports as JSON files into a new directory.
func writeReports(t *testing.T, reports []*report.Report) string {
	t.Helper()
	dir := t.TempDir()
	for i, r := range reports {
		var buf bytes.Buffer
		if err := (jsonreport.Encoder{}).Encode(&buf, r); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, fmt.Sprintf("%03d.json", i)), buf.Bytes(), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	return dir
}

// childCmd is the test binary running the suite as a child.
func childCmd(t *testing.T, dir, name string, loop bool) *exec.Cmd {
	cmd := exec.Command(os.Args[0], "-test.run=^"+strings.Split(t.Name(), "/")[0]+"$", "-test.count=1")
	cmd.Env = append(os.Environ(), childEnv+"="+dir, childStore+"="+name)
	if loop {
		cmd.Env = append(cmd.Env, childLoop+"=1")
	}
	return cmd
}

// testProcesses records from several processes at once, and kills one in
// the middle of recording: nothing is lost, and the store stays whole.
func testProcesses(t *testing.T, b Backend, fx *Reports) {
	if testing.Short() {
		t.Skip("starts processes; skipped with -short")
	}
	name := b.Fresh(t)
	s := open(t, b, name) // migrated before the children race to it
	const n = 8
	var reports []*report.Report
	for i := range n {
		reports = append(reports, variant([]*report.Report{fx.AlpineApp, fx.DebianApp}[i%2], i%2, i))
	}
	dir := writeReports(t, reports)
	const procs = 3
	var cmds []*exec.Cmd
	outs := make([]bytes.Buffer, procs)
	for i := range procs {
		cmd := childCmd(t, dir, name, false)
		cmd.Stdout, cmd.Stderr = &outs[i], &outs[i]
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		cmds = append(cmds, cmd)
	}
	for i, cmd := range cmds {
		if err := cmd.Wait(); err != nil {
			t.Fatalf("process %d: %v\n%s", i, err, outs[i].String())
		}
	}
	c := counts(t, s)
	if c["subject"] != n || c["snapshot"] != n {
		t.Errorf("rows after %d processes recorded the same %d images: %v, want %d subjects with one snapshot each", procs, n, c, n)
	}

	// A process killed while it records snapshot after snapshot.
	killed := childCmd(t, dir, name, true)
	var out bytes.Buffer
	killed.Stdout, killed.Stderr = &out, &out
	if err := killed.Start(); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(20 * time.Second)
	for counts(t, s)["snapshot"] < n+3 && time.Now().Before(deadline) {
		time.Sleep(20 * time.Millisecond)
	}
	if err := killed.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	killed.Wait()
	if counts(t, s)["snapshot"] < n+3 {
		t.Fatalf("the looping process recorded no new snapshot in 20s:\n%s", out.String())
	}
	checkWhole(t, s)
	// The next recording completes.
	s2 := open(t, b, name)
	if _, err := s2.Record(t.Context(), store.Input{Report: reports[0]}); err != nil {
		t.Fatal(err)
	}
	checkWhole(t, s2)
}

// checkWhole checks that every subject's current snapshot is its own and
// that every snapshot holds its layers and the findings its summary
// counts: no recording was kept in part.
func checkWhole(t *testing.T, s Store) {
	t.Helper()
	ctx := t.Context()
	var bad int
	if err := s.DB().QueryRowContext(ctx, `SELECT COUNT(*) FROM subject sj LEFT JOIN snapshot sn ON sn.id = sj.current_snapshot
		WHERE sn.id IS NULL OR sn.subject <> sj.id`).Scan(&bad); err != nil {
		t.Fatal(err)
	}
	if bad != 0 {
		t.Errorf("%d subjects whose current snapshot is missing or another's", bad)
	}
	rows, err := s.DB().QueryContext(ctx, `SELECT sn.id, sn.summary, (SELECT COUNT(*) FROM snapshot_layer sl JOIN finding f ON f.finding_set = sl.findings WHERE sl.snapshot = sn.id), (SELECT COUNT(*) FROM snapshot_layer sl WHERE sl.snapshot = sn.id) FROM snapshot sn`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	for rows.Next() {
		var id int64
		var summary string
		var findings, layers int
		if err := rows.Scan(&id, &summary, &findings, &layers); err != nil {
			t.Fatal(err)
		}
		want := 0
		for _, f := range strings.FieldsFunc(summary, func(r rune) bool { return r == ',' || r == '{' || r == '}' }) {
			_, v, _ := strings.Cut(f, ":")
			n, err := strconv.Atoi(strings.TrimSpace(v))
			if err != nil {
				t.Fatalf("snapshot %d summary %q: %v", id, summary, err)
			}
			want += n
		}
		if findings != want || layers == 0 {
			t.Errorf("snapshot %d: %d findings, %d layers; its summary %s counts %d", id, findings, layers, summary, want)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
}
