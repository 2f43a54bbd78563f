// Package shareddata locates the real data that tests read but a fresh clone
// does not hold: the feeds, images and package databases kept beside the
// repository (../shared/data, see its MANIFEST) and the benchmark's Debian
// root filesystem (bench/rootfs/full, built by scripts/bench.sh --prepare).
//
// A test that needs them skips, saying what is missing and how to get it,
// unless CUSTOMS_REQUIRE_DATA is set: CI sets it, so there a missing file
// fails the test instead of passing it in silence.
package shareddata

import (
	"os"
	"os/exec"
	"path/filepath"
	"testing"
)

// RequireEnv names the environment variable that turns a skip for missing
// data into a failure.
const RequireEnv = "CUSTOMS_REQUIRE_DATA"

// Path returns rel (slash-separated) under ../shared/data beside the
// repository.
func Path(t testing.TB, rel string) string {
	t.Helper()
	p := filepath.Join(repoRoot(t), "..", "shared", "data", filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		missing(t, "shared data not present (%v): skipping the real-data test", err)
	}
	return p
}

// Rootfs returns rel (slash-separated) under the benchmark's Debian bookworm
// root filesystem: $CUSTOMS_ROOTFS, else bench/rootfs/full in the
// repository. Tests that read it are long: they skip with -short.
func Rootfs(t testing.TB, rel string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("reads the benchmark root filesystem; skipped with -short")
	}
	root := os.Getenv("CUSTOMS_ROOTFS")
	if root == "" {
		root = filepath.Join(repoRoot(t), "bench", "rootfs", "full")
	}
	p := filepath.Join(root, filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		missing(t, "benchmark root filesystem not present (%v): run scripts/bench.sh --prepare to build it", err)
	}
	return p
}

// DebootstrapRoot returns the root filesystem `debootstrap --variant=minbase
// bookworm` made for the benchmark, the base of Rootfs's:
// $CUSTOMS_ROOTFS_BASE, else bench/rootfs/base in the repository. Tests
// that read it are long: they skip with -short.
func DebootstrapRoot(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("reads the benchmark's debootstrap root filesystem; skipped with -short")
	}
	root := os.Getenv("CUSTOMS_ROOTFS_BASE")
	if root == "" {
		root = filepath.Join(repoRoot(t), "bench", "rootfs", "base")
	}
	if _, err := os.Stat(filepath.Join(root, "var", "lib", "dpkg", "status")); err != nil {
		missing(t, "debootstrap root filesystem not present (%v): run scripts/bench.sh --prepare to build it", err)
	}
	return root
}

// BenchImage returns the image archive name (e.g.
// "debian-bookworm-plain.tar") that scripts/bench.sh builds:
// $CUSTOMS_BENCH_IMAGES/name, else bench/images/name in the repository.
// Tests that read it are long: they skip with -short.
func BenchImage(t testing.TB, name string) string {
	t.Helper()
	if testing.Short() {
		t.Skip("reads a benchmark image; skipped with -short")
	}
	dir := os.Getenv("CUSTOMS_BENCH_IMAGES")
	if dir == "" {
		dir = filepath.Join(repoRoot(t), "bench", "images")
	}
	p := filepath.Join(dir, name)
	if _, err := os.Stat(p); err != nil {
		missing(t, "benchmark image not present (%v): run scripts/bench.sh --prepare to build it", err)
	}
	return p
}

// Missing skips the test, saying what it needs (format, args), or fails it
// when CUSTOMS_REQUIRE_DATA is set, as in CI, where nothing may skip.
func Missing(t testing.TB, format string, args ...any) {
	t.Helper()
	missing(t, format, args...)
}

func missing(t testing.TB, format string, args ...any) {
	t.Helper()
	if os.Getenv(RequireEnv) != "" {
		t.Fatalf(format+" ("+RequireEnv+" is set)", args...)
	}
	t.Skipf(format, args...)
}

func repoRoot(t testing.TB) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}

// PostgresEnv names the environment variable holding the DSN of a
// PostgreSQL database the store tests may use (.ci/run sets it).
const PostgresEnv = "CUSTOMS_TEST_POSTGRES"

// Postgres returns the DSN of the test PostgreSQL database. Without one
// the test skips, saying how to give one, unless CUSTOMS_REQUIRE_DATA is
// set: then it fails.
func Postgres(t testing.TB) string {
	t.Helper()
	dsn := os.Getenv(PostgresEnv)
	if dsn == "" {
		missing(t, "no PostgreSQL: set %s to the postgres:// URL of a database this test may create schemas in (.ci/run starts one)", PostgresEnv)
	}
	return dsn
}

// ChromiumEnv names the environment variable holding the path of the
// Chromium (or Chrome) binary the browser tests drive.
const ChromiumEnv = "CUSTOMS_CHROMIUM"

// Chromium returns the path of a headless-capable Chromium: $CUSTOMS_CHROMIUM,
// else the first of chromium, chromium-browser, google-chrome-stable and
// google-chrome on $PATH. Without one the test skips, saying how to get
// one, unless CUSTOMS_REQUIRE_DATA is set (.ci/run installs Debian's
// chromium): then it fails. Browser tests are long: they skip with -short.
func Chromium(t testing.TB) string {
	t.Helper()
	if testing.Short() {
		t.Skip("drives a headless Chromium; skipped with -short")
	}
	if p := os.Getenv(ChromiumEnv); p != "" {
		if _, err := os.Stat(p); err != nil {
			missing(t, "$%s: %v", ChromiumEnv, err)
		}
		return p
	}
	for _, name := range []string{"chromium", "chromium-browser", "google-chrome-stable", "google-chrome"} {
		if p, err := exec.LookPath(name); err == nil {
			return p
		}
	}
	missing(t, "no Chromium on $PATH (install Debian's chromium package, or set $%s to the browser's path): skipping the browser test", ChromiumEnv)
	return ""
}
