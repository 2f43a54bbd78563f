//go:build linux || darwin || freebsd || netbsd || openbsd || dragonfly

package build

import (
	"os"
	"os/exec"
	"path/filepath"
	"syscall"
	"testing"
	"time"
)

// childEnv (the DB) and childEnv_SOURCE make the test binary, run by
// TestKilledBuildLeftovers, a build of the DB from the source (a FIFO
// nobody writes, so the build waits in its importer with its temporary
// file open) instead of a test run.
const childEnv = "CUSTOMS_TEST_BUILD_CHILD"

// TestKilledBuildLeftovers: a build killed with -9 leaves its temporary
// file; the next build removes it, and leaves alone the temporary file of
// a build still running beside it.
func TestKilledBuildLeftovers(t *testing.T) {
	if db := os.Getenv(childEnv); db != "" {
		Build(t.Context(), db, []Source{{Kind: "osv", Path: os.Getenv(childEnv + "_SOURCE")}}, nil)
		return
	}
	dir := t.TempDir()
	db := filepath.Join(dir, "vuln.db")
	start := func(name string) (*exec.Cmd, string) {
		fifo := filepath.Join(dir, name+".json")
		if err := syscall.Mkfifo(fifo, 0o600); err != nil {
			t.Fatal(err)
		}
		before := temps(t, db)
		cmd := exec.Command(os.Args[0], "-test.run=^TestKilledBuildLeftovers$")
		cmd.Env = append(os.Environ(), childEnv+"="+db, childEnv+"_SOURCE="+fifo)
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { cmd.Process.Kill(); cmd.Wait() })
		for deadline := time.Now().Add(30 * time.Second); time.Now().Before(deadline); time.Sleep(20 * time.Millisecond) {
			for p := range temps(t, db) {
				if !before[p] {
					return cmd, p
				}
			}
		}
		t.Fatalf("build %s made no temporary file in 30 s", name)
		return nil, ""
	}
	killed, killedTmp := start("killed")
	_, liveTmp := start("live")
	if err := killed.Process.Signal(syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	killed.Wait()
	if _, err := os.Stat(killedTmp); err != nil {
		t.Fatalf("the killed build left no temporary file: %v", err)
	}
	// Both look as old as a leftover found the next day would: only the
	// lock tells the live one apart.
	old := time.Now().Add(-time.Hour)
	for _, p := range []string{killedTmp, liveTmp} {
		if err := os.Chtimes(p, old, old); err != nil {
			t.Fatal(err)
		}
	}

	if _, err := Build(t.Context(), db, []Source{{Kind: "osv", Path: osvData}}, nil); err != nil {
		t.Fatal(err)
	}
	if _, err := os.Stat(killedTmp); !os.IsNotExist(err) {
		t.Errorf("the killed build's %s is still there (stat: %v)", filepath.Base(killedTmp), err)
	}
	if _, err := os.Stat(liveTmp); err != nil {
		t.Errorf("the running build's temporary file was removed: %v", err)
	}
}

// temps returns the temporary files of builds of db.
func temps(t *testing.T, db string) map[string]bool {
	t.Helper()
	m, err := filepath.Glob(filepath.Join(filepath.Dir(db), "."+filepath.Base(db)+".*.tmp"))
	if err != nil {
		t.Fatal(err)
	}
	out := map[string]bool{}
	for _, p := range m {
		out[p] = true
	}
	return out
}
