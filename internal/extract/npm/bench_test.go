package npm

import (
	"encoding/json"
	"fmt"
	"os"
	"testing"

	"github.com/customs-scanner/customs/internal/extract"
)

// syntheticLock builds a lockfile v3 of n packages shaped like a real tree:
// most at the top of node_modules, every tenth nested one level below its
// dependent, each with a few dependencies.
func syntheticLock(tb testing.TB, n int) []byte {
	tb.Helper()
	pkgs := map[string]any{"": map[string]any{"name": "app", "version": "1.0.0"}}
	for i := 0; i < n; i++ {
		key := fmt.Sprintf("node_modules/pkg-%d", i)
		if i%10 == 9 {
			key = fmt.Sprintf("node_modules/pkg-%d/node_modules/@scope/pkg-%d", i-1, i)
		}
		deps := map[string]string{}
		for j := 1; j <= 3; j++ {
			deps[fmt.Sprintf("pkg-%d", (i+j*7)%n)] = "^1.0.0"
		}
		pkgs[key] = map[string]any{
			"version":      fmt.Sprintf("1.%d.0", i),
			"resolved":     fmt.Sprintf("https://registry.npmjs.org/pkg-%d/-/pkg-%d-1.%d.0.tgz", i, i, i),
			"integrity":    "sha512-iHrIBaTK1JzBz5WvitFmZGaTCO/mHiU3NKi8UKjh7rU2JboIbVMZU7pFSCpvc2NxfkrvyaQ5zfdNRJnft/TcoQ==",
			"license":      "MIT",
			"dev":          i%3 == 0,
			"dependencies": deps,
		}
	}
	b, err := json.MarshalIndent(map[string]any{"name": "app", "lockfileVersion": 3, "packages": pkgs}, "", "  ")
	if err != nil {
		tb.Fatal(err)
	}
	return b
}

func BenchmarkPackageLock1500(b *testing.B) {
	content := syntheticLock(b, 1500)
	b.SetBytes(int64(len(content)))
	for b.Loop() {
		pkgs, err := New().Extract(b.Context(), extract.Input{Path: "package-lock.json", Content: content})
		if err != nil || len(pkgs) != 1500 {
			b.Fatalf("%d packages, %v", len(pkgs), err)
		}
	}
}

// BenchmarkPackageLockLarge reads the 1,410-entry lockfile npm generated
// from the registry (shared data, absent on a fresh clone).
func BenchmarkPackageLockLarge(b *testing.B) {
	content, err := os.ReadFile("../../../../shared/data/pkgdb/npm/generated-here/large-sample.package-lock.json")
	if err != nil {
		b.Skipf("shared data not here: %v", err)
	}
	b.SetBytes(int64(len(content)))
	for b.Loop() {
		pkgs, err := New().Extract(b.Context(), extract.Input{Path: "package-lock.json", Content: content})
		if err != nil || len(pkgs) != 1281 {
			b.Fatalf("%d packages, %v", len(pkgs), err)
		}
	}
}
