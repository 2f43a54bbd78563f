package sqlite

import (
	"encoding/binary"
	"errors"
	"sort"
)

// A run (a block or a chunk) is, uncompressed, a directory followed by the
// records. The directory is three columns, each preceded by its uvarint
// byte length after a uvarint entry count: the first key parts, the second
// key parts (both front-coded against the previous entry's: uvarint shared
// prefix length, uvarint suffix length, suffix), and the records' uvarint
// lengths. Then the records, in the same order. A lookup reads the
// directory and decodes only its record. Keys kept out of the records' way
// and front-coded compress 4% better than keys inline with the records
// (the shared data's blocks, when measured: 3.15 -> 3.05 -> 3.02 MB).

// runBuilder collects the entries of one run.
type runBuilder struct {
	n            int
	first        runKey
	prevA, prevB string
	colA, colB   []byte
	lens, recs   []byte
}

func (r *runBuilder) add(a, b string, rec []byte) {
	if r.n == 0 {
		r.first = runKey{a, b}
		r.prevA, r.prevB = "", ""
	}
	r.n++
	r.colA = appendFront(r.colA, r.prevA, a)
	r.colB = appendFront(r.colB, r.prevB, b)
	r.prevA, r.prevB = a, b
	r.lens = binary.AppendUvarint(r.lens, uint64(len(rec)))
	r.recs = append(r.recs, rec...)
}

// appendFront appends s front-coded against prev.
func appendFront(col []byte, prev, s string) []byte {
	n := 0
	for n < len(prev) && n < len(s) && prev[n] == s[n] {
		n++
	}
	col = binary.AppendUvarint(col, uint64(n))
	col = binary.AppendUvarint(col, uint64(len(s)-n))
	return append(col, s[n:]...)
}

// size is the uncompressed size so far.
func (r *runBuilder) size() int { return len(r.colA) + len(r.colB) + len(r.lens) + len(r.recs) }

// bytes returns the run and resets the builder.
func (r *runBuilder) bytes() []byte {
	out := make([]byte, 0, 4*binary.MaxVarintLen64+r.size())
	out = binary.AppendUvarint(out, uint64(r.n))
	for _, col := range [][]byte{r.colA, r.colB, r.lens} {
		out = binary.AppendUvarint(out, uint64(len(col)))
	}
	for _, col := range [][]byte{r.colA, r.colB, r.lens, r.recs} {
		out = append(out, col...)
	}
	r.n, r.colA, r.colB, r.lens, r.recs = 0, r.colA[:0], r.colB[:0], r.lens[:0], r.recs[:0]
	return out
}

var errBadRun = errors.New("malformed run")

// uvarint reads one uvarint off the front of *b.
func uvarint(b *[]byte) (int, bool) {
	v, k := binary.Uvarint(*b)
	if k <= 0 || v > 1<<31 {
		return 0, false
	}
	*b = (*b)[k:]
	return int(v), true
}

// nextFront decodes one front-coded string off *col onto *cur.
func nextFront(col *[]byte, cur *[]byte) bool {
	shared, ok1 := uvarint(col)
	n, ok2 := uvarint(col)
	if !ok1 || !ok2 || shared > len(*cur) || n > len(*col) {
		return false
	}
	*cur = append((*cur)[:shared], (*col)[:n]...)
	*col = (*col)[n:]
	return true
}

// walkRun calls fn for each entry of run in order until fn returns false.
// a and b are valid only during the call; rec aliases run. A malformed run
// gives errBadRun.
func walkRun(run []byte, fn func(a, b, rec []byte) bool) error {
	n, ok := uvarint(&run)
	if !ok {
		return errBadRun
	}
	var cols [3][]byte
	var sizes [3]int
	for i := range sizes {
		if sizes[i], ok = uvarint(&run); !ok {
			return errBadRun
		}
	}
	for i, s := range sizes {
		if s > len(run) {
			return errBadRun
		}
		cols[i], run = run[:s], run[s:]
	}
	recs := run
	var a, b []byte
	for range n {
		if !nextFront(&cols[0], &a) || !nextFront(&cols[1], &b) {
			return errBadRun
		}
		l, ok := uvarint(&cols[2])
		if !ok || l > len(recs) {
			return errBadRun
		}
		if !fn(a, b, recs[:l]) {
			return nil
		}
		recs = recs[l:]
	}
	if len(recs) != 0 || len(cols[0]) != 0 || len(cols[1]) != 0 || len(cols[2]) != 0 {
		return errBadRun
	}
	return nil
}

// runKey is the first key of a run: the sparse index holds one per run.
type runKey struct{ a, b string }

// less orders keys as SQLite's BINARY collation orders (a, b).
func (k runKey) less(o runKey) bool {
	if k.a != o.a {
		return k.a < o.a
	}
	return k.b < o.b
}

// runIndex is a run's directory decoded once, so that lookups in a run
// kept in memory binary-search its keys instead of decoding the
// front-coded directory from the start every time.
type runIndex struct {
	keys []runKey
	recs [][]byte // alias the run
}

// indexRun decodes run's directory.
func indexRun(run []byte) (*runIndex, error) {
	x := &runIndex{}
	err := walkRun(run, func(a, b, rec []byte) bool {
		x.keys = append(x.keys, runKey{string(a), string(b)})
		x.recs = append(x.recs, rec)
		return true
	})
	if err != nil {
		return nil, err
	}
	return x, nil
}

// search returns the index of the first entry not less than k.
func (x *runIndex) search(k runKey) int {
	return sort.Search(len(x.keys), func(i int) bool { return !x.keys[i].less(k) })
}
