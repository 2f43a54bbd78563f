package extract

import (
	"context"
	"errors"
	"io"
	"io/fs"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/layerfs"
)

// fakeExt is a test extractor: it wants paths with a prefix and, as a
// Preparer, keeps a digest of the content.
type fakeExt struct {
	name, prefix string
}

func (f fakeExt) Name() string                                                { return f.name }
func (f fakeExt) Version() int                                                { return 1 }
func (f fakeExt) Wants(p string, _ fs.FileMode) bool                          { return strings.HasPrefix(p, f.prefix) }
func (f fakeExt) Extract(context.Context, Input) ([]inventory.Package, error) { return nil, nil }

type prepExt struct{ fakeExt }

func (p prepExt) Prepare(path string, content []byte) ([]byte, error) {
	if strings.Contains(path, "bad") {
		return nil, errors.New("broken")
	}
	return []byte(p.name + ":" + string(content)), nil
}

// limitedExt is a fakeExt that ignores files over max bytes.
type limitedExt struct {
	fakeExt
	max int64
}

func (l limitedExt) MaxSize() int64 { return l.max }

func TestWantsLarge(t *testing.T) {
	large := WantsLarge([]Extractor{limitedExt{fakeExt{"secrets", ""}, 10}, fakeExt{"jar", "app/"}})
	tests := []struct {
		path string
		size int64
		want bool
	}{
		{"usr/lib/modules", 10, true},
		{"usr/lib/modules", 11, false}, // only the limited extractor wants it
		{"app/big.jar", 11, true},      // so does one without a limit
		{"etc/os-release", 11, true},   // OS detection has no limit
	}
	for _, tt := range tests {
		if got := large(tt.path, 0o644, tt.size); got != tt.want {
			t.Errorf("WantsLarge(%q, %d) = %v, want %v", tt.path, tt.size, got, tt.want)
		}
	}
}

func TestPrepareParts(t *testing.T) {
	exts := []Extractor{prepExt{fakeExt{"a", "bin/"}}, prepExt{fakeExt{"b", "bin/x"}}, fakeExt{"raw", "bin/x"}, fakeExt{"plain", "etc/"}}
	prep := Prepare(exts)
	got, err := prep("bin/x", 0o755, []byte("ELF"))
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct {
		name   string
		isPrep bool
		want   string
	}{{"a", true, "a:ELF"}, {"b", true, "b:ELF"}, {"raw", false, "ELF"}} {
		c, ok := contentFor(tc.name, tc.isPrep, got)
		if !ok || string(c) != tc.want {
			t.Errorf("contentFor(%s) = %q, %v; want %q", tc.name, c, ok, tc.want)
		}
	}
	if _, ok := contentFor("c", true, got); ok {
		t.Error("contentFor of an extractor without a part succeeded")
	}
	plain, err := prep("etc/os-release", 0o644, []byte("ID=debian"))
	if err != nil || string(plain) != "ID=debian" {
		t.Errorf("unprepared path = %q, %v", plain, err)
	}
	if c, ok := contentFor("plain", false, plain); !ok || string(c) != "ID=debian" {
		t.Errorf("contentFor(plain) = %q, %v", c, ok)
	}
	only, err := prep("bin/bad", 0o755, []byte("x"))
	if err == nil || only != nil {
		t.Errorf("a failing sole preparer gave %q, %v", only, err)
	}
	if diff := cmp.Diff("a: broken", err.Error()); diff != "" {
		t.Errorf("error (-want +got):\n%s", diff)
	}
}

func TestRawView(t *testing.T) {
	prep := Prepare([]Extractor{prepExt{fakeExt{"a", "bin/"}}, fakeExt{"raw", "bin/x"}})
	both, err := prep("bin/x", 0o755, []byte("ELF x"))
	if err != nil {
		t.Fatal(err)
	}
	onlyPrepared, err := prep("bin/y", 0o755, []byte("ELF y"))
	if err != nil {
		t.Fatal(err)
	}
	l := &layerfs.Layer{Files: map[string][]byte{"bin/x": both, "bin/y": onlyPrepared, "etc/plain": []byte("plain")}}
	for p, b := range l.Files {
		l.Entries = append(l.Entries, layerfs.Entry{Path: p, Mode: 0o755, Size: int64(len(b))})
	}
	v := rawView{layerfs.Merge([]*layerfs.Layer{l})}
	for p, want := range map[string]string{"bin/x": "ELF x", "etc/plain": "plain"} {
		got, err := fs.ReadFile(v, p)
		if err != nil || string(got) != want {
			t.Errorf("ReadFile(%s) = %q, %v; want %q", p, got, err, want)
		}
		f, err := v.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		b, _ := io.ReadAll(f)
		f.Close()
		if string(b) != want {
			t.Errorf("Open(%s) read %q, want %q", p, b, want)
		}
	}
	if _, err := fs.ReadFile(v, "bin/y"); !errors.Is(err, layerfs.ErrNotCaptured) {
		t.Errorf("ReadFile of a file kept only prepared: err = %v, want ErrNotCaptured", err)
	}
}

// TestLazyView: a lower layer's view merges its layers on the first read
// only, and then answers as the merged view does.
func TestLazyView(t *testing.T) {
	l0 := &layerfs.Layer{Files: map[string][]byte{"etc/a": []byte("a0"), "etc/b": []byte("b")}}
	l1 := &layerfs.Layer{Files: map[string][]byte{"etc/a": []byte("a1")}, Whiteouts: []string{"etc/b"}}
	for _, l := range []*layerfs.Layer{l0, l1} {
		for p, b := range l.Files {
			l.Entries = append(l.Entries, layerfs.Entry{Path: p, Mode: 0o644, Size: int64(len(b))})
		}
	}
	layers := []*layerfs.Layer{l0, l1}
	lazy := &lazyView{layers: layers}
	if lazy.v.FS != nil {
		t.Fatal("merged before any read")
	}
	eager := rawView{layerfs.Merge(layers)}
	for _, fsys := range []fs.FS{lazy, eager} {
		b, err := fs.ReadFile(fsys, "etc/a")
		if err != nil || string(b) != "a1" {
			t.Errorf("%T: ReadFile(etc/a) = %q, %v; want a1", fsys, b, err)
		}
		ents, err := fs.ReadDir(fsys, "etc")
		if err != nil || len(ents) != 1 || ents[0].Name() != "a" {
			t.Errorf("%T: ReadDir(etc) = %v, %v; want [a]", fsys, ents, err)
		}
		if _, err := fs.Stat(fsys, "etc/b"); !errors.Is(err, fs.ErrNotExist) {
			t.Errorf("%T: Stat(etc/b) err = %v, want ErrNotExist", fsys, err)
		}
	}
}
