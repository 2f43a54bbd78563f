package rpmdb

import (
	"compress/gzip"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"testing"
)

func readGz(t testing.TB, name string) []byte {
	t.Helper()
	f, err := os.Open(filepath.Join("testdata", name+".gz"))
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		t.Fatal(err)
	}
	b, err := io.ReadAll(zr)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// blobs returns the header blobs of a testdata database.
func blobs(t testing.TB, name string) [][]byte {
	t.Helper()
	var out [][]byte
	err := ReadBerkeleyDB(readGz(t, name), func(b []byte) error {
		out = append(out, append([]byte(nil), b...))
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	return out
}

// buildNDB writes blobs into a minimal NDB file: one slot page, then each
// blob at a 16-byte block boundary.
func buildNDB(blobs [][]byte) []byte {
	le := binary.LittleEndian
	db := make([]byte, ndbPageSize)
	le.PutUint32(db, ndbHeaderMagic)
	le.PutUint32(db[12:], 1)
	for off := 32; off < ndbPageSize; off += 16 {
		le.PutUint32(db[off:], ndbSlotMagic)
	}
	for i, b := range blobs {
		slot := db[32+16*i:]
		blk := len(db) / ndbBlockSize
		le.PutUint32(slot[4:], uint32(i+1))
		le.PutUint32(slot[8:], uint32(blk))
		n := (16 + len(b) + ndbBlockSize - 1) / ndbBlockSize
		le.PutUint32(slot[12:], uint32(n))
		head := make([]byte, 16)
		le.PutUint32(head, ndbBlobMagic)
		le.PutUint32(head[4:], uint32(i+1))
		le.PutUint32(head[12:], uint32(len(b)))
		db = append(db, head...)
		db = append(db, b...)
		db = append(db, make([]byte, n*ndbBlockSize-16-len(b))...)
	}
	return db
}

func TestBuiltNDB(t *testing.T) {
	bs := append(blobs(t, "go-rpmdb_libuuid_Packages"), blobs(t, "osv-scalibr_Packages_epoch")...)
	var names []string
	if err := ReadNDB(buildNDB(bs), func(b []byte) error {
		p, err := ParsePackage(b)
		names = append(names, p.Name)
		return err
	}); err != nil {
		t.Fatal(err)
	}
	if len(names) != 2 || names[0] != "libuuid" || names[1] != "hello" {
		t.Errorf("names = %q, want [libuuid hello]", names)
	}
}

func FuzzParsePackage(f *testing.F) {
	for _, name := range []string{"go-rpmdb_libuuid_Packages", "osv-scalibr_Packages_epoch"} {
		for _, b := range blobs(f, name) {
			f.Add(b)
		}
	}
	f.Fuzz(func(t *testing.T, b []byte) {
		p, err := ParsePackage(b)
		if err == nil && p.Name == "" {
			t.Fatal("no error and no name")
		}
	})
}

func FuzzReadBDB(f *testing.F) {
	f.Add(readGz(f, "osv-scalibr_Packages_epoch"))
	f.Fuzz(func(t *testing.T, db []byte) {
		_ = ReadBerkeleyDB(db, func(b []byte) error {
			_, _ = ParsePackage(b)
			return nil
		})
	})
}

func FuzzReadNDB(f *testing.F) {
	f.Add(buildNDB(blobs(f, "osv-scalibr_Packages_epoch")))
	f.Fuzz(func(t *testing.T, db []byte) {
		_ = ReadNDB(db, func(b []byte) error {
			_, _ = ParsePackage(b)
			return nil
		})
	})
}
