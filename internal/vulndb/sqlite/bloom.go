package sqlite

import (
	"encoding/binary"
	"errors"
	"math/bits"
)

// bloom is a Bloom filter over the keys of a DB's runs: a lookup of a key
// the DB does not hold (most packages of an image have no advisory)
// answers from it without decompressing a run. 10 bits per key and 7
// probes: about 1% false positives.
type bloom struct {
	k    uint8
	bits []uint64
}

const bloomBitsPerKey, bloomProbes = 10, 7

// newBloom makes a filter holding the keys with these hashes.
func newBloom(hashes []uint64) *bloom {
	words := max(1, (len(hashes)*bloomBitsPerKey+63)/64)
	b := &bloom{k: bloomProbes, bits: make([]uint64, words)}
	for _, h := range hashes {
		b.probe(h, func(w int, m uint64) bool { b.bits[w] |= m; return true })
	}
	return b
}

// keyHash hashes the key (a, b) with FNV-1a, a NUL between the parts.
func keyHash(a, b string) uint64 {
	const prime = 1099511628211
	h := uint64(14695981039346656037)
	for i := 0; i < len(a); i++ {
		h = (h ^ uint64(a[i])) * prime
	}
	h *= prime // the NUL
	for i := 0; i < len(b); i++ {
		h = (h ^ uint64(b[i])) * prime
	}
	return h
}

// probe calls fn with the word and mask of each of the k bits of h until
// fn returns false; it reports whether every call returned true.
func (b *bloom) probe(h uint64, fn func(w int, m uint64) bool) bool {
	// Double hashing (Kirsch and Mitzenmacher) over a well-mixed h.
	h = mix(h)
	h1, h2 := h, bits.RotateLeft64(h, 32)|1
	n := uint64(len(b.bits)) * 64
	for i := range uint64(b.k) {
		bit := (h1 + i*h2) % n
		if !fn(int(bit/64), 1<<(bit%64)) {
			return false
		}
	}
	return true
}

// mix is splitmix64's finaliser.
func mix(h uint64) uint64 {
	h ^= h >> 30
	h *= 0xbf58476d1ce4e5b9
	h ^= h >> 27
	h *= 0x94d049bb133111eb
	return h ^ h>>31
}

// has reports whether the key with hash h may be in the set; a nil filter
// says yes to everything.
func (b *bloom) has(h uint64) bool {
	if b == nil {
		return true
	}
	return b.probe(h, func(w int, m uint64) bool { return b.bits[w]&m != 0 })
}

func (b *bloom) marshal() []byte {
	out := make([]byte, 1, 1+8*len(b.bits))
	out[0] = b.k
	for _, w := range b.bits {
		out = binary.LittleEndian.AppendUint64(out, w)
	}
	return out
}

func unmarshalBloom(p []byte) (*bloom, error) {
	if len(p) < 9 || (len(p)-1)%8 != 0 || p[0] == 0 || p[0] > 32 {
		return nil, errors.New("malformed Bloom filter")
	}
	b := &bloom{k: p[0], bits: make([]uint64, (len(p)-1)/8)}
	for i := range b.bits {
		b.bits[i] = binary.LittleEndian.Uint64(p[1+8*i:])
	}
	return b, nil
}
