package binary

import (
	"bytes"
	"math/rand/v2"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// containsAll is the reference textSet.find must agree with: one
// bytes.Contains per text.
func containsAll(texts []string, data []byte) []bool {
	out := make([]bool, len(texts))
	for i, t := range texts {
		out[i] = bytes.Contains(data, []byte(t))
	}
	return out
}

func TestTextSet(t *testing.T) {
	texts := textsOf(binaryRules)
	ts := newTextSet(texts)
	tests := []struct {
		name string
		data string
	}{
		{"empty", ""},
		{"none", "nothing to see here\x00\x01\x02"},
		{"whole", `OPENSSLDIR: "`},
		{"at the start", "OpenSSL 3.0.11 19 Sep 2023\x00"},
		{"at the end", "\x00\x00\x00PostgreSQL"},
		{"cut short", "\x00PostgreSQ"},
		{"shortest", ") %s"},
		{"several", "curl 7.88.1 (x86_64-pc-linux-gnu) %s\x00libcurl/7.88.1\x00A libcurl function was given a bad argument\x00"},
		{"overlapping", "rustc rustc_metadata"},
		{"repeated anchor", "NGINX NGINX environment NGINX environment variable"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := make([]bool, len(texts))
			ts.find([]byte(tt.data), got)
			if diff := cmp.Diff(containsAll(texts, []byte(tt.data)), got); diff != "" {
				t.Errorf("find(%q) (-want +got):\n%s", tt.data, diff)
			}
		})
	}
}

// TestTextSetSpans checks that texts found in earlier spans stay found.
func TestTextSetSpans(t *testing.T) {
	texts := textsOf(binaryRules)
	ts := newTextSet(texts)
	got := make([]bool, len(texts))
	spans := []string{"BusyBox v1.36.1", "\x00Usage: busybox [function", "Redis server v=%s sha=%s"}
	for _, s := range spans {
		ts.find([]byte(s), got)
	}
	want := make([]bool, len(texts))
	for _, s := range spans {
		for i, ok := range containsAll(texts, []byte(s)) {
			want[i] = want[i] || ok
		}
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("(-want +got):\n%s", diff)
	}
}

// TestTextSetRandom splices the texts, and parts of them, into random
// bytes drawn mostly from the texts' own alphabet.
func TestTextSetRandom(t *testing.T) {
	texts := textsOf(binaryRules)
	ts := newTextSet(texts)
	var alphabet []byte
	for _, s := range texts {
		alphabet = append(alphabet, s...)
	}
	alphabet = append(alphabet, 0, 1, 0xff)
	r := rand.New(rand.NewPCG(1, 2))
	for n := range 2000 {
		var data []byte
		for len(data) < 200 {
			switch r.IntN(4) {
			case 0:
				s := texts[r.IntN(len(texts))]
				data = append(data, s[:1+r.IntN(len(s))]...)
			case 1:
				data = append(data, texts[r.IntN(len(texts))]...)
			default:
				data = append(data, alphabet[r.IntN(len(alphabet))])
			}
		}
		got := make([]bool, len(texts))
		ts.find(data, got)
		if diff := cmp.Diff(containsAll(texts, data), got); diff != "" {
			t.Fatalf("case %d, find(%q) (-want +got):\n%s", n, data, diff)
		}
	}
}

func FuzzTextSet(f *testing.F) {
	f.Add([]byte("curl 7.88.1 (x86_64-pc-linux-gnu) %s\x00"))
	f.Add([]byte("\x7fELF OPENSSLDIR: \"/usr/lib/ssl\"\x00OpenSSL 3.0.11"))
	texts := textsOf(binaryRules)
	ts := newTextSet(texts)
	f.Fuzz(func(t *testing.T, data []byte) {
		got := make([]bool, len(texts))
		ts.find(data, got)
		if diff := cmp.Diff(containsAll(texts, data), got); diff != "" {
			t.Errorf("find(%q) (-want +got):\n%s", data, diff)
		}
	})
}
