package version

import (
	"cmp"
	"strings"
)

// CompareIdent orders two dot-separated identifiers as SemVer 2.0 orders
// pre-release identifiers (section 11.4): numeric ones numerically and below
// alphanumeric ones, alphanumeric ones in ASCII order. Numbers of any
// length compare, leading zeros ignored. npm, Cargo, Hex and pub use it.
func CompareIdent(a, b string) int {
	an, bn := IsNumber(a), IsNumber(b)
	switch {
	case an && bn:
		return CompareNumber(TrimZeros(a), TrimZeros(b))
	case an:
		return -1
	case bn:
		return 1
	}
	return strings.Compare(a, b)
}

// CompareNumber compares decimal strings without leading zeros, of any
// length (no overflow past uint64).
func CompareNumber(a, b string) int {
	if c := cmp.Compare(len(a), len(b)); c != 0 {
		return c
	}
	return strings.Compare(a, b)
}

// TrimZeros drops the leading zeros of a decimal string, keeping one digit.
func TrimZeros(s string) string {
	t := strings.TrimLeft(s, "0")
	if t == "" {
		return "0"
	}
	return t
}

// IsNumber reports whether s is a non-empty string of ASCII digits.
func IsNumber(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
