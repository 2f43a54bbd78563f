package debian

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"github.com/customs-scanner/customs/internal/vulndb"
)

// collector is the consumer of an import in tests: it keeps what it is given.
type collector struct{ advs []*vulndb.Advisory }

func (c *collector) Add(_ context.Context, a *vulndb.Advisory) error {
	c.advs = append(c.advs, a)
	return nil
}

// byID returns the collected advisories with id.
func (c *collector) byID(id string) []*vulndb.Advisory {
	var out []*vulndb.Advisory
	for _, a := range c.advs {
		if a.ID == id {
			out = append(out, a)
		}
	}
	return out
}

// sharedData returns the path of rel under the shared data folder beside the
// repository (../shared/data), skipping the test when it is absent, as it is
// in a fresh clone.
func sharedData(t *testing.T, rel string) string {
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
