package binary

import (
	"os"
	"path/filepath"
	"testing"
)

// BenchmarkRules measures each rule alone over a large real shared object
// (libnode from the Debian rootfs, absent in CI: skipped).
func BenchmarkRules(b *testing.B) {
	p := filepath.Join("..", "..", "..", "bench", "rootfs", "full", "usr", "lib", "x86_64-linux-gnu", "libnode.so.108")
	content, err := os.ReadFile(p)
	if err != nil {
		b.Skip("no rootfs")
	}
	for _, r := range binaryRules {
		b.Run(r.name, func(b *testing.B) {
			b.SetBytes(int64(len(content)))
			for n := 0; n < b.N; n++ {
				r.find(content)
			}
		})
	}
	b.Run("Identify", func(b *testing.B) {
		b.SetBytes(int64(len(content)))
		for n := 0; n < b.N; n++ {
			Identify("x", content)
		}
	})
}
