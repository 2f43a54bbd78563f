package layerfs

import (
	"errors"
	"io"
	"io/fs"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
	v1 "github.com/google/go-containerregistry/pkg/v1"
	"github.com/google/go-containerregistry/pkg/v1/empty"
	"github.com/google/go-containerregistry/pkg/v1/mutate"
)

// buildImage stacks tar layers into a go-containerregistry image, then
// analyses each of the image's layers (checking digests) and merges them.
func buildImage(t *testing.T, opts Options, layers ...[]byte) *FS {
	t.Helper()
	var ls []v1.Layer
	for _, tb := range layers {
		ls = append(ls, ggcrLayer(t, tb))
	}
	img, err := mutate.AppendLayers(empty.Image, ls...)
	if err != nil {
		t.Fatal(err)
	}
	imgLayers, err := img.Layers()
	if err != nil {
		t.Fatal(err)
	}
	var analysed []*Layer
	for _, l := range imgLayers {
		analysed = append(analysed, analyzeLayer(t, l, opts))
	}
	return Merge(analysed)
}

func testImage(t *testing.T) *FS {
	t.Helper()
	l0 := tarBytes(t,
		dir("etc"), reg("etc/passwd", "v0"), reg("etc/group", "g0"),
		dir("var"), dir("var/cache"), dir("var/cache/apt"), reg("var/cache/apt/a", "a"), reg("var/cache/apt/b", "b"),
		dir("opt"), dir("opt/app"), reg("opt/app/old", "old"), dir("opt/app/sub"), reg("opt/app/sub/x", "x"),
		reg("tmp/keep", "k"),
		reg("usr/bin/busybox", "BB"), sym("bin/sh", "/usr/bin/busybox"),
		reg("lib/libc.so.6", "libc"), sym("usr/lib/libc.so", "../../lib/libc.so.6"),
		reg("usr/share/doc/README", "doc"),
		reg("srv/file-then-dir", "f"),
	)
	l1 := tarBytes(t,
		reg("etc/.wh.group", ""),
		reg("var/.wh.cache", ""),
		dir("opt/app"), reg("opt/app/.wh..wh..opq", ""), reg("opt/app/new", "new"),
		// A layer's own entries are not affected by its own whiteouts.
		reg("etc/.wh.passwd", ""), reg("etc/passwd", "v1"),
		reg("usr/bin/.wh.busybox", ""),
		reg("srv/file-then-dir/inside", "i"),
	)
	l2 := tarBytes(t,
		reg("var/cache/apt/c", "c"),
		reg("usr/bin/busybox", "BB2"),
		sym("escape", "/../../etc/passwd"),
		sym("rel-escape", "../../../../etc/passwd"),
		sym("deep/rel", "../../../etc/passwd"),
		sym("loop1", "loop2"), sym("loop2", "loop1"), sym("self", "self"),
		sym("chain1", "chain2"), sym("chain2", "/chain3"), sym("chain3", "etc/passwd"),
		hardlink("etc/passwd-hl", "etc/passwd"),
		hardlink("tmp/keep-hl", "tmp/keep"),
		sym("dirlink", "opt/app"),
		sym("dangling", "nowhere"),
	)
	wants := func(p string, _ fs.FileMode) bool { return !strings.HasPrefix(p, "usr/share/doc/") }
	return buildImage(t, Options{Wants: wants}, l0, l1, l2)
}

