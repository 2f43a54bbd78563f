package gobinary

import (
	"archive/tar"
	"bytes"
	"os"
	"slices"
	"testing"

	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/extract/cargo"
	"github.com/customs-scanner/customs/internal/layerfs"
)

// TestWalk reads a layer tar through layerfs and the walker with the Go
// binary extractor and the Cargo.lock extractor, as a scan does: the
// executable is prepared while the layer is read, a non-executable copy is
// not captured, and the lock file reaches its own extractor untouched.
func TestWalk(t *testing.T) {
	bin := miniELF(tinyInfo, map[string][]byte{".dep-v0": zlibBytes(t, []byte(auditJSON))})
	lock, err := os.ReadFile("../cargo/testdata/v4.Cargo.lock")
	if err != nil {
		t.Fatal(err)
	}
	var buf bytes.Buffer
	tw := tar.NewWriter(&buf)
	for _, f := range []struct {
		name string
		mode int64
		body []byte
	}{
		{"usr/local/bin/tiny", 0o755, bin},
		{"app/tiny-copy", 0o644, bin}, // not executable: not captured
		{"app/Cargo.lock", 0o644, lock},
	} {
		if err := tw.WriteHeader(&tar.Header{Name: f.name, Mode: f.mode, Size: int64(len(f.body)), Typeflag: tar.TypeReg}); err != nil {
			t.Fatal(err)
		}
		tw.Write(f.body)
	}
	if err := tw.Close(); err != nil {
		t.Fatal(err)
	}
	exts := []extract.Extractor{cargo.New(), New()}
	l, err := layerfs.Analyze(t.Context(), &buf, layerfs.Options{Wants: extract.Wants(exts), Prepare: extract.Prepare(exts)})
	if err != nil {
		t.Fatal(err)
	}
	var kept []string
	for p := range l.Files {
		kept = append(kept, p)
	}
	slices.Sort(kept)
	if want := []string{"app/Cargo.lock", "usr/local/bin/tiny"}; !slices.Equal(kept, want) {
		t.Fatalf("captured %v, want %v", kept, want)
	}
	if got := l.Files["usr/local/bin/tiny"]; !bytes.Contains(got, []byte(recordMagic)) || bytes.Contains(got, bin[:256]) {
		t.Errorf("binary kept as %d bytes (%q), not as a record", len(got), got[:min(len(got), 40)])
	}
	if !bytes.Equal(l.Files["app/Cargo.lock"], lock) {
		t.Errorf("Cargo.lock not kept as is")
	}
	res, err := extract.Run(t.Context(), []*layerfs.Layer{l}, []extract.LayerInfo{{DiffID: "sha256:a"}}, exts, extract.Options{})
	if err != nil {
		t.Fatal(err)
	}
	count := map[string]int{}
	for _, p := range res.Packages {
		count[p.FoundBy+" "+p.Locations[0].Path]++
	}
	want := map[string]int{
		"lang/cargo app/Cargo.lock":           10,
		"binary/buildinfo usr/local/bin/tiny": 7, // 5 Go (main, 3 deps, stdlib) + 2 crates
	}
	if !maps(count, want) {
		t.Errorf("packages per extractor and file = %v, want %v", count, want)
	}
	if len(res.Errors) != 0 {
		t.Errorf("errors: %v", res.Errors)
	}
	if len(res.Relationships) == 0 {
		t.Errorf("no depends-on relationships")
	}
}

func maps(a, b map[string]int) bool {
	if len(a) != len(b) {
		return false
	}
	for k, v := range a {
		if b[k] != v {
			return false
		}
	}
	return true
}
