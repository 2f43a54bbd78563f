// Package maven implements Maven's version ordering exactly as
// org.apache.maven.artifact.versioning.ComparableVersion of Maven 3.9.x does
// (https://maven.apache.org/pom.html#version-order-specification), including
// the MNG-7644 rule: a qualifier after a dot is treated as if a
// hyphen preceded it, so 1.0.0.X1 < 1.0.0-X2 < 1.0.1 for any string X.
// (Maven 4's CombinationItem, where "X-1" equals "X1", is not in 3.9.)
//
// A version is a list of items. Items are numbers (ints, longs and big
// integers by the length of their digit string, as in Java: a shorter kind is
// always lower), strings (qualifiers ordered alpha < beta < milestone <
// rc = cr < snapshot < "" = ga = final = release < sp < unknown qualifiers
// lexically) and sub-lists, which start at every '-' and at every
// digit/letter transition. Trailing nulls (0, "", empty lists) are dropped,
// so 1 = 1.0 = 1-0 = 1.ga.
//
// Java details kept for exactness: the input is lower-cased per
// String.toLowerCase(Locale.ENGLISH) (U+0130 becomes "i̇"); digits are
// Character.isDigit on UTF-16 code units (any BMP Unicode decimal digit,
// never a supplementary one); strings compare by UTF-16 code units.
package maven

import (
	"errors"
	"fmt"
	"strings"
	"unicode"
	"unicode/utf16"
	"unicode/utf8"

	"github.com/customs-scanner/customs/internal/version"
)

// MaxLen bounds the length in bytes of a version string Parse accepts; Maven
// itself has no limit, but nesting depth grows with the length.
const MaxLen = 1024

// Scheme is the Maven version scheme. It implements version.Scheme.
type Scheme struct{}

var _ version.Scheme = Scheme{}

// Name returns "maven".
func (Scheme) Name() string { return "maven" }

