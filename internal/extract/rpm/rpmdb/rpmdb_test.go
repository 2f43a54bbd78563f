package rpmdb

import (
	"compress/gzip"
	"encoding/binary"
	"io"
	"os"
	"path/filepath"
	"testing"

	"github.com/google/go-cmp/cmp"
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

// toBigEndian rewrites a little-endian Berkeley DB hash file as a
// big-endian host (s390x) would have written it: the metadata page, the
// page headers, hash page indexes, off-page items and 4-byte keys.
func toBigEndian(t *testing.T, db []byte) []byte {
	t.Helper()
	le, be := binary.LittleEndian, binary.BigEndian
	out := append([]byte(nil), db...)
	sw32 := func(b []byte) { be.PutUint32(b, le.Uint32(b)) }
	sw16 := func(b []byte) { be.PutUint16(b, le.Uint16(b)) }
	pageSize := int(le.Uint32(db[20:]))
	for _, off := range []int{8, 12, 16, 20, 28, 32, 36, 40, 44, 48, 72, 76, 80, 84, 88, 92} {
		sw32(out[off:])
	}
	for pn := 1; (pn+1)*pageSize <= len(db); pn++ {
		in, p := db[pn*pageSize:(pn+1)*pageSize], out[pn*pageSize:(pn+1)*pageSize]
		for _, off := range []int{8, 12, 16} {
			sw32(p[off:])
		}
		sw16(p[20:])
		sw16(p[22:])
		if in[25] != bdbHashPage && in[25] != bdbHashUnsortedPage {
			continue
		}
		n := int(le.Uint16(in[20:]))
		for i := 0; i < n; i++ {
			sw16(p[bdbPageHeaderSize+2*i:])
			it := item(in, le, uint64(i))
			off := int(le.Uint16(in[bdbPageHeaderSize+2*i:]))
			switch {
			case len(it) >= 12 && it[0] == bdbOffPage:
				sw32(p[off+4:])
				sw32(p[off+8:])
			case len(it) == 5 && it[0] == bdbKeyData:
				sw32(p[off+1:])
			}
		}
	}
	return out
}

func TestBigEndianBDB(t *testing.T) {
	for _, name := range []string{"go-rpmdb_libuuid_Packages", "osv-scalibr_Packages_epoch"} {
		t.Run(name, func(t *testing.T) {
			db := readGz(t, name)
			var le, be []string
			collect := func(dst *[]string) func([]byte) error {
				return func(b []byte) error {
					p, err := ParsePackage(b)
					*dst = append(*dst, p.Name+" "+p.Version+"-"+p.Release)
					return err
				}
			}
			if err := ReadBerkeleyDB(db, collect(&le)); err != nil {
				t.Fatal(err)
			}
			if err := ReadBerkeleyDB(toBigEndian(t, db), collect(&be)); err != nil {
				t.Fatal(err)
			}
			if len(le) != 1 {
				t.Errorf("little-endian: %q, want one package", le)
			}
			if diff := cmp.Diff(le, be); diff != "" {
				t.Errorf("big-endian (-little +big):\n%s", diff)
			}
		})
	}
}

func TestParsePackageErrors(t *testing.T) {
	good := blobs(t, "osv-scalibr_Packages_epoch")[0]
	be := binary.BigEndian
	mut := func(f func(b []byte) []byte) []byte { return f(append([]byte(nil), good...)) }
	// Index entry i starts at 8+16*i: tag, type, offset, count.
	entryOf := func(b []byte, tag uint32) []byte {
		for i := 0; i < int(be.Uint32(b)); i++ {
			if e := b[8+16*i:]; be.Uint32(e) == tag {
				return e
			}
		}
		t.Fatalf("no tag %d", tag)
		return nil
	}
	tests := []struct {
		name string
		blob []byte
	}{
		{"empty", nil},
		{"short", good[:6]},
		{"truncated data", good[:len(good)-10]},
		{"no entries", mut(func(b []byte) []byte { be.PutUint32(b, 0); return b })},
		{"too many entries", mut(func(b []byte) []byte { be.PutUint32(b, 1<<20); return b })},
		{"name offset out of range", mut(func(b []byte) []byte { be.PutUint32(entryOf(b, tagName)[8:], 1<<30); return b })},
		{"name is an int", mut(func(b []byte) []byte { be.PutUint32(entryOf(b, tagName)[4:], typeInt32); return b })},
		{"huge basename count", mut(func(b []byte) []byte { be.PutUint32(entryOf(b, tagBasenames)[12:], 1<<30); return b })},
		{"huge epoch count", mut(func(b []byte) []byte { be.PutUint32(entryOf(b, tagEpoch)[12:], 1<<30); return b })},
		{"dir indexes not int32", mut(func(b []byte) []byte { be.PutUint32(entryOf(b, tagDirIndexes)[4:], typeString); return b })},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if _, err := ParsePackage(tt.blob); err == nil {
				t.Error("no error")
			}
		})
	}
	p, err := ParsePackage(good)
	if err != nil || p.Name != "hello" || p.Epoch == nil || *p.Epoch != 1 {
		t.Errorf("ParsePackage(good) = %+v, %v", p, err)
	}
}
