package rpmdb

import (
	"encoding/binary"
	"fmt"
)

// NDB constants (rpm lib/backend/ndb/rpmpkg.c). The file starts with a
// 16-byte header and slot pages of 16-byte slots; each slot points at a
// blob of 16-byte blocks whose 16-byte head is followed by the header blob.
const (
	ndbHeaderMagic  = 'R' | 'p'<<8 | 'm'<<16 | 'P'<<24
	ndbSlotMagic    = 'S' | 'l'<<8 | 'o'<<16 | 't'<<24
	ndbBlobMagic    = 'B' | 'l'<<8 | 'b'<<16 | 'S'<<24
	ndbPageSize     = 4096
	ndbBlockSize    = 16
	ndbMaxSlotPages = 2048
)

// ReadNDB calls fn with each package header blob of an NDB database
// (Packages.db, SUSE since 15.3).
func ReadNDB(db []byte, fn func([]byte) error) error {
	le := binary.LittleEndian
	if len(db) < 32 {
		return fmt.Errorf("ndb: file too short (%d bytes)", len(db))
	}
	if le.Uint32(db) != ndbHeaderMagic {
		return fmt.Errorf("ndb: bad magic %#x", le.Uint32(db))
	}
	if v := le.Uint32(db[4:]); v != 0 {
		return fmt.Errorf("ndb: unsupported version %d", v)
	}
	slotPages := uint64(le.Uint32(db[12:]))
	if slotPages == 0 || slotPages > ndbMaxSlotPages {
		return fmt.Errorf("ndb: bad slot page count %d", slotPages)
	}
	end := slotPages * ndbPageSize
	if end > uint64(len(db)) {
		return fmt.Errorf("ndb: %d slot pages do not fit in %d bytes", slotPages, len(db))
	}
	// Blobs do not overlap in a sound file.
	budget := uint64(len(db))
	// The first two slots hold the file header.
	for off := uint64(32); off+16 <= end; off += 16 {
		s := db[off:]
		if le.Uint32(s) != ndbSlotMagic {
			return fmt.Errorf("ndb: bad slot magic at offset %d", off)
		}
		pkgIdx := le.Uint32(s[4:])
		if pkgIdx == 0 {
			continue
		}
		blk := uint64(le.Uint32(s[8:])) * ndbBlockSize
		if blk+16 > uint64(len(db)) {
			return fmt.Errorf("ndb: package %d: blob offset %d out of range", pkgIdx, blk)
		}
		b := db[blk:]
		if le.Uint32(b) != ndbBlobMagic {
			return fmt.Errorf("ndb: package %d: bad blob magic", pkgIdx)
		}
		if le.Uint32(b[4:]) != pkgIdx {
			return fmt.Errorf("ndb: package %d: blob belongs to package %d", pkgIdx, le.Uint32(b[4:]))
		}
		n := uint64(le.Uint32(b[12:]))
		if 16+n > uint64(len(b)) {
			return fmt.Errorf("ndb: package %d: blob length %d out of range", pkgIdx, n)
		}
		if budget < n {
			return fmt.Errorf("ndb: blobs add up to more than the file size")
		}
		budget -= n
		if err := fn(b[16 : 16+n]); err != nil {
			return err
		}
	}
	return nil
}
