package rpmdb

import (
	"encoding/binary"
	"fmt"
)

// Berkeley DB hash database constants (db/dbinc/db_page.h).
const (
	bdbHashMagic        = 0x061561
	bdbPageHeaderSize   = 26
	bdbHashMetaPage     = 8
	bdbHashUnsortedPage = 2 // hash pages before BDB 4.6 (CentOS 5)
	bdbHashPage         = 13
	bdbOverflowPage     = 7
	bdbKeyData          = 1 // H_KEYDATA: item stored on the page
	bdbOffPage          = 3 // H_OFFPAGE: item on a chain of overflow pages
)

// ReadBerkeleyDB calls fn with each value of a Berkeley DB hash database (the
// rpmdb "Packages" file of rpm < 4.16): every key/value pair on the hash
// pages, values either inline or on overflow page chains. Both byte orders
// are accepted (the database is written in the host's order).
func ReadBerkeleyDB(db []byte, fn func([]byte) error) error {
	if len(db) < 512 {
		return fmt.Errorf("berkeley db: file too short (%d bytes)", len(db))
	}
	var bo binary.ByteOrder = binary.LittleEndian
	if bo.Uint32(db[12:]) != bdbHashMagic {
		bo = binary.BigEndian
		if bo.Uint32(db[12:]) != bdbHashMagic {
			return fmt.Errorf("berkeley db: not a hash database (magic %#x)", binary.LittleEndian.Uint32(db[12:]))
		}
	}
	if db[24] != 0 {
		return fmt.Errorf("berkeley db: encrypted database")
	}
	if db[25] != bdbHashMetaPage {
		return fmt.Errorf("berkeley db: first page has type %d, want hash metadata", db[25])
	}
	pageSize := bo.Uint32(db[20:])
	if pageSize < 512 || pageSize > 65536 || pageSize&(pageSize-1) != 0 {
		return fmt.Errorf("berkeley db: bad page size %d", pageSize)
	}
	nPages := uint64(len(db)) / uint64(pageSize)
	if last := uint64(bo.Uint32(db[32:])); last+1 < nPages {
		nPages = last + 1
	}
	page := func(n uint64) []byte { return db[n*uint64(pageSize) : (n+1)*uint64(pageSize)] }
	// Each overflow page belongs to one item, so the values of a sound
	// file add up to less than its size; items sharing pages would make
	// the work quadratic.
	budget := len(db)

	for pn := uint64(1); pn < nPages; pn++ {
		p := page(pn)
		if t := p[25]; t != bdbHashPage && t != bdbHashUnsortedPage {
			continue
		}
		nEntries := uint64(bo.Uint16(p[20:]))
		if bdbPageHeaderSize+2*nEntries > uint64(len(p)) {
			return fmt.Errorf("berkeley db: page %d: %d entries do not fit", pn, nEntries)
		}
		// Entries alternate key, value; the index holds their offsets.
		for i := uint64(1); i < nEntries; i += 2 {
			off := uint64(bo.Uint16(p[bdbPageHeaderSize+2*i:]))
			if off >= uint64(len(p)) {
				return fmt.Errorf("berkeley db: page %d: item offset %d out of range", pn, off)
			}
			// Key 0 holds rpm's next instance number, not a header.
			if k := item(p, bo, i-1); len(k) == 5 && k[0] == bdbKeyData && bo.Uint32(k[1:]) == 0 {
				continue
			}
			var val []byte
			switch p[off] {
			case bdbOffPage:
				if off+12 > uint64(len(p)) {
					return fmt.Errorf("berkeley db: page %d: truncated off-page item", pn)
				}
				v, err := bdbOverflow(db, pageSize, nPages, bo, uint64(bo.Uint32(p[off+4:])), bo.Uint32(p[off+8:]))
				if err != nil {
					return fmt.Errorf("berkeley db: page %d: %w", pn, err)
				}
				val = v
			case bdbKeyData:
				v := item(p, bo, i)
				if len(v) == 0 {
					continue
				}
				val = v[1:]
			default:
				continue
			}
			if budget -= len(val); budget < 0 {
				return fmt.Errorf("berkeley db: values add up to more than the file size")
			}
			if err := fn(val); err != nil {
				return err
			}
		}
	}
	return nil
}

// bdbOverflow reads an item of length n stored on the overflow chain
// starting at page pn.
func bdbOverflow(db []byte, pageSize uint32, nPages uint64, bo binary.ByteOrder, pn uint64, n uint32) ([]byte, error) {
	if uint64(n) > uint64(len(db)) {
		return nil, fmt.Errorf("overflow item length %d larger than the file", n)
	}
	out := make([]byte, 0, n)
	for steps := uint64(0); pn != 0; steps++ {
		if pn >= nPages || steps > nPages {
			return nil, fmt.Errorf("overflow page %d out of range", pn)
		}
		p := db[pn*uint64(pageSize) : (pn+1)*uint64(pageSize)]
		if p[25] != bdbOverflowPage {
			return nil, fmt.Errorf("page %d has type %d, want overflow", pn, p[25])
		}
		// hf_offset holds the number of bytes used on an overflow page.
		used := uint64(bo.Uint16(p[22:]))
		if bdbPageHeaderSize+used > uint64(len(p)) {
			return nil, fmt.Errorf("overflow page %d: length %d out of range", pn, used)
		}
		out = append(out, p[bdbPageHeaderSize:bdbPageHeaderSize+used]...)
		if uint64(len(out)) > uint64(n) {
			return nil, fmt.Errorf("overflow chain longer than item length %d", n)
		}
		pn = uint64(bo.Uint32(p[16:]))
	}
	if uint64(len(out)) != uint64(n) {
		return nil, fmt.Errorf("overflow chain has %d bytes, want %d", len(out), n)
	}
	return out, nil
}

// item returns the bytes of item i of a hash page: items are stored from
// the end of the page down, so one ends where the item before it starts.
// The caller has checked that the index fits on the page.
func item(p []byte, bo binary.ByteOrder, i uint64) []byte {
	off := uint64(bo.Uint16(p[bdbPageHeaderSize+2*i:]))
	end := uint64(len(p))
	if i > 0 {
		if prev := uint64(bo.Uint16(p[bdbPageHeaderSize+2*(i-1):])); prev <= end {
			end = prev
		}
	}
	if off >= end {
		return nil
	}
	return p[off:end]
}