func TestMergeOpen(t *testing.T) {
	fsys := testImage(t)
	tests := []struct {
		path    string
		want    string
		wantErr error
	}{
		{"etc/passwd", "v1", nil},
		{"etc/group", "", fs.ErrNotExist},
		{"var/cache/apt/a", "", fs.ErrNotExist},
		{"var/cache/apt/c", "c", nil},
		{"opt/app/old", "", fs.ErrNotExist},
		{"opt/app/sub/x", "", fs.ErrNotExist},
		{"opt/app/new", "new", nil},
		{"tmp/keep", "k", nil},
		{"usr/bin/busybox", "BB2", nil},
		{"bin/sh", "BB2", nil},
		{"usr/lib/libc.so", "libc", nil},
		{"escape", "v1", nil},
		{"rel-escape", "v1", nil},
		{"deep/rel", "v1", nil},
		{"chain1", "v1", nil},
		{"loop1", "", ErrSymlinkLoop},
		{"self", "", ErrSymlinkLoop},
		{"loop1/x", "", ErrSymlinkLoop},
		{"dangling", "", fs.ErrNotExist},
		{"etc/passwd-hl", "v1", nil},
		{"tmp/keep-hl", "k", nil},
		{"dirlink/new", "new", nil},
		{"bin/sh/x", "", errNotDir},
		{"usr/share/doc/README", "", ErrNotCaptured},
		{"srv/file-then-dir/inside", "i", nil},
		{"/etc/passwd", "", fs.ErrInvalid},
		{"etc/../etc/passwd", "", fs.ErrInvalid},
	}
	for _, tc := range tests {
		t.Run(tc.path, func(t *testing.T) {
			got, err := fsys.ReadFile(tc.path)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("ReadFile(%q) error = %v, want %v", tc.path, err, tc.wantErr)
			}
			if string(got) != tc.want {
				t.Errorf("ReadFile(%q) = %q, want %q", tc.path, got, tc.want)
			}
			f, err := fsys.Open(tc.path)
			if !errors.Is(err, tc.wantErr) {
				t.Fatalf("Open(%q) error = %v, want %v", tc.path, err, tc.wantErr)
			}
			if err != nil {
				return
			}
			defer f.Close()
			b, err := io.ReadAll(f)
			if err != nil || string(b) != tc.want {
				t.Errorf("read opened %q = %q, %v; want %q", tc.path, b, err, tc.want)
			}
		})
	}
}

func TestMergeReadDirAndOrigin(t *testing.T) {
	fsys := testImage(t)
	readDir := func(name string) []string {
		des, err := fsys.ReadDir(name)
		if err != nil {
			t.Fatalf("ReadDir(%q): %v", name, err)
		}
		var out []string
		for _, de := range des {
			out = append(out, de.Name())
		}
		return out
	}
	dirs := map[string][]string{
		".":             {"bin", "chain1", "chain2", "chain3", "dangling", "deep", "dirlink", "escape", "etc", "lib", "loop1", "loop2", "opt", "rel-escape", "self", "srv", "tmp", "usr", "var"},
		"etc":           {"passwd", "passwd-hl"},
		"var":           {"cache"},
		"var/cache/apt": {"c"},
		"opt/app":       {"new"},
		"dirlink":       {"new"},
		"usr/bin":       {"busybox"},
	}
	for name, want := range dirs {
		if d := cmp.Diff(want, readDir(name)); d != "" {
			t.Errorf("ReadDir(%q) (-want +got):\n%s", name, d)
		}
	}

	origins := []struct {
		path  string
		layer int
		ok    bool
	}{
		{"etc/passwd", 1, true},
		{"tmp/keep", 0, true},
		{"usr/bin/busybox", 2, true},
		{"bin/sh", 0, true},
		{"opt/app", 1, true},
		{"var/cache", 2, true}, // implied again by var/cache/apt/c
		{"etc/group", -1, false},
		{"dirlink/new", -1, false}, // Origin resolves nothing
		{".", -1, false},
	}
	for _, tc := range origins {
		layer, ok := fsys.Origin(tc.path)
		if layer != tc.layer || ok != tc.ok {
			t.Errorf("Origin(%q) = %d, %v; want %d, %v", tc.path, layer, ok, tc.layer, tc.ok)
		}
	}

	var got []string
	fsys.Entries(func(p string, e Entry, layer int) bool {
		if strings.HasPrefix(p, "etc") || strings.HasPrefix(p, "var") {
			got = append(got, p)
		}
		return true
	})
	want := []string{"etc", "etc/passwd", "etc/passwd-hl", "var", "var/cache", "var/cache/apt", "var/cache/apt/c"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("Entries (-want +got):\n%s", d)
	}
	n := 0
	fsys.Entries(func(string, Entry, int) bool { n++; return n < 3 })
	if n != 3 {
		t.Errorf("Entries did not stop when fn returned false: %d calls", n)
	}
}

