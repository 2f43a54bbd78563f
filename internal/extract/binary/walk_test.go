package binary_test

import (
	"context"
	"io/fs"
	"sort"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/extract/apk"
	"github.com/customs-scanner/customs/internal/extract/binary"
	"github.com/customs-scanner/customs/internal/layerfs"
)

// TestWithWalker runs the extractor through the walker as a scan does:
// files chosen by extract.Wants with their modes, prepared by
// extract.Prepare, then extract.Run. The apk database beside the binaries
// must reach the apk extractor untouched although Prepare is asked about
// it (binary answers mode-0 questions for any path).
func TestWithWalker(t *testing.T) {
	exts := []extract.Extractor{apk.New(), binary.New()}
	type file struct {
		mode fs.FileMode
		body string
	}
	files := map[string]file{
		"opt/app/server":       {0o755, "\x7fELF\x00OpenSSL 3.0.11 19 Sep 2023\x00OPENSSLDIR: \"/usr/local/ssl\"\x00"},
		"usr/lib/libz.so.1":    {0o644, "\x7fELF\x00 deflate 1.3.1 Copyright 1995-2024 Jean-loup Gailly and Mark Adler \x00"},
		"usr/bin/hello":        {0o755, "\x7fELF\x00hello\x00"},
		"lib/apk/db/installed": {0o644, "P:musl\nV:1.2.4-r2\nA:x86_64\n\n"},
		"etc/os-release":       {0o644, "ID=alpine\nVERSION_ID=3.19.0\n"},
		"etc/motd":             {0o644, "OpenSSL 3.0.11 19 Sep 2023\n"},
	}
	wants, prepare := extract.Wants(exts), extract.Prepare(exts)
	l := &layerfs.Layer{DiffID: "sha256:aa", Files: map[string][]byte{}}
	for p, f := range files {
		l.Entries = append(l.Entries, layerfs.Entry{Path: p, Mode: f.mode, Size: int64(len(f.body))})
		if !wants(p, f.mode) {
			continue
		}
		kept, err := prepare(p, f.mode, []byte(f.body))
		if err != nil {
			t.Fatal(err)
		}
		if kept != nil {
			l.Files[p] = kept
		}
	}
	res, err := extract.Run(context.Background(), []*layerfs.Layer{l}, []extract.LayerInfo{{DiffID: "sha256:aa"}}, exts, extract.Options{})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, p := range res.Packages {
		got = append(got, p.FoundBy+" "+p.PURL+" "+p.Locations[0].Path)
	}
	sort.Strings(got)
	want := []string{
		"binary/identify pkg:generic/openssl@3.0.11 opt/app/server",
		"binary/identify pkg:generic/zlib@1.3.1 usr/lib/libz.so.1",
		"os/apk pkg:apk/alpine/musl@1.2.4-r2?arch=x86_64&distro=alpine-3.19.0 lib/apk/db/installed",
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("packages (-want +got):\n%s", diff)
	}
	if len(res.Errors) != 0 {
		t.Errorf("errors: %v", res.Errors)
	}
	for _, p := range []string{"usr/bin/hello", "etc/motd"} {
		if b, ok := l.Files[p]; ok {
			t.Errorf("%s: kept %q, want nothing", p, b)
		}
	}
}
