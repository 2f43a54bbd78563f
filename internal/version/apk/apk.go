// Package apk implements Alpine apk-tools version rules, following apk-tools
// v3 src/version.c: digit{.digit}...{letter}{_suffix{number}}...{~hash}{-r#}.
//
// Versions are compared token by token. Numbers compare numerically, except
// that a non-initial number with a leading zero compares as a string (the
// Gentoo rule); letters by byte; suffixes in the order
// alpha < beta < pre < rc < (none) < cvs < svn < git < hg < p; commit hashes
// as strings; -r revisions numerically. When one version runs out first, the
// other is greater unless its next token is a pre-release suffix.
//
// Strings apk v3 rejects (a digit right after a letter as in "6.6.2p1", an
// empty "-r", an unknown "_suffix") fail Parse, so matching reports them as
// undetermined; Compare still orders them as apk does, which treats
// everything from the first invalid token on as equal. apk 2.x ordered some
// of them differently.
package apk

import (
	"bytes"
	"fmt"
	"strings"

	"github.com/customs-scanner/customs/internal/version"
)

// Scheme is the apk version scheme. It implements version.Scheme.
type Scheme struct{}

var _ version.Scheme = Scheme{}

// Name returns "apk".
func (Scheme) Name() string { return "apk" }

// Parse accepts s if apk_version_validate does.
func (Scheme) Parse(s string) (version.Version, error) {
	v, err := Parse(s)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// Version is a valid apk version string.
type Version struct{ s string }

// Parse returns s as a Version if apk-tools considers it valid.
func Parse(s string) (Version, error) {
	if !Valid(s) {
		return Version{}, fmt.Errorf("parse apk version %q: invalid version", s)
	}
	return Version{s}, nil
}

// String returns the version string.
func (v Version) String() string { return v.s }

// Compare compares v with o, which must be an apk Version; it returns -1, 0
// or +1. Comparing with a version of another scheme panics.
func (v Version) Compare(o version.Version) int { return Compare(v.s, o.(Version).s) }

// Valid reports whether s is a valid apk version (apk_version_validate).
func Valid(s string) bool {
	t := first(s)
	for t.token < tokenEnd {
		t.next()
	}
	return t.token == tokenEnd
}

// Compare compares two version strings exactly as apk_version_compare does,
// including strings that are not valid versions (apk then compares the
// valid prefix and ranks the invalid tail as the largest token). It returns
// -1, 0 or +1.
func Compare(a, b string) int { return compare(a, b, false) }

// FuzzyMatch reports whether a matches b in apk's fuzzy sense (the "~"
// dependency operator): a equals b or b is a token-wise prefix of a, so
// 3.6.9 and 3.6_pre1 match 3.6.
func FuzzyMatch(a, b string) bool { return compare(a, b, true) == 0 }

const (
	tokenInitialDigit = iota
	tokenDigit
	tokenLetter
	tokenSuffix
	tokenSuffixNo
	tokenCommitHash
	tokenRevisionNo
	tokenEnd
	tokenInvalid
)

const (
	suffixInvalid = iota
	suffixAlpha
	suffixBeta
	suffixPre
	suffixRC
	suffixNone
	suffixCVS
	suffixSVN
	suffixGit
	suffixHg
	suffixP
)

var suffixes = map[string]int{
	"alpha": suffixAlpha, "beta": suffixBeta, "pre": suffixPre, "rc": suffixRC,
	"cvs": suffixCVS, "svn": suffixSVN, "git": suffixGit, "hg": suffixHg, "p": suffixP,
}

// state is apk's struct token_state over the remaining input rest.
type state struct {
	token  int
	suffix int
	number uint64
	value  string
	rest   string
}

func first(s string) state {
	t := state{token: tokenInitialDigit, rest: s}
	t.parseDigits()
	return t
}

// parseDigits is apk_blob_pull_uint(b, 10) (wrapping on overflow like the
// uint64_t it uses) plus the empty check of token_parse_digits.
func (t *state) parseDigits() {
	i := 0
	var n uint64
	for i < len(t.rest) && isDigit(t.rest[i]) {
		n = n*10 + uint64(t.rest[i]-'0')
		i++
	}
	t.number, t.value, t.rest = n, t.rest[:i], t.rest[i:]
	if i == 0 {
		t.token = tokenInvalid
	}
}

// next is apk's token_next.
func (t *state) next() {
	if len(t.rest) == 0 {
		t.token = tokenEnd
		return
	}
	switch c := t.rest[0]; {
	case c >= 'a' && c <= 'z':
		if t.token > tokenDigit {
			t.token = tokenInvalid
			return
		}
		t.value, t.rest = t.rest[:1], t.rest[1:]
		t.token = tokenLetter
	case c == '.' || isDigit(c):
		if c == '.' {
			if t.token > tokenDigit {
				t.token = tokenInvalid
				return
			}
			t.rest = t.rest[1:]
		}
		switch t.token {
		case tokenInitialDigit, tokenDigit:
			t.token = tokenDigit
		case tokenSuffix:
			t.token = tokenSuffixNo
		default:
			t.token = tokenInvalid
			return
		}
		t.parseDigits()
	case c == '_':
		if t.token > tokenSuffixNo {
			t.token = tokenInvalid
			return
		}
		t.value, t.rest = span(t.rest[1:], func(c byte) bool { return c >= 'a' && c <= 'z' })
		t.suffix = suffixes[t.value]
		if t.suffix == suffixInvalid {
			t.token = tokenInvalid
			return
		}
		t.token = tokenSuffix
	case c == '~':
		if t.token >= tokenCommitHash {
			t.token = tokenInvalid
			return
		}
		t.value, t.rest = span(t.rest[1:], func(c byte) bool { return isDigit(c) || (c >= 'a' && c <= 'f') })
		if t.value == "" {
			t.token = tokenInvalid
			return
		}
		t.token = tokenCommitHash
	case c == '-':
		if t.token >= tokenRevisionNo || len(t.rest) < 2 || t.rest[1] != 'r' {
			t.token = tokenInvalid
			return
		}
		t.rest = t.rest[2:]
		t.token = tokenRevisionNo
		t.parseDigits()
	default:
		t.token = tokenInvalid
	}
}

func span(s string, in func(byte) bool) (string, string) {
	i := 0
	for i < len(s) && in(s[i]) {
		i++
	}
	return s[:i], s[i:]
}

// cmpToken is apk's token_cmp for two tokens of the same type.
func cmpToken(a, b *state) int {
	var x, y uint64
	switch a.token {
	case tokenDigit:
		if a.value[0] == '0' || b.value[0] == '0' {
			return bytes.Compare([]byte(a.value), []byte(b.value))
		}
		x, y = a.number, b.number
	case tokenInitialDigit, tokenSuffixNo, tokenRevisionNo:
		x, y = a.number, b.number
	case tokenLetter:
		x, y = uint64(a.value[0]), uint64(b.value[0])
	case tokenSuffix:
		x, y = uint64(a.suffix), uint64(b.suffix)
	default:
		return bytes.Compare([]byte(a.value), []byte(b.value))
	}
	switch {
	case x < y:
		return -1
	case x > y:
		return 1
	}
	return 0
}

// compare is apk_version_compare_fuzzy.
func compare(as, bs string, fuzzy bool) int {
	a, b := first(as), first(bs)
	for a.token == b.token && a.token < tokenEnd {
		if r := cmpToken(&a, &b); r != 0 {
			return r
		}
		a.next()
		b.next()
	}
	if a.token == b.token {
		return 0
	}
	if b.token == tokenEnd && fuzzy {
		return 0
	}
	if a.token == tokenSuffix && a.suffix < suffixNone {
		return -1
	}
	if b.token == tokenSuffix && b.suffix < suffixNone {
		return 1
	}
	if a.token > b.token {
		return -1
	}
	if b.token > a.token {
		return 1
	}
	return 0
}

func isDigit(c byte) bool { return c >= '0' && c <= '9' }

// Upstream returns s without its package release suffix -rN: "3.0.15"
// for "3.0.15-r0". It implements version.Upstreamer.
func (Scheme) Upstream(s string) string {
	i := strings.LastIndex(s, "-r")
	if i < 0 || i+2 == len(s) || strings.Trim(s[i+2:], "0123456789") != "" {
		return s
	}
	return s[:i]
}