func TestMergeStat(t *testing.T) {
	fsys := testImage(t)
	tests := []struct {
		path        string
		stat, lstat fs.FileMode
	}{
		{"bin/sh", 0o644, fs.ModeSymlink | 0o644},
		{"dirlink", fs.ModeDir | 0o755, fs.ModeSymlink | 0o644},
		{"etc/passwd-hl", 0o644, 0o644},
		{"var/cache", fs.ModeDir | 0o755, fs.ModeDir | 0o755},
	}
	for _, tc := range tests {
		st, err := fsys.Stat(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		lst, err := fsys.Lstat(tc.path)
		if err != nil {
			t.Fatal(err)
		}
		if st.Mode() != tc.stat || lst.Mode() != tc.lstat {
			t.Errorf("%s: Stat mode %v, Lstat mode %v; want %v, %v", tc.path, st.Mode(), lst.Mode(), tc.stat, tc.lstat)
		}
	}
	if got, err := fsys.ReadLink("escape"); err != nil || got != "/../../etc/passwd" {
		t.Errorf("ReadLink(escape) = %q, %v", got, err)
	}
	if st, err := fsys.Stat("etc/passwd-hl"); err != nil || st.Size() != 2 || !st.Sys().(Entry).Hardlink {
		t.Errorf("Stat(etc/passwd-hl) = %+v, %v; want size 2 and a hard link entry", st, err)
	}
}

// TestFSConformance runs the standard library's fs.FS checks on a merged
// image without loops or uncaptured files.
func TestFSConformance(t *testing.T) {
	fsys := buildImage(t, Options{Wants: wantAll},
		tarBytes(t, dir("etc"), reg("etc/passwd", "root"), reg("etc/group", "g"), reg("usr/lib/x", "x"), sym("lib", "usr/lib")),
		tarBytes(t, reg("etc/.wh.group", ""), reg("etc/hosts", "localhost"), hardlink("etc/passwd-", "etc/passwd"), sym("etc/abs", "/etc/hosts")),
	)
	if err := fstest.TestFS(fsys, "etc/passwd", "etc/hosts", "etc/passwd-", "usr/lib/x", "etc/abs"); err != nil {
		t.Fatal(err)
	}
}

func TestMergeSameLayerAndReplace(t *testing.T) {
	// A directory replaced by a file hides its lower children; the file
	// replaced by a directory again starts empty.
	fsys := Merge([]*Layer{
		{Entries: []Entry{{Path: "a", Mode: fs.ModeDir | 0o755}, {Path: "a/b", Mode: 0o644}}},
		{Entries: []Entry{{Path: "a", Mode: 0o644}}},
		{Entries: []Entry{{Path: "a/c", Mode: 0o644}}},
		nil,
	})
	var got []string
	fsys.Entries(func(p string, e Entry, layer int) bool {
		got = append(got, p)
		return true
	})
	if d := cmp.Diff([]string{"a", "a/c"}, got); d != "" {
		t.Errorf("entries (-want +got):\n%s", d)
	}
	if fsys.Layers() != 4 {
		t.Errorf("Layers() = %d, want 4", fsys.Layers())
	}
}

// componentCompare is the definition comparePaths implements: components
// compared in turn, a parent before its children.
func componentCompare(a, b string) int {
	ac, bc := strings.Split(a, "/"), strings.Split(b, "/")
	for i := 0; i < len(ac) && i < len(bc); i++ {
		if c := strings.Compare(ac[i], bc[i]); c != 0 {
			return c
		}
	}
	return len(ac) - len(bc)
}

func sign(n int) int { return min(max(n, -1), 1) }

func FuzzComparePaths(f *testing.F) {
	f.Add("a-b", "a/b")
	f.Add("a/b", "a")
	f.Add("usr/lib/x86_64-linux-gnu/libc.so.6", "usr/lib/x86_64-linux-gnu/perl/5.36")
	f.Add("a b/c", "a/b c")
	f.Fuzz(func(t *testing.T, a, b string) {
		if got, want := sign(comparePaths(a, b)), sign(componentCompare(a, b)); got != want {
			t.Errorf("comparePaths(%q, %q) = %d, want %d", a, b, got, want)
		}
	})
}

func TestComparePaths(t *testing.T) {
	in := []string{"a-b", "a/b", "a", "b", "a/b/c", "a.b", "a/a"}
	want := []string{"a", "a/a", "a/b", "a/b/c", "a-b", "a.b", "b"}
	got := append([]string(nil), in...)
	sortPaths(got)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("sorted (-want +got):\n%s", d)
	}
}
