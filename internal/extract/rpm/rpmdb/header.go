// Package rpmdb reads installed package headers out of the rpm database
// files: the header blob layout of rpm's lib/header.c, the Berkeley DB hash
// file (Packages) and the NDB file (Packages.db). It has no dependencies, so
// its parsers fuzz quickly; the SQLite format is read by the parent package.
package rpmdb

import (
	"encoding/binary"
	"errors"
	"fmt"
	"path"
)

// Header tags read from installed package headers (rpm lib/rpmtag.h).
const (
	tagName            = 1000
	tagVersion         = 1001
	tagRelease         = 1002
	tagEpoch           = 1003
	tagVendor          = 1011
	tagLicense         = 1014
	tagArch            = 1022
	tagOldFilenames    = 1027
	tagSourceRPM       = 1044
	tagDirIndexes      = 1116
	tagBasenames       = 1117
	tagDirnames        = 1118
	tagModularityLabel = 5096
)

// Header entry types (rpm lib/header.c rpmTagType).
const (
	typeInt32       = 4
	typeString      = 6
	typeStringArray = 8
	typeI18NString  = 9
)

// Limits from rpm lib/header_internal.h: at most 0xffff index entries and
// 256 MiB of data per header.
const (
	maxHeaderTags = 0xffff
	maxHeaderData = 0x0fffffff
)

// maxFileListFactor bounds the joined file list of a header relative to
// the header's data size.
const maxFileListFactor = 8

// header is one installed package header blob: the big-endian index entry
// count and data length, the 16-byte index entries (tag, type, offset,
// count) and the data store, as rpm's headerImport reads it.
type header struct {
	entries map[uint32]entry
	data    []byte
}

type entry struct {
	typ, offset, count uint32
}

var errShortHeader = errors.New("rpm header: truncated")

// parseHeader parses a header blob as stored in the rpmdb (no lead, no
// magic). Only the index is validated here; each value is checked when read.
func parseHeader(b []byte) (*header, error) {
	if len(b) < 8 {
		return nil, errShortHeader
	}
	il := binary.BigEndian.Uint32(b)
	dl := binary.BigEndian.Uint32(b[4:])
	if il == 0 || il > maxHeaderTags {
		return nil, fmt.Errorf("rpm header: bad index length %d", il)
	}
	if dl > maxHeaderData {
		return nil, fmt.Errorf("rpm header: bad data length %d", dl)
	}
	start := 8 + uint64(il)*16
	if uint64(len(b)) < start+uint64(dl) {
		return nil, errShortHeader
	}
	h := &header{entries: make(map[uint32]entry, il), data: b[start : start+uint64(dl)]}
	for i := uint64(0); i < uint64(il); i++ {
		e := b[8+i*16:]
		tag := binary.BigEndian.Uint32(e)
		h.entries[tag] = entry{
			typ:    binary.BigEndian.Uint32(e[4:]),
			offset: binary.BigEndian.Uint32(e[8:]),
			count:  binary.BigEndian.Uint32(e[12:]),
		}
	}
	return h, nil
}

// strings returns the string values of tag: one for STRING and
// I18NSTRING (the first, untranslated one), count for STRING_ARRAY.
func (h *header) strings(tag uint32) ([]string, error) {
	e, ok := h.entries[tag]
	if !ok {
		return nil, nil
	}
	n := e.count
	switch e.typ {
	case typeString:
		n = 1
	case typeI18NString:
		n = 1
	case typeStringArray:
	default:
		return nil, fmt.Errorf("rpm header: tag %d has type %d, want a string", tag, e.typ)
	}
	if uint64(e.offset) > uint64(len(h.data)) {
		return nil, fmt.Errorf("rpm header: tag %d offset %d out of range", tag, e.offset)
	}
	// Each string takes at least one byte (its NUL): a count beyond the
	// data left is corrupt and must not size an allocation.
	if uint64(n) > uint64(len(h.data))-uint64(e.offset) {
		return nil, fmt.Errorf("rpm header: tag %d count %d out of range", tag, n)
	}
	out := make([]string, 0, n)
	d := h.data[e.offset:]
	for i := uint32(0); i < n; i++ {
		j := 0
		for j < len(d) && d[j] != 0 {
			j++
		}
		if j == len(d) {
			return nil, fmt.Errorf("rpm header: tag %d: unterminated string", tag)
		}
		out = append(out, string(d[:j]))
		d = d[j+1:]
	}
	return out, nil
}

