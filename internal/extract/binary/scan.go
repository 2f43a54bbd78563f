package binary

import "bytes"

// maxOccurrences bounds how many occurrences of one anchor are examined in
// a file, so a crafted file full of anchors costs linear time at most.
const maxOccurrences = 4096

// collect calls match with the offset of every occurrence of anchor in b
// (at most maxOccurrences) and returns the distinct findings it accepts,
// stopping at maxPerProduct.
func collect(b []byte, anchor string, match func(i int) (Finding, bool)) []Finding {
	var out []Finding
	a := []byte(anchor)
	off := 0
	for n := 0; n < maxOccurrences && len(out) < maxPerProduct; n++ {
		j := bytes.Index(b[off:], a)
		if j < 0 {
			break
		}
		if f, ok := match(off + j); ok {
			out = addFinding(out, f)
		}
		off += j + 1
	}
	return out
}

func has(b []byte, s string) bool { return bytes.Contains(b, []byte(s)) }

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLower(c byte) bool  { return c >= 'a' && c <= 'z' }
func isUpper(c byte) bool  { return c >= 'A' && c <= 'Z' }
func isLetter(c byte) bool { return isLower(c) || isUpper(c) }
func isHex(c byte) bool    { return isDigit(c) || c >= 'a' && c <= 'f' }

// dotted reads a version of at least minParts dot-separated numbers (each
// at most 5 digits, at most 5 parts) at b[i:], and returns its end. ok is
// false when there is none.
func dotted(b []byte, i, minParts int) (end int, ok bool) {
	parts := 0
	j := i
	for parts < 5 {
		k := j
		for k < len(b) && k-j < 6 && isDigit(b[k]) {
			k++
		}
		if k == j || k-j > 5 {
			return 0, false
		}
		parts++
		j = k
		if j+1 < len(b) && b[j] == '.' && isDigit(b[j+1]) {
			j++
			continue
		}
		break
	}
	if parts < minParts {
		return 0, false
	}
	return j, true
}

// letters returns the end of a run of at most max lowercase letters at b[i:].
func letters(b []byte, i, max int) int {
	j := i
	for j < len(b) && j-i < max && isLower(b[j]) {
		j++
	}
	return j
}

// cstring returns the NUL-terminated string that contains b[i], bounded to
// limit bytes either side; ok is false when no NUL is found within limit.
func cstring(b []byte, i, limit int) (start, end int, ok bool) {
	start = i
	for start > 0 && b[start-1] != 0 {
		if i-start >= limit {
			return 0, 0, false
		}
		start--
	}
	end = i
	for end < len(b) && b[end] != 0 {
		if end-i >= limit {
			return 0, 0, false
		}
		end++
	}
	return start, end, end < len(b) || end == len(b)
}

// endsAt reports whether b[i] is a string end: NUL, newline, end of data.
func endsAt(b []byte, i int) bool {
	return i >= len(b) || b[i] == 0 || b[i] == '\n' || b[i] == '\r'
}
