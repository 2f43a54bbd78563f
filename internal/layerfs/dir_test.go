package layerfs

import (
	"io/fs"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestAnalyzeDir(t *testing.T) {
	outside := t.TempDir()
	if err := os.WriteFile(filepath.Join(outside, "secret"), []byte("s"), 0o644); err != nil {
		t.Fatal(err)
	}
	root := t.TempDir()
	must := func(err error) {
		t.Helper()
		if err != nil {
			t.Fatal(err)
		}
	}
	must(os.MkdirAll(filepath.Join(root, "etc"), 0o755))
	must(os.WriteFile(filepath.Join(root, "etc/os-release"), []byte("ID=test\n"), 0o644))
	must(os.WriteFile(filepath.Join(root, "etc/big"), []byte("0123456789"), 0o644))
	must(os.WriteFile(filepath.Join(root, "etc/unwanted"), []byte("u"), 0o644))
	must(os.Symlink("/etc/os-release", filepath.Join(root, "abs")))
	must(os.Symlink(outside, filepath.Join(root, "out"))) // must not be followed
	must(os.Symlink(filepath.Join(outside, "secret"), filepath.Join(root, "etc/secret")))

	wants := func(p string, _ fs.FileMode) bool { return p != "etc/unwanted" }
	l, err := AnalyzeDir(t.Context(), root, Options{Wants: wants, MaxFileSize: 9})
	if err != nil {
		t.Fatal(err)
	}
	var paths []string
	for _, e := range l.Entries {
		paths = append(paths, e.Path+" "+e.Mode.Type().String())
	}
	wantPaths := []string{"abs L---------", "etc d---------", "etc/big ----------", "etc/os-release ----------", "etc/secret L---------", "etc/unwanted ----------", "out L---------"}
	if d := cmp.Diff(wantPaths, paths); d != "" {
		t.Errorf("entries (-want +got):\n%s", d)
	}
	if d := cmp.Diff(map[string][]byte{"etc/os-release": []byte("ID=test\n")}, l.Files); d != "" {
		t.Errorf("files (-want +got):\n%s", d)
	}
	if len(l.Errors) != 1 || l.Errors[0].Path != "etc/big" {
		t.Errorf("errors = %v, want one for etc/big", l.Errors)
	}
	ignoreLarge := func(string, fs.FileMode, int64) bool { return false }
	quiet, err := AnalyzeDir(t.Context(), root, Options{Wants: wants, MaxFileSize: 9, WantsLarge: ignoreLarge})
	if err != nil {
		t.Fatal(err)
	}
	if len(quiet.Errors) != 0 {
		t.Errorf("with WantsLarge false: errors = %v, want none", quiet.Errors)
	}
	if l.DiffID != "" || l.Digest != "" {
		t.Errorf("DiffID/Digest = %q/%q, want empty", l.DiffID, l.Digest)
	}
	fsys := Merge([]*Layer{l})
	if got, err := fsys.ReadFile("abs"); err != nil || string(got) != "ID=test\n" {
		t.Errorf("ReadFile(abs) = %q, %v", got, err)
	}
	if _, err := fsys.ReadFile("out/secret"); err == nil {
		t.Error("a symlink out of the root was followed")
	}
	if _, err := AnalyzeDir(t.Context(), filepath.Join(root, "missing"), Options{}); err == nil {
		t.Error("AnalyzeDir of a missing root succeeded")
	}
}

func TestAnalyzeDirUnreadable(t *testing.T) {
	if os.Geteuid() == 0 {
		t.Skip("root reads files regardless of permissions")
	}
	root := t.TempDir()
	if err := os.WriteFile(filepath.Join(root, "locked"), []byte("x"), 0o000); err != nil {
		t.Fatal(err)
	}
	l, err := AnalyzeDir(t.Context(), root, Options{Wants: wantAll})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Errors) != 1 || l.Errors[0].Path != "locked" {
		t.Errorf("errors = %v, want one for locked", l.Errors)
	}
}
