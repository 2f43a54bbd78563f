// Package shareddata locates the real feeds, images and package databases
// kept beside the repository (../shared/data, see its MANIFEST) for tests.
package shareddata

import (
	"os"
	"path/filepath"
	"testing"
)

// Path returns rel (slash-separated) under ../shared/data beside the
// repository, skipping the test when it is absent, as it is in a fresh clone.
func Path(t testing.TB, rel string) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
	p := filepath.Join(dir, "..", "shared", "data", filepath.FromSlash(rel))
	if _, err := os.Stat(p); err != nil {
		t.Skipf("shared data not present (%v): skipping the real-data test", err)
	}
	return p
}
