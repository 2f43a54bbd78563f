package main

import (
	"archive/tar"
	"bytes"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-containerregistry/pkg/v1/tarball"
	"github.com/google/go-containerregistry/pkg/v1/validate"
)

var epoch = time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)

// tree creates files (content; "->x" makes a symlink to x, "=x" a hard link to
// x, a trailing "/" a directory) under dir, all with the same mtime.
func tree(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if strings.HasSuffix(name, "/") {
			if err := os.MkdirAll(p, 0o755); err != nil {
				t.Fatal(err)
			}
			continue
		}
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		var err error
		switch {
		case strings.HasPrefix(content, "->"):
			err = os.Symlink(content[2:], p)
		case strings.HasPrefix(content, "="):
			continue // after the regular files
		default:
			err = os.WriteFile(p, []byte(content), 0o644)
		}
		if err != nil {
			t.Fatal(err)
		}
	}
	for name, content := range files {
		if strings.HasPrefix(content, "=") {
			if err := os.Link(filepath.Join(dir, content[1:]), filepath.Join(dir, name)); err != nil {
				t.Fatal(err)
			}
		}
	}
	// Same mtime everywhere, so only content and presence make a difference.
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil || d.Type()&fs.ModeSymlink != 0 {
			return err
		}
		return os.Chtimes(p, epoch, epoch)
	})
	if err != nil {
		t.Fatal(err)
	}
}

func listTar(t *testing.T, r io.Reader) []string {
	t.Helper()
	var got []string
	tr := tar.NewReader(r)
	for {
		h, err := tr.Next()
		if errors.Is(err, io.EOF) {
			return got
		}
		if err != nil {
			t.Fatal(err)
		}
		e := fmt.Sprintf("%c %s", h.Typeflag, h.Name)
		if h.Linkname != "" {
			e += " -> " + h.Linkname
		}
		got = append(got, e)
	}
}

var (
	lowerFiles = map[string]string{
		"etc/keep":                "same",
		"etc/gone":                "removed in the upper layer",
		"etc/changed":             "a",
		"var/lib/apt/lists/index": "removed with its directory",
	}
	upperFiles = map[string]string{
		"etc/keep":       "same",
		"etc/changed":    "bb",
		"etc/new":        "new",
		"usr/bin/a":      "binary",
		"usr/bin/b":      "=usr/bin/a",
		"usr/bin/c":      "->a",
		"var/lib/apt/":   "",
		"tmp/empty-dir/": "",
	}
)

func TestWriteLayer(t *testing.T) {
	lower, upper := t.TempDir(), t.TempDir()
	tree(t, lower, lowerFiles)
	tree(t, upper, upperFiles)
	tests := []struct {
		name         string
		lower, upper string
		want         []string
	}{
		{
			name:  "full layer",
			upper: lower,
			want: []string{
				"5 etc/", "0 etc/changed", "0 etc/gone", "0 etc/keep",
				"5 var/", "5 var/lib/", "5 var/lib/apt/", "5 var/lib/apt/lists/", "0 var/lib/apt/lists/index",
			},
		},
		{
			name:  "diff with whiteouts and hard links",
			lower: lower,
			upper: upper,
			want: []string{
				"5 etc/", "0 etc/changed", "0 etc/new",
				"5 tmp/", "5 tmp/empty-dir/",
				"5 usr/", "5 usr/bin/", "0 usr/bin/a", "1 usr/bin/b -> usr/bin/a", "2 usr/bin/c -> a",
				"0 etc/.wh.gone",
				"5 var/", "5 var/lib/", "5 var/lib/apt/", "0 var/lib/apt/.wh.lists",
			},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			var buf bytes.Buffer
			n, err := writeLayer(t.Context(), tc.lower, tc.upper, &buf)
			if err != nil {
				t.Fatal(err)
			}
			got := listTar(t, &buf)
			if diff := cmp.Diff(tc.want, got); diff != "" {
				t.Errorf("layer entries (-want +got):\n%s", diff)
			}
			if n != len(got) {
				t.Errorf("writeLayer counted %d entries, the tar has %d", n, len(got))
			}
		})
	}
}

func TestBuildAndRead(t *testing.T) {
	lower, upper, out := t.TempDir(), t.TempDir(), t.TempDir()
	tree(t, lower, lowerFiles)
	tree(t, upper, upperFiles)
	o := buildOptions{
		Base: lower, Top: upper,
		Tar: filepath.Join(out, "plain.tar"), Gzip: filepath.Join(out, "gzip.tar"),
		CreatedBy1: "one", CreatedBy2: "two", Tag: "customs-bench/test:1",
	}
	if err := build(t.Context(), o, io.Discard); err != nil {
		t.Fatal(err)
	}
	var stats []readStats
	var diffIDs []string
	for _, tc := range []struct {
		archive string
		entries bool
	}{{o.Tar, true}, {o.Gzip, true}, {o.Gzip, false}} {
		img, err := tarball.ImageFromPath(tc.archive, nil)
		if err != nil {
			t.Fatal(err)
		}
		if err := validate.Image(img); err != nil {
			t.Errorf("validate %s: %v", tc.archive, err)
		}
		if diffIDs == nil {
			cfg, err := img.ConfigFile()
			if err != nil {
				t.Fatal(err)
			}
			for _, d := range cfg.RootFS.DiffIDs {
				diffIDs = append(diffIDs, d.String())
			}
		}
		st, err := readArchive(t.Context(), tc.archive, readOptions{Entries: tc.entries, Hash: tc.entries})
		if err != nil {
			t.Fatal(err)
		}
		stats = append(stats, st)
	}
	// Bytes: the lower files' contents, then etc/changed, etc/new, usr/bin/a.
	want := []readStats{
		{Layers: 2, Entries: 24, Bytes: 4 + 26 + 1 + 26 + 2 + 3 + 6, DiffIDs: diffIDs},
		{Layers: 2, Entries: 24, Bytes: 4 + 26 + 1 + 26 + 2 + 3 + 6, DiffIDs: diffIDs},
		{Layers: 2, Entries: 0, Bytes: stats[2].Bytes}, // the layer tars' size
	}
	if diff := cmp.Diff(want, stats); diff != "" {
		t.Errorf("read stats (-want +got):\n%s", diff)
	}
	if _, err := readArchive(t.Context(), o.Tar, readOptions{}); err == nil {
		t.Error("gunzip of plain layers: got no error")
	}
}

func TestDpkgCount(t *testing.T) {
	root := t.TempDir()
	status := "Package: a\nStatus: install ok installed\n\nPackage: b\nStatus: deinstall ok config-files\n\n" +
		"Package: c\nStatus: purge ok not-installed\n\nPackage: d\nStatus: install ok installed\n"
	tree(t, root, map[string]string{"var/lib/dpkg/status": status})
	n, err := dpkgCount(root)
	if err != nil {
		t.Fatal(err)
	}
	if n != 2 {
		t.Errorf("dpkgCount = %d, want 2", n)
	}
}
