package nvd

import (
	"context"
	"os"
	"path/filepath"
	"testing"
)

// FuzzImport feeds arbitrary bytes to the streaming reader as a .json file.
func FuzzImport(f *testing.F) {
	for _, p := range []string{"testdata/pages/*.json", "testdata/cve/*.json"} {
		files, _ := filepath.Glob(p)
		for _, name := range files {
			b, err := os.ReadFile(name)
			if err != nil {
				f.Fatal(err)
			}
			f.Add(b)
		}
	}
	f.Add([]byte(`{"vulnerabilities":[{"cve":{"id":"CVE-1","configurations":[{"nodes":[{"cpeMatch":[{"vulnerable":true,"criteria":"cpe:2.3:a:x\\:y:z"}]}]}]}}]}`))
	dir := f.TempDir()
	f.Fuzz(func(t *testing.T, b []byte) {
		p := filepath.Join(dir, "x.json")
		if err := os.WriteFile(p, b, 0o644); err != nil {
			t.Fatal(err)
		}
		var got collect
		n, _ := Import(context.Background(), p, &got)
		if n != len(got) {
			t.Fatalf("Import = %d, sink got %d", n, len(got))
		}
		for _, a := range got {
			if a.ID == "" {
				t.Fatal("advisory without ID")
			}
		}
	})
}
