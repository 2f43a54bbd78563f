package report

import (
	"testing"
	"unicode/utf8"
)

func TestCutUTF8(t *testing.T) {
	for _, tc := range []struct {
		s    string
		n    int
		want string
	}{
		{"abc", 5, "abc"},
		{"abcdef", 3, "abc"},
		{"aé", 2, "a"}, // é is two bytes: not split
		{"aé", 3, "aé"},
		{"日本語", 4, "日"},
		{"日本語", 2, ""},
	} {
		if got := CutUTF8(tc.s, tc.n); got != tc.want || !utf8.ValidString(got) {
			t.Errorf("CutUTF8(%q, %d) = %q, want %q", tc.s, tc.n, got, tc.want)
		}
	}
}
