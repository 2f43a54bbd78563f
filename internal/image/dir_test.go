package image

import (
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestDir(t *testing.T) {
	dir := t.TempDir()
	abs, _ := filepath.Abs(dir)
	file := filepath.Join(dir, "f")
	writeFile(t, file, []byte("x"))
	for _, tc := range []struct {
		name, ref, wantErr string
	}{
		{"dir scheme", "dir:" + dir, ""},
		{"rootfs scheme", "rootfs:" + dir, ""},
		{"detected", dir, ""},
		{"file", "dir:" + file, "not a directory"},
		{"missing", "rootfs:" + filepath.Join(dir, "nope"), "no such file or directory"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			src, err := Open(t.Context(), tc.ref, Options{})
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("Open error = %v, want it to contain %q", err, tc.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			m, seen := readSource(t, src)
			if diff := cmp.Diff(summary{Kind: KindDir, RootDir: abs}, summarize(m)); diff != "" {
				t.Errorf("metadata (-want +got):\n%s", diff)
			}
			if len(seen) != 0 {
				t.Errorf("LayerFunc called for %v, want no calls", sortedKeys(seen))
			}
		})
	}
}
