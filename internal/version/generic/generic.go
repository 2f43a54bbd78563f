// Package generic compares the versions of software identified without a
// package manager (PURL type "generic": OpenSSL, zlib, curl, nginx, Python,
// PostgreSQL, OpenJDK, Go, ...), as NVD CPE match ranges name them.
//
// A version is a digit-led run of numbers and letter words, separated by
// '.', '-', '_', '+' or '~' (separators only delimit; which one does not
// matter) or by a change between digits and letters. Tokens are compared
// left to right:
//
//   - numbers numerically; a missing token next to a number counts as 0,
//     so 1.21 = 1.21.0;
//   - pre-release words come before the release: dev = devel < alpha = a < beta =
//     b < pre = c = rc (also preview, ea): 3.0.0-alpha1 < 3.0.0, 16beta1 <
//     16.0, 3.11.0rc1 < 3.11.0. a, b and c are pre-release only when a
//     number follows them (Python's 3.11.0b4); otherwise they are
//     OpenSSL-style letter releases;
//   - other words are post-releases, compared as strings, after the release
//     and before any number: 1.1.1 < 1.1.1a < 1.1.1w < 1.1.1.1, 0.9.8z <
//     0.9.8za, 1.0.2k < 1.0.2k-fips.
//
// Letters compare case-insensitively. This fits OpenSSL's letter releases,
// Python, PostgreSQL and Go pre-releases, and Java update numbers
// (1.8.0_381 < 1.8.0_392); it is not SemVer's build-metadata rule (here
// 17.0.9+9 > 17.0.9).
package generic

import (
	"fmt"
	"strings"

	"github.com/customs-scanner/customs/internal/version"
)

// maxLen bounds the versions parsed.
const maxLen = 128

// Scheme is the generic version scheme. It implements version.Scheme.
type Scheme struct{}

var _ version.Scheme = Scheme{}

// Name returns "generic".
func (Scheme) Name() string { return "generic" }

// Parse parses s (see the package doc).
func (Scheme) Parse(s string) (version.Version, error) {
	v, err := Parse(s)
	if err != nil {
		return nil, err
	}
	return v, nil
}

type kind int

// Token kinds in comparison order at one position (end sits between pre
// and post).
const (
	pre kind = iota
	end
	post
	num
)

type token struct {
	kind kind
	// s is the number without leading zeros, or the lower-case word.
	s string
	// rank orders pre-release words.
	rank int
}

// Version is a parsed generic version.
type Version struct {
	str    string
	tokens []token
}

var preRank = map[string]int{"dev": 0, "devel": 0, "alpha": 1, "a": 1, "beta": 2, "b": 2, "preview": 3, "pre": 3, "c": 3, "rc": 3, "ea": 0}

// Parse parses s. An optional leading "v" is allowed ("v20.10.0").
func Parse(s string) (Version, error) {
	str := strings.TrimSpace(s)
	if str == "" {
		return Version{}, fmt.Errorf("parse generic version: empty")
	}
	if len(str) > maxLen {
		return Version{}, fmt.Errorf("parse generic version %.20q...: longer than %d bytes", str, maxLen)
	}
	body := str
	if body[0] == 'v' || body[0] == 'V' {
		body = body[1:]
	}
	if body == "" || !isDigit(body[0]) {
		return Version{}, fmt.Errorf("parse generic version %q: does not start with a digit", s)
	}
	var toks []token
	for i := 0; i < len(body); {
		c := body[i]
		switch {
		case isDigit(c):
			j := i
			for j < len(body) && isDigit(body[j]) {
				j++
			}
			n := strings.TrimLeft(body[i:j], "0")
			if n == "" {
				n = "0"
			}
			toks = append(toks, token{kind: num, s: n})
			i = j
		case isLetter(c):
			j := i
			for j < len(body) && isLetter(body[j]) {
				j++
			}
			w := strings.ToLower(body[i:j])
			t := token{kind: post, s: w}
			if r, ok := preRank[w]; ok {
				single := len(w) == 1
				if !single || (j < len(body) && isDigit(body[j])) {
					t = token{kind: pre, s: w, rank: r}
				}
			}
			toks = append(toks, t)
			i = j
		case c == '.' || c == '-' || c == '_' || c == '+' || c == '~':
			i++
		default:
			return Version{}, fmt.Errorf("parse generic version %q: invalid character %q", s, c)
		}
	}
	return Version{str: str, tokens: toks}, nil
}

func isDigit(c byte) bool  { return c >= '0' && c <= '9' }
func isLetter(c byte) bool { return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' }

// String returns the version as given (trimmed).
func (v Version) String() string { return v.str }

// Compare returns -1, 0 or +1 as v is less than, equal to or greater than
// o. It panics if o is not a generic Version.
func (v Version) Compare(o version.Version) int {
	return compare(v.tokens, o.(Version).tokens)
}

// Compare parses and compares a and b.
func Compare(a, b string) (int, error) {
	va, err := Parse(a)
	if err != nil {
		return 0, err
	}
	vb, err := Parse(b)
	if err != nil {
		return 0, err
	}
	return va.Compare(vb), nil
}

func compare(a, b []token) int {
	for i := 0; i < len(a) || i < len(b); i++ {
		x, y := at(a, i), at(b, i)
		// A missing token next to a number counts as 0.
		if x.kind == end && y.kind == num {
			x = token{kind: num, s: "0"}
		}
		if y.kind == end && x.kind == num {
			y = token{kind: num, s: "0"}
		}
		if c := compareToken(x, y); c != 0 {
			return c
		}
	}
	return 0
}

func at(ts []token, i int) token {
	if i < len(ts) {
		return ts[i]
	}
	return token{kind: end}
}

func compareToken(x, y token) int {
	if x.kind != y.kind {
		return sign(int(x.kind) - int(y.kind))
	}
	switch x.kind {
	case num:
		if len(x.s) != len(y.s) {
			return sign(len(x.s) - len(y.s))
		}
		return strings.Compare(x.s, y.s)
	case pre:
		return sign(x.rank - y.rank)
	case post:
		return strings.Compare(x.s, y.s)
	}
	return 0
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}
