package secrets

import (
	"bytes"
	"slices"
)

// keywords finds every rule's keywords in one pass over a file, ASCII
// case-insensitively, instead of one bytes.Index pass per keyword over a
// lower-cased copy (that was most of the scanner's time on real images).
//
// Each keyword is anchored on its rarest pair of adjacent bytes (by the
// static estimate in byteFreq). A bitmap of every case variant of the
// anchors, 8 KiB so it stays in the L1 cache, rejects almost every position
// of a file; the few left are checked against the keywords anchored there.
type keywords struct {
	words  [][]byte // distinct, lower case (bytes.ToLower, as a rule's keywords)
	bitmap [1 << 16 / 64]uint64
	// bucket maps a byte pair (first byte in the high 8 bits) to the index
	// in anchors of the keywords anchored on it, in any case; 0 is none.
	bucket  [1 << 16]uint16
	anchors [][]anchor
}

type anchor struct {
	word int // index in words
	off  int // offset of the pair in the word
}

// keywordHit is one occurrence of words[word] starting at byte at.
type keywordHit struct {
	word, at int
}

// newKeywords indexes words (lower case, non-empty; duplicates are
// indexed once).
func newKeywords(words [][]byte) *keywords {
	k := &keywords{anchors: [][]anchor{nil}}
	for _, w := range words {
		if k.index(w) < 0 {
			k.add(w)
		}
	}
	return k
}

// index returns the index of w in k.words, or -1.
func (k *keywords) index(w []byte) int {
	return slices.IndexFunc(k.words, func(x []byte) bool { return bytes.Equal(x, w) })
}

func (k *keywords) add(w []byte) {
	i := len(k.words)
	k.words = append(k.words, w)
	if len(w) == 1 {
		// Anchored on the byte and whatever follows it: find feeds a NUL
		// after the last byte, so a keyword there is found too.
		for b := range 256 {
			k.set(w[0], byte(b), anchor{i, 0})
		}
		return
	}
	best, cost := 0, -1
	for j := 0; j+1 < len(w); j++ {
		if c := byteFreq(w[j]) * byteFreq(w[j+1]); cost < 0 || c < cost {
			best, cost = j, c
		}
	}
	k.set(w[best], w[best+1], anchor{i, best})
}

// set anchors a on the pair (a0, a1) in every case.
func (k *keywords) set(a0, a1 byte, a anchor) {
	b := k.bucket[pair(a0, a1)]
	if b == 0 {
		b = uint16(len(k.anchors))
		k.anchors = append(k.anchors, nil)
	}
	if !slices.Contains(k.anchors[b], a) {
		k.anchors[b] = append(k.anchors[b], a)
	}
	for _, x := range variants(a0) {
		for _, y := range variants(a1) {
			v := pair(x, y)
			k.bucket[v] = b
			k.bitmap[v>>6] |= 1 << (v & 63)
		}
	}
}

// variants returns the bytes that fold to b.
func variants(b byte) []byte {
	out := []byte{b}
	for c := range 256 {
		if byte(c) != b && lower[c] == lower[b] {
			out = append(out, byte(c))
		}
	}
	return out
}

func pair(a, b byte) uint16 { return uint16(a)<<8 | uint16(b) }

// find appends to hits the occurrences of the keywords in content, ordered
// by the position of their anchor. Like repeated bytes.Index calls, it finds
// the leftmost non-overlapping occurrences of each keyword, at most
// maxKeywordHits of each.
func (k *keywords) find(content []byte, hits []keywordHit) []keywordHit {
	f := finder{k: k, content: content, hits: hits}
	var h uint16
	for i, c := range content {
		h = h<<8 | uint16(c)
		if k.bitmap[h>>6]&(1<<(h&63)) != 0 {
			f.check(i, h)
		}
	}
	if h = h << 8; k.bitmap[h>>6]&(1<<(h&63)) != 0 {
		f.check(len(content), h) // a NUL after the last byte, for one-byte keywords
	}
	return f.hits
}

// finder is the state of one find.
type finder struct {
	k           *keywords
	content     []byte
	hits        []keywordHit
	next, count []int // per word: where the next occurrence may start, occurrences found
}

// check looks for the keywords anchored on the pair h, which ends at
// content[i].
func (f *finder) check(i int, h uint16) {
	b := f.k.bucket[h]
	if b == 0 {
		return
	}
	for _, a := range f.k.anchors[b] {
		w := f.k.words[a.word]
		at := i - 1 - a.off
		if at < 0 || at+len(w) > len(f.content) || !hasFoldPrefix(f.content[at:], w) {
			continue
		}
		if f.next == nil {
			f.next, f.count = make([]int, len(f.k.words)), make([]int, len(f.k.words))
		}
		if at < f.next[a.word] || f.count[a.word] >= maxKeywordHits {
			continue
		}
		f.next[a.word], f.count[a.word] = at+len(w), f.count[a.word]+1
		f.hits = append(f.hits, keywordHit{a.word, at})
	}
}

// hasFoldPrefix reports whether b starts with w once ASCII letters of b
// are lowered (w is lower case already).
func hasFoldPrefix(b, w []byte) bool {
	for j, c := range w {
		if lower[b[j]] != c {
			return false
		}
	}
	return true
}

// lower maps ASCII upper-case letters to lower case and every other byte to
// itself, so offsets in a file stay its own.
var lower = func() (t [256]byte) {
	for i := range t {
		t[i] = byte(i)
		if 'A' <= i && i <= 'Z' {
			t[i] += 'a' - 'A'
		}
	}
	return t
}()

// byteFreq is a rough frequency, per 1,000 bytes, of a byte in the text
// files of an image (source, configuration, prose): letters by their
// frequency in English, then digits, punctuation and everything else.
// Only the order matters, for picking each keyword's rarest pair.
func byteFreq(b byte) int {
	switch c := lower[b]; {
	case c == ' ' || c == '\n' || c == '\t':
		return 150
	case 'a' <= c && c <= 'z':
		return letterFreq[c-'a']
	case '0' <= c && c <= '9':
		return 15
	case c == '.' || c == '_' || c == '-' || c == '/' || c == '"' || c == '=' || c == ',' || c == '(' || c == ')' || c == ':':
		return 10
	case c < 0x80:
		return 3
	default:
		return 2
	}
}

// letterFreq is the frequency of a to z in English text, per 1,000 letters,
// halved (letters share the text with spaces and punctuation).
var letterFreq = [26]int{41, 7, 14, 21, 63, 11, 10, 30, 35, 1, 4, 20, 12, 34, 37, 10, 1, 30, 32, 45, 14, 5, 12, 1, 10, 1}
