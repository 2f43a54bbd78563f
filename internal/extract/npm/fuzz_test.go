package npm

import (
	"os"
	"path/filepath"
	"testing"

	"github.com/customs-scanner/customs/internal/extract"
)

// fuzzExtract feeds data to Extract as the file at path and checks the
// invariants every result must keep.
func fuzzExtract(f *testing.F, path string, seeds ...string) {
	for _, s := range seeds {
		b, err := os.ReadFile(filepath.Join("testdata", s))
		if err != nil {
			f.Fatal(err)
		}
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		pkgs, _ := New().Extract(t.Context(), extract.Input{Path: path, Content: data})
		seen := map[string]bool{}
		for _, p := range pkgs {
			if p.Name == "" || p.Version == "" || p.PURL == "" {
				t.Fatalf("incomplete package %+v", p)
			}
			if seen[p.PURL] {
				t.Fatalf("duplicate %s", p.PURL)
			}
			seen[p.PURL] = true
		}
	})
}

func FuzzPackageLock(f *testing.F) {
	fuzzExtract(f, "package-lock.json", "trivy_package-lock_v1.json", "trivy_package-lock_v3_with_workspace.json")
}

func FuzzYarnLock(f *testing.F) {
	fuzzExtract(f, "yarn.lock", "trivy-repo_yarn.lock", "trivy_yarn_v2_happy.lock")
}

func FuzzPnpmLock(f *testing.F) {
	fuzzExtract(f, "pnpm-lock.yaml", "trivy_pnpm-lock_v5.yaml", "trivy-repo_pnpm-lock_v6.yaml", "trivy_pnpm-lock_v9.yaml")
}

func FuzzPackageJSON(f *testing.F) {
	fuzzExtract(f, "node_modules/x/package.json", "installed/react.package.json", "rootfs/usr/share/nodejs/busboy/package.json")
}
