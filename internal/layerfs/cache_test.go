package layerfs

import (
	"bytes"
	"io/fs"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/customs-scanner/customs/internal/inventory"
)

func TestCacheLayerRoundTrip(t *testing.T) {
	dir := filepath.Join(t.TempDir(), "cache")
	c, err := OpenCache(dir)
	if err != nil {
		t.Fatal(err)
	}
	if st, err := os.Stat(dir); err != nil || st.Mode().Perm() != 0o700 {
		t.Fatalf("cache dir: %v, %v; want mode 0700", st, err)
	}
	want := &Layer{
		DiffID:    "sha256:aa",
		Digest:    "sha256:bb",
		Entries:   []Entry{{Path: "etc/passwd", Mode: 0o644, Size: 4}, {Path: "bin/sh", Mode: fs.ModeSymlink | 0o777, Linkname: "/bin/busybox", UID: 1, GID: 2}},
		Whiteouts: []string{"tmp/x"},
		Opaque:    []string{"opt"},
		Files:     map[string][]byte{"etc/passwd": []byte("root"), "empty": {}},
		Errors:    []inventory.FileError{{Path: "big", Err: "skipped"}},
	}
	key := Key("sha256:aa", "extractors-v1")
	if _, ok := c.Get(key); ok {
		t.Fatal("Get on an empty cache hit")
	}
	if err := c.Put(key, want); err != nil {
		t.Fatal(err)
	}
	got, ok := c.Get(key)
	if !ok {
		t.Fatal("Get after Put missed")
	}
	if d := cmpLayer(want, got); d != "" {
		t.Errorf("round trip (-want +got):\n%s", d)
	}
	if got.Files == nil {
		t.Error("Files is nil after a round trip")
	}
	// Only the entry itself is left in the directory (no temp files).
	names, _ := os.ReadDir(dir)
	if len(names) != 1 {
		t.Errorf("cache dir holds %d files, want 1", len(names))
	}
}

func TestCacheCorrupt(t *testing.T) {
	c, err := OpenCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	key := Key("x")
	if err := c.Put(key, &Layer{DiffID: "sha256:x"}); err != nil {
		t.Fatal(err)
	}
	good, err := os.ReadFile(c.layerPath(key))
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name string
		data []byte
	}{
		{"garbage", []byte("definitely not zstd")},
		{"empty", nil},
		{"truncated", good[:len(good)/2]},
		{"zstd of garbage", zstdBytes(t, []byte(cacheMagic+"\xff\xff\xff garbage gob"))},
		{"wrong magic", zstdBytes(t, []byte("customs-layer-v0\n"))},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if err := os.WriteFile(c.layerPath(key), tc.data, 0o600); err != nil {
				t.Fatal(err)
			}
			if _, ok := c.Get(key); ok {
				t.Fatal("Get of a corrupt file hit")
			}
			if _, err := os.Stat(c.layerPath(key)); !os.IsNotExist(err) {
				t.Errorf("corrupt file not removed: %v", err)
			}
		})
	}
}

func TestCacheRecords(t *testing.T) {
	c, err := OpenCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	type rec struct{ DiffIDs []string }
	key := Key("docker-archive", "/images/a.tar", "12345", "1700000000")
	var got rec
	if c.GetRecord(key, &got) {
		t.Fatal("GetRecord on an empty cache hit")
	}
	want := rec{DiffIDs: []string{"sha256:a", "sha256:b"}}
	if err := c.PutRecord(key, want); err != nil {
		t.Fatal(err)
	}
	if !c.GetRecord(key, &got) {
		t.Fatal("GetRecord after PutRecord missed")
	}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("record (-want +got):\n%s", d)
	}
	if err := os.WriteFile(c.recordPath(key), []byte("{not json"), 0o600); err != nil {
		t.Fatal(err)
	}
	if c.GetRecord(key, &got) {
		t.Error("GetRecord of a corrupt record hit")
	}
	if _, err := os.Stat(c.recordPath(key)); !os.IsNotExist(err) {
		t.Errorf("corrupt record not removed: %v", err)
	}
}

func TestCacheBlobs(t *testing.T) {
	c, err := OpenCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	key := Key("matched", "x")
	if _, ok := c.GetBlob(key); ok {
		t.Fatal("GetBlob on an empty cache hit")
	}
	want := []byte("\x00any\xffbytes")
	if err := c.PutBlob(key, want); err != nil {
		t.Fatal(err)
	}
	got, ok := c.GetBlob(key)
	if !ok || string(got) != string(want) {
		t.Errorf("GetBlob after PutBlob = %q, %v; want %q", got, ok, want)
	}
	if err := c.PutBlob("../x", want); err == nil {
		t.Error("PutBlob with a key that is not hex succeeded")
	}
	if _, ok := c.GetBlob("../x"); ok {
		t.Error("GetBlob with a key that is not hex hit")
	}
}

func TestCacheKeys(t *testing.T) {
	if k := Key("a", "b"); len(k) != 64 || k == Key("ab") || k == Key("a", "b", "") {
		t.Errorf("Key: %q collides or is not 64 hex digits", k)
	}
	c, err := OpenCache(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	for _, bad := range []string{"", "../etc", "ab/cd", "ABCD", strings.Repeat("a", 129), "a.b"} {
		if err := c.Put(bad, &Layer{}); err == nil {
			t.Errorf("Put(%q) accepted an invalid key", bad)
		}
		if err := c.PutRecord(bad, 1); err == nil {
			t.Errorf("PutRecord(%q) accepted an invalid key", bad)
		}
		if _, ok := c.Get(bad); ok {
			t.Errorf("Get(%q) hit", bad)
		}
	}
	if _, err := OpenCache(""); err == nil {
		t.Error("OpenCache(\"\") succeeded")
	}
}

func FuzzDecodeLayer(f *testing.F) {
	c, err := OpenCache(f.TempDir())
	if err != nil {
		f.Fatal(err)
	}
	key := Key("seed")
	l := &Layer{DiffID: "sha256:x", Entries: []Entry{{Path: "a", Mode: 0o644}}, Files: map[string][]byte{"a": []byte("1")}}
	if err := c.Put(key, l); err != nil {
		f.Fatal(err)
	}
	good, err := os.ReadFile(c.layerPath(key))
	if err != nil {
		f.Fatal(err)
	}
	f.Add(good)
	f.Add([]byte(cacheMagic))
	f.Add(zstdBytes(f, []byte(cacheMagic+"garbage")))
	f.Fuzz(func(t *testing.T, data []byte) {
		decodeLayer(bytes.NewReader(data))
	})
}
