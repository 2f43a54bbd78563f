package image

import (
	"bytes"
	"context"
	"io"
	"os"
	"path/filepath"
	"sync"
	"testing"
)

// TestBlobFileSection checks that a blob of an archive file tells where its
// bytes lie (so layerfs can map them instead of reading), only before it is
// read and only for a file.
func TestBlobFileSection(t *testing.T) {
	data := []byte("0123456789abcdefghijklmnopqrstuvwxyz")
	p := filepath.Join(t.TempDir(), "archive.tar")
	if err := os.WriteFile(p, data, 0o644); err != nil {
		t.Fatal(err)
	}
	f, err := os.Open(p)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	type section interface {
		FileSection() (*os.File, int64, int64, bool)
	}
	blobs := []blobAt{{key: "a", off: 3, size: 10}, {key: "b", off: 20, size: 16}}

	var mu sync.Mutex
	seen := map[string]bool{}
	err = readBlobsAt(t.Context(), f, blobs, 2, func(_ context.Context, b Blob) error {
		rc, err := b.Open()
		if err != nil {
			return err
		}
		defer rc.Close()
		s, ok := rc.(section)
		if !ok {
			t.Fatalf("blob %s: its reader has no FileSection method", b.Key)
		}
		sf, off, size, ok := s.FileSection()
		if !ok || sf != f {
			t.Fatalf("blob %s: FileSection = %v, %v, want the archive file", b.Key, sf, ok)
		}
		got := make([]byte, size)
		if _, err := sf.ReadAt(got, off); err != nil {
			t.Fatal(err)
		}
		read, err := io.ReadAll(rc)
		if err != nil {
			t.Fatal(err)
		}
		if !bytes.Equal(got, read) {
			t.Errorf("blob %s: section %q, read %q", b.Key, got, read)
		}
		if _, _, _, ok := s.FileSection(); ok {
			t.Errorf("blob %s: FileSection after a read says ok", b.Key)
		}
		mu.Lock()
		seen[b.Key] = true
		mu.Unlock()
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	if len(seen) != 2 {
		t.Errorf("blobs seen: %v", seen)
	}

	// Not a file: no section.
	err = readBlobsAt(t.Context(), bytes.NewReader(data), blobs[:1], 1, func(_ context.Context, b Blob) error {
		rc, err := b.Open()
		if err != nil {
			return err
		}
		if _, _, _, ok := rc.(section).FileSection(); ok {
			t.Error("a blob of a bytes.Reader has a file section")
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
}
