package gobinary

import (
	"bytes"
	"encoding/binary"
	"runtime/debug"
)

// miniELF builds a small little-endian ELF64 file holding a Go build
// information blob in a .go.buildinfo section (the Go 1.18+ inline format:
// debug/buildinfo's readRawBuildInfo) and the given extra sections. It
// stands in for a real binary where no toolchain is needed and seeds the
// fuzz targets.
func miniELF(bi *debug.BuildInfo, extra map[string][]byte) []byte {
	var blob []byte
	if bi != nil {
		mod := bi.String()
		// cmd/go wraps modinfo in 16-byte sentinels; buildinfo strips any 16.
		mod = "0123456789abcdef" + mod + "fedcba9876543210"
		blob = append([]byte("\xff Go buildinf:"), 8, 0x2) // ptr size, flags: inline, little endian
		blob = append(blob, make([]byte, 16)...)           // header is 32 bytes
		blob = binary.AppendUvarint(blob, uint64(len(bi.GoVersion)))
		blob = append(blob, bi.GoVersion...)
		blob = binary.AppendUvarint(blob, uint64(len(mod)))
		blob = append(blob, mod...)
	}
	type sec struct {
		name string
		data []byte
		off  int
	}
	secs := []sec{{name: ".go.buildinfo", data: blob}}
	for _, name := range []string{".dep-v0"} {
		if d, ok := extra[name]; ok {
			secs = append(secs, sec{name: name, data: d})
		}
	}
	const ehdr, phdr = 64, 56
	body := make([]byte, 0x100)
	for i := range secs {
		for len(body)%16 != 0 {
			body = append(body, 0)
		}
		secs[i].off = len(body)
		body = append(body, secs[i].data...)
	}
	for len(body) < 2048 { // real binaries are larger than MinFileSize
		body = append(body, 0)
	}
	shstr := []byte{0}
	nameOff := make([]int, len(secs)+1)
	for i, s := range secs {
		nameOff[i] = len(shstr)
		shstr = append(shstr, s.name...)
		shstr = append(shstr, 0)
	}
	nameOff[len(secs)] = len(shstr)
	shstr = append(shstr, ".shstrtab\x00"...)
	shstrOff := len(body)
	body = append(body, shstr...)
	for len(body)%8 != 0 {
		body = append(body, 0)
	}
	shoff := len(body)
	le := binary.LittleEndian
	// ELF header.
	copy(body, "\x7fELF\x02\x01\x01")
	le.PutUint16(body[16:], 2)  // ET_EXEC
	le.PutUint16(body[18:], 62) // EM_X86_64
	le.PutUint32(body[20:], 1)
	le.PutUint64(body[32:], ehdr) // phoff
	le.PutUint64(body[40:], uint64(shoff))
	le.PutUint16(body[52:], ehdr)
	le.PutUint16(body[54:], phdr)
	le.PutUint16(body[56:], 1) // phnum
	le.PutUint16(body[58:], 64)
	le.PutUint16(body[60:], uint16(len(secs)+2)) // shnum: null, secs, shstrtab
	le.PutUint16(body[62:], uint16(len(secs)+1)) // shstrndx
	// One PT_LOAD, readable and writable, mapping the file at address 0.
	ph := body[ehdr:]
	le.PutUint32(ph[0:], 1)                 // PT_LOAD
	le.PutUint32(ph[4:], 6)                 // PF_R|PF_W
	le.PutUint64(ph[32:], uint64(shstrOff)) // filesz
	le.PutUint64(ph[40:], uint64(shstrOff)) // memsz
	le.PutUint64(ph[48:], 16)
	var sh bytes.Buffer
	sh.Write(make([]byte, 64)) // null section
	put := func(name, typ uint32, flags, addr, off, size uint64) {
		var b [64]byte
		le.PutUint32(b[0:], name)
		le.PutUint32(b[4:], typ)
		le.PutUint64(b[8:], flags)
		le.PutUint64(b[16:], addr)
		le.PutUint64(b[24:], off)
		le.PutUint64(b[32:], size)
		le.PutUint64(b[48:], 1)
		sh.Write(b[:])
	}
	for i, s := range secs {
		put(uint32(nameOff[i]), 1, 3, uint64(s.off), uint64(s.off), uint64(len(s.data))) // PROGBITS, WA
	}
	put(uint32(nameOff[len(secs)]), 3, 0, 0, uint64(shstrOff), uint64(len(shstr))) // STRTAB
	return append(body, sh.Bytes()...)
}