// string returns the first string value of tag, "" when absent.
func (h *header) string(tag uint32) (string, error) {
	s, err := h.strings(tag)
	if err != nil || len(s) == 0 {
		return "", err
	}
	return s[0], nil
}

// int32s returns the INT32 values of tag.
func (h *header) int32s(tag uint32) ([]int32, error) {
	e, ok := h.entries[tag]
	if !ok {
		return nil, nil
	}
	if e.typ != typeInt32 {
		return nil, fmt.Errorf("rpm header: tag %d has type %d, want int32", tag, e.typ)
	}
	end := uint64(e.offset) + 4*uint64(e.count)
	if end > uint64(len(h.data)) {
		return nil, fmt.Errorf("rpm header: tag %d data out of range", tag)
	}
	out := make([]int32, e.count)
	for i := range out {
		out[i] = int32(binary.BigEndian.Uint32(h.data[uint64(e.offset)+4*uint64(i):]))
	}
	return out, nil
}

// Package is what customs keeps of one installed package header.
type Package struct {
	Name            string   `json:"name"`
	Epoch           *int     `json:"epoch,omitempty"`
	Version         string   `json:"version"`
	Release         string   `json:"release"`
	Arch            string   `json:"arch,omitempty"`
	SourceRPM       string   `json:"sourceRpm,omitempty"`
	License         string   `json:"license,omitempty"`
	Vendor          string   `json:"vendor,omitempty"`
	ModularityLabel string   `json:"modularityLabel,omitempty"`
	Files           []string `json:"files,omitempty"`
}

// ParsePackage reads the fields customs needs from a header blob as the
// rpmdb stores it (no lead, no magic): name, epoch, version, release, arch,
// SOURCERPM, license, vendor, modularity label and the file list
// (root-relative). On a bad value it returns what it could read and an error.
func ParsePackage(b []byte) (Package, error) {
	h, err := parseHeader(b)
	if err != nil {
		return Package{}, err
	}
	var p Package
	var errs []error
	str := func(tag uint32, dst *string) {
		s, err := h.string(tag)
		if err != nil {
			errs = append(errs, err)
		}
		*dst = s
	}
	str(tagName, &p.Name)
	str(tagVersion, &p.Version)
	str(tagRelease, &p.Release)
	str(tagArch, &p.Arch)
	str(tagSourceRPM, &p.SourceRPM)
	str(tagLicense, &p.License)
	str(tagVendor, &p.Vendor)
	str(tagModularityLabel, &p.ModularityLabel)
	if ep, err := h.int32s(tagEpoch); err != nil {
		errs = append(errs, err)
	} else if len(ep) > 0 {
		e := int(ep[0])
		p.Epoch = &e
	}
	files, err := fileList(h)
	if err != nil {
		errs = append(errs, err)
	}
	p.Files = files
	if p.Name == "" && len(errs) == 0 {
		errs = append(errs, errors.New("rpm header: no name"))
	}
	return p, errors.Join(errs...)
}

// fileList joins DIRNAMES[DIRINDEXES[i]] and BASENAMES[i], or reads
// OLDFILENAMES from headers older than rpm 4.0; paths are root-relative.
func fileList(h *header) ([]string, error) {
	base, err := h.strings(tagBasenames)
	if err != nil {
		return nil, err
	}
	if len(base) == 0 {
		old, err := h.strings(tagOldFilenames)
		if err != nil {
			return nil, err
		}
		for i, f := range old {
			old[i] = trimRoot(f)
		}
		return old, nil
	}
	dirs, err := h.strings(tagDirnames)
	if err != nil {
		return nil, err
	}
	idx, err := h.int32s(tagDirIndexes)
	if err != nil {
		return nil, err
	}
	if len(idx) != len(base) {
		return nil, fmt.Errorf("rpm header: %d basenames but %d dir indexes", len(base), len(idx))
	}
	// Joined paths repeat their directory; a real header's file list is a
	// few times its size, a crafted one (one long directory, many empty
	// base names) would be quadratic.
	budget := maxFileListFactor * len(h.data)
	out := make([]string, len(base))
	for i, b := range base {
		d := idx[i]
		if d < 0 || int(d) >= len(dirs) {
			return nil, fmt.Errorf("rpm header: dir index %d out of range", d)
		}
		if budget -= len(dirs[d]) + len(b); budget < 0 {
			return nil, fmt.Errorf("rpm header: file list larger than %d times the header", maxFileListFactor)
		}
		out[i] = trimRoot(dirs[d] + b)
	}
	return out, nil
}

func trimRoot(p string) string {
	p = path.Clean("/" + p)
	return p[1:]
}
