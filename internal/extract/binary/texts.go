package binary

import "slices"

// textSet tells which of a fixed set of texts occur in some data, in one
// pass over it, instead of one bytes.Contains pass per text: the gates of
// the binary rules look for some 25 texts in every executable's data
// sections, and most of them occur nowhere.
//
// Each text is anchored on its rarest pair of adjacent bytes (by the rough
// estimate in pairCost). A bitmap of the anchors, 8 KiB so it stays in the
// L1 cache, rejects almost every position; the few left are checked against
// the texts anchored there.
type textSet struct {
	texts  []string
	index  map[string]int // of each text in texts
	bitmap [1 << 16 / 64]uint64
	// bucket maps a byte pair (first byte in the high 8 bits) to 1 + the
	// index in anchors of the texts anchored on it; 0 is none.
	bucket  [1 << 16]uint8
	anchors [][]textAnchor
}

type textAnchor struct {
	text int // index in texts
	off  int // offset of the pair in the text
}

// newTextSet indexes texts, each at least 2 bytes long and distinct; at
// most 255 distinct anchor pairs.
func newTextSet(texts []string) *textSet {
	s := &textSet{texts: texts, index: make(map[string]int, len(texts))}
	for i, t := range texts {
		if _, dup := s.index[t]; dup {
			panic("binary: text given twice: " + t)
		}
		s.index[t] = i
		if len(t) < 2 {
			panic("binary: text shorter than 2 bytes: " + t)
		}
		best, cost := 0, -1
		for j := 0; j+1 < len(t); j++ {
			if c := pairCost(t[j], t[j+1]); cost < 0 || c < cost {
				best, cost = j, c
			}
		}
		p := pair(t[best], t[best+1])
		b := s.bucket[p]
		if b == 0 {
			s.anchors = append(s.anchors, nil)
			if len(s.anchors) > 255 {
				panic("binary: too many anchors")
			}
			b = uint8(len(s.anchors))
			s.bucket[p] = b
			s.bitmap[p>>6] |= 1 << (p & 63)
		}
		s.anchors[b-1] = append(s.anchors[b-1], textAnchor{i, best})
	}
	return s
}

func pair(a, b byte) uint16 { return uint16(a)<<8 | uint16(b) }

// pairCost estimates how often a pair of bytes occurs in the data sections
// of executables: NUL and the low control bytes are everywhere (tables,
// padding), space and lower-case letters in every string; upper-case
// letters and most punctuation are rarer. Only the order matters.
func pairCost(a, b byte) int { return byteCost(a) * byteCost(b) }

func byteCost(c byte) int {
	switch {
	case c < 0x08:
		return 100
	case c == ' ':
		return 40
	case isLower(c):
		return 15
	case isDigit(c), c == '.', c == '_', c == '%', c == '(':
		return 8
	default:
		return 5
	}
}

// find sets found[i] for every text i that occurs in data. found has
// len(texts) elements; texts already found are not looked for again.
func (s *textSet) find(data []byte, found []bool) {
	var h uint16
	for i, c := range data {
		h = h<<8 | uint16(c)
		if s.bitmap[h>>6]&(1<<(h&63)) != 0 {
			s.check(data, i, h, found)
		}
	}
}

// check looks for the texts anchored on the pair h, which ends at data[i].
func (s *textSet) check(data []byte, i int, h uint16, found []bool) {
	for _, a := range s.anchors[s.bucket[h]-1] {
		if found[a.text] {
			continue
		}
		t := s.texts[a.text]
		at := i - 1 - a.off
		if at >= 0 && at+len(t) <= len(data) && string(data[at:at+len(t)]) == t {
			found[a.text] = true
		}
	}
}

// textsOf returns the distinct texts of the rules' needs, in order.
func textsOf(rules []gated) []string {
	var out []string
	for _, r := range rules {
		for _, alts := range r.need {
			for _, t := range alts {
				if !slices.Contains(out, t) {
					out = append(out, t)
				}
			}
		}
	}
	return out
}