// Parse parses s as ComparableVersion does. Maven accepts every string;
// Parse rejects only the empty string and strings longer than MaxLen.
func (Scheme) Parse(s string) (version.Version, error) {
	v, err := Parse(s)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// Version is a parsed Maven version.
type Version struct {
	str   string
	items *item // the root list
}

// String returns the version as given.
func (v Version) String() string { return v.str }

// Canonical returns ComparableVersion.getCanonical(): the normalized items,
// sub-lists joined with '-', other items with '.'.
func (v Version) Canonical() string {
	if v.items == nil {
		return ""
	}
	return v.items.String()
}

// Compare compares v with o, which must be a maven Version; it returns -1, 0
// or +1. Comparing with a version of another scheme panics.
func (v Version) Compare(o version.Version) int {
	return v.CompareVersion(o.(Version))
}

// CompareVersion is Compare for a concrete Version.
func (v Version) CompareVersion(o Version) int {
	return sign(v.items.compare(o.items))
}

// Compare parses and compares two version strings.
func Compare(a, b string) (int, error) {
	va, err := Parse(a)
	if err != nil {
		return 0, err
	}
	vb, err := Parse(b)
	if err != nil {
		return 0, err
	}
	return va.CompareVersion(vb), nil
}

type kind int

// Item kinds. Numbers keep Java's split by digit-string length: an int item
// (<= 9 digits) is below every long item (<= 18 digits), which is below every
// big integer, whatever their values (e.g. "0000000001" with non-ASCII zeros).
const (
	kindInt kind = iota
	kindLong
	kindBig
	kindString
	kindList
)

type item struct {
	kind kind
	// num holds the numeric value of a number item as ASCII digits without
	// leading zeros ("0" for zero).
	num string
	// str is the (aliased) qualifier of a string item.
	str string
	// list is the content of a list item.
	list []*item
}

func (it *item) isNumber() bool {
	return it.kind == kindInt || it.kind == kindLong || it.kind == kindBig
}

func (it *item) isNull() bool {
	switch it.kind {
	case kindInt, kindLong, kindBig:
		return it.num == "0"
	case kindString:
		return it.str == ""
	case kindList:
		return len(it.list) == 0
	}
	return false
}

var qualifiers = []string{"alpha", "beta", "milestone", "rc", "snapshot", "", "sp"}

// releaseIndex is the rank of "" (a release).
const releaseIndex = 5

// rank is the position of a qualifier in qualifiers; unknown qualifiers rank
// len(qualifiers) and compare lexically among themselves (Java builds the
// strings "0".."6" and "7-"+qualifier and compares those).
func rank(q string) int {
	for i, k := range qualifiers {
		if k == q {
			return i
		}
	}
	return len(qualifiers)
}

func compareQualifiers(a, b string) int {
	ra, rb := rank(a), rank(b)
	if ra != rb {
		return cmpInt(ra, rb)
	}
	if ra < len(qualifiers) {
		return 0
	}
	return compareUTF16(a, b)
}

// compareNumbers compares two number items of any kinds as Java does.
func compareNumbers(a, b *item) int {
	if a.kind != b.kind {
		return cmpInt(int(a.kind), int(b.kind))
	}
	if len(a.num) != len(b.num) {
		return cmpInt(len(a.num), len(b.num))
	}
	return strings.Compare(a.num, b.num)
}

// compare is Item.compareTo; o == nil is Java's null (a missing item).
func (it *item) compare(o *item) int {
	switch it.kind {
	case kindInt, kindLong, kindBig:
		if o == nil {
			if it.num == "0" {
				return 0
			}
			return 1
		}
		if o.isNumber() {
			return compareNumbers(it, o)
		}
		return 1 // 1.1 > 1-sp, 1.1 > 1-1
	case kindString:
		if o == nil {
			// 1-rc < 1, 1-ga = 1, 1-sp > 1
			return cmpInt(rank(it.str), releaseIndex)
		}
		if o.kind == kindString {
			return compareQualifiers(it.str, o.str)
		}
		return -1 // 1.any < 1.1, 1.any < 1-1
	case kindList:
		if o == nil {
			// MNG-6964: the whole list against null, not just the first item.
			for _, x := range it.list {
				if r := x.compare(nil); r != 0 {
					return r
				}
			}
			return 0
		}
		switch o.kind {
		case kindString:
			return 1 // 1-1 > 1-sp
		case kindList:
			for i := 0; i < len(it.list) || i < len(o.list); i++ {
				var r int
				switch {
				case i >= len(it.list):
					r = -o.list[i].compare(nil)
				case i >= len(o.list):
					r = it.list[i].compare(nil)
				default:
					r = it.list[i].compare(o.list[i])
				}
				if r != 0 {
					return r
				}
			}
			return 0
		}
		return -1 // 1-1 < 1.0.x
	}
	return 0
}

// normalize is ListItem.normalize: trailing null items (0, "", empty
// lists) are dropped, looking through (not past) trailing sub-lists.
func (it *item) normalize() {
	l := it.list
	for i := len(l) - 1; i >= 0; i-- {
		if l[i].isNull() {
			l = append(l[:i], l[i+1:]...)
		} else if l[i].kind != kindList {
			break
		}
	}
	it.list = l
}

func (it *item) String() string {
	switch it.kind {
	case kindString:
		return it.str
	case kindList:
		var b strings.Builder
		for _, x := range it.list {
			if b.Len() > 0 {
				if x.kind == kindList {
					b.WriteByte('-')
				} else {
					b.WriteByte('.')
				}
			}
			b.WriteString(x.String())
		}
		return b.String()
	}
	return it.num
}

// Parse parses s as ComparableVersion.parseVersion does.
func Parse(s string) (Version, error) {
	if s == "" {
		return Version{}, errors.New("parse maven version: version string is empty")
	}
	if len(s) > MaxLen {
		return Version{}, fmt.Errorf("parse maven version %.32q...: longer than %d bytes", s, MaxLen)
	}
	v := []uint16(utf16.Encode([]rune(toLowerEnglish(s))))
	root := &item{kind: kindList}
	list := root
	stack := []*item{root}
	push := func() {
		n := &item{kind: kindList}
		list.list = append(list.list, n)
		list = n
		stack = append(stack, n)
	}
	add := func(x *item) { list.list = append(list.list, x) }
	zero := func() *item { return &item{kind: kindInt, num: "0"} }

	isDigit := false
	start := 0
	for i := 0; i < len(v); i++ {
		c := v[i]
		switch {
		case c == '.':
			if i == start {
				add(zero())
			} else {
				add(parseItem(isDigit, v[start:i]))
			}
			start = i + 1
		case c == '-':
			if i == start {
				add(zero())
			} else {
				add(parseItem(isDigit, v[start:i]))
			}
			start = i + 1
			push()
		case digit(c):
			if !isDigit && i > start {
				// 1.0.0.X1 < 1.0.0-X2: treat .X as -X.
				if len(list.list) > 0 {
					push()
				}
				add(newString(v[start:i], true))
				start = i
				push()
			}
			isDigit = true
		default:
			if isDigit && i > start {
				add(parseItem(true, v[start:i]))
				start = i
				push()
			}
			isDigit = false
		}
	}
	if len(v) > start {
		// 1.0.0.X1 < 1.0.0-X2: treat .X as -X.
		if !isDigit && len(list.list) > 0 {
			push()
		}
		add(parseItem(isDigit, v[start:]))
	}
	for i := len(stack) - 1; i >= 0; i-- {
		stack[i].normalize()
	}
	return Version{str: s, items: root}, nil
}

func parseItem(isDigit bool, buf []uint16) *item {
	if isDigit {
		// stripLeadingZeroes strips ASCII '0' only; the length decides
		// the kind, Character.digit the value.
		// A string of only zeros is kept whole ("0000000000" is a long).
		if len(buf) == 0 {
			return &item{kind: kindInt, num: "0"}
		}
		j := 0
		for j < len(buf) && buf[j] == '0' {
			j++
		}
		if j < len(buf) {
			buf = buf[j:]
		}
		k := kindBig
		switch {
		case len(buf) <= 9:
			k = kindInt
		case len(buf) <= 18:
			k = kindLong
		}
		return &item{kind: k, num: digitValue(buf)}
	}
	return newString(buf, false)
}

func newString(buf []uint16, followedByDigit bool) *item {
	s := string(utf16.Decode(buf))
	if followedByDigit && len(buf) == 1 {
		switch s {
		case "a":
			s = "alpha"
		case "b":
			s = "beta"
		case "m":
			s = "milestone"
		}
	}
	switch s {
	case "ga", "final", "release":
		s = ""
	case "cr":
		s = "rc"
	}
	return &item{kind: kindString, str: s}
}

// digit is Java's Character.isDigit(char): a BMP decimal digit (Nd).
func digit(c uint16) bool {
	if c < 0x80 {
		return '0' <= c && c <= '9'
	}
	return !utf16.IsSurrogate(rune(c)) && unicode.IsDigit(rune(c))
}

// digitValue converts a run of decimal digits (any Unicode Nd script) to
// ASCII digits without leading zeros. Unicode digit sets are runs of ten
// starting at zero, so a digit's value is its offset in its run mod 10.
func digitValue(buf []uint16) string {
	b := make([]byte, 0, len(buf))
	for _, c := range buf {
		if c < 0x80 {
			b = append(b, byte(c))
			continue
		}
		n := 0
		for r := rune(c) - 1; n < 100 && unicode.IsDigit(r); r-- {
			n++
		}
		b = append(b, byte('0'+n%10))
	}
	s := strings.TrimLeft(string(b), "0")
	if s == "" {
		return "0"
	}
	return s
}

// toLowerEnglish is Java's String.toLowerCase(Locale.ENGLISH) for what
// matters here: per-rune lower case, with U+0130 becoming "i\u0307".
func toLowerEnglish(s string) string {
	if !strings.ContainsRune(s, '\u0130') {
		return strings.ToLower(s)
	}
	return strings.ToLower(strings.ReplaceAll(s, "\u0130", "i\u0307"))
}

// compareUTF16 compares strings by UTF-16 code units, like Java's
// String.compareTo.
func compareUTF16(a, b string) int {
	for a != "" && b != "" {
		ra, na := utf8.DecodeRuneInString(a)
		rb, nb := utf8.DecodeRuneInString(b)
		if ra != rb {
			return cmpInt(javaKey(ra), javaKey(rb))
		}
		a, b = a[na:], b[nb:]
	}
	return cmpInt(len(a), len(b))
}

// javaKey maps a rune to a key ordered like its first UTF-16 code unit,
// ties broken by the rune: supplementary runes (surrogates D800-DFFF) sort
// below U+E000-U+FFFF.
func javaKey(r rune) int {
	if r >= 0x10000 {
		r1, _ := utf16.EncodeRune(r)
		return int(r1)<<21 | int(r)
	}
	return int(r) << 21
}

func cmpInt(a, b int) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

func sign(c int) int { return cmpInt(c, 0) }
