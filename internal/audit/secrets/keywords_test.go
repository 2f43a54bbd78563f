package secrets

import (
	"bytes"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// indexHits is the reference keywords.find must agree with: one bytes.Index
// pass per keyword over a copy of content with ASCII letters lowered (what
// Scan did before keywords), leftmost non-overlapping occurrences, at most
// maxKeywordHits of each keyword; sorted by position, then word.
func indexHits(content []byte, words [][]byte) []keywordHit {
	low := make([]byte, len(content))
	for i, c := range content {
		low[i] = lower[c]
	}
	var out []keywordHit
	for w, k := range words {
		off := 0
		for n := 0; n < maxKeywordHits; n++ {
			i := bytes.Index(low[off:], k)
			if i < 0 {
				break
			}
			out = append(out, keywordHit{w, off + i})
			off += i + len(k)
		}
	}
	sortHits(out)
	return out
}

func sortHits(h []keywordHit) {
	slices.SortFunc(h, func(a, b keywordHit) int {
		if a.at != b.at {
			return a.at - b.at
		}
		return a.word - b.word
	})
}

func lowerWords(ws ...string) [][]byte {
	var out [][]byte
	for _, w := range ws {
		out = append(out, bytes.ToLower([]byte(w)))
	}
	return out
}

func TestKeywordsFind(t *testing.T) {
	defaults := []string{}
	for _, r := range DefaultRules() {
		defaults = append(defaults, r.Keywords...)
	}
	tests := []struct {
		name    string
		words   []string
		content string
	}{
		{"default rules in a config", defaults, "DB_PASSWORD=x\naws_secret_access_key = y\nAPI-KEY: z\ntoken\nEyJ\nq~\npostgres://"},
		{"case variants", []string{"password"}, "password PASSWORD PassWord pASSWORd passwor"},
		{"overlapping occurrences", []string{"aaa", "aa"}, "aaaaaaa"},
		{"shared anchor", []string{"ghp_", "gho_", "github_pat_"}, "ghp_ gho_ github_pat_ GHP_"},
		{"one byte at both ends", []string{"x", "~"}, "x~ab~x"},
		{"at the very end", []string{"token"}, "my token"},
		{"longer than content", []string{"private key"}, "private"},
		{"empty content", []string{"secret"}, ""},
		{"non-ASCII folds only ASCII", []string{"Pässwort"}, "pässwort PÄSSWORT Pässwort"},
		{"NUL in content and keyword", []string{"a\x00b"}, "\x00a\x00b\x00A\x00B"},
		{"capped", []string{"ab"}, strings.Repeat("ab", maxKeywordHits+10)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			k := newKeywords(lowerWords(tt.words...))
			got := k.find([]byte(tt.content), nil)
			sortHits(got)
			if diff := cmp.Diff(indexHits([]byte(tt.content), k.words), got, cmp.AllowUnexported(keywordHit{})); diff != "" {
				t.Errorf("find (-want +got):\n%s", diff)
			}
		})
	}
}

func TestNewKeywordsDedups(t *testing.T) {
	k := newKeywords(lowerWords("Token", "token", "secret"))
	if len(k.words) != 2 {
		t.Errorf("words %q, want token and secret once", k.words)
	}
}

func FuzzKeywordsFind(f *testing.F) {
	f.Add("password,token,x", []byte("PASSWORD=tokentoken x"))
	f.Add("aa,a", []byte("aaaaA"))
	f.Add("ghp_,q~,eyj", []byte("ghp_q~EYJ"))
	f.Fuzz(func(t *testing.T, words string, content []byte) {
		var ws []string
		for _, w := range strings.Split(words, ",") {
			if w != "" {
				ws = append(ws, w)
			}
		}
		if len(ws) == 0 {
			return
		}
		k := newKeywords(lowerWords(ws...))
		got := k.find(content, nil)
		sortHits(got)
		if diff := cmp.Diff(indexHits(content, k.words), got, cmp.AllowUnexported(keywordHit{})); diff != "" {
			t.Errorf("find(%q) over %q (-want +got):\n%s", ws, content, diff)
		}
	})
}
