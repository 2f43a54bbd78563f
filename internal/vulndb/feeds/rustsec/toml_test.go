package rustsec

import (
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

func TestParseTOML(t *testing.T) {
	tests := []struct {
		name, in string
		want     map[string]any
	}{
		{"advisory", `[advisory]
id = "RUSTSEC-2020-0071" # trailing comment
informational = 'unsound'
withdrawn = 2025-04-28
expect-deleted = true
n = 1_000
f = -1.5e3
when = 1979-05-27T07:32:00Z
later = 1979-05-27 07:32:00

[affected]
# any Unix-like OS
os = [
    "linux",
    "redox", # comment
]
functions = { "time::at" = ["^0.1"], "time::now" = [] }
[affected.more]
"a::b" = ["< 1"]
x.y = "dotted"
`, map[string]any{
			"advisory": map[string]any{
				"id": "RUSTSEC-2020-0071", "informational": "unsound", "withdrawn": "2025-04-28", "expect-deleted": true,
				"n": int64(1000), "f": -1500.0, "when": "1979-05-27T07:32:00Z", "later": "1979-05-27 07:32:00",
			},
			"affected": map[string]any{
				"os":        []any{"linux", "redox"},
				"functions": map[string]any{"time::at": []any{"^0.1"}, "time::now": []any{}},
				"more":      map[string]any{"a::b": []any{"< 1"}, "x": map[string]any{"y": "dotted"}},
			},
		}},
		{"strings", "a = \"tab\\there \\\"q\\\" \\u00e9\\U0001F600\"\nb = '''\nraw \\n\nline'''\nc = \"\"\"\nx \\\n   y\"\"\"\nd = 'it''s'\n",
			nil},
		{"empty", "\n# only a comment\n", map[string]any{}},
		{"nested arrays", `a = [[1, 2], ["x"], []]`, map[string]any{"a": []any{[]any{int64(1), int64(2)}, []any{"x"}, []any{}}}},
		{"crlf", "[t]\r\nk = \"v\"\r\n", map[string]any{"t": map[string]any{"k": "v"}}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := parseTOML(tt.in)
			if tt.name == "strings" {
				if err == nil {
					t.Fatal("d = 'it''s' parsed: TOML has no doubled-quote escape")
				}
				got, err = parseTOML(strings.Split(tt.in, "d =")[0])
				tt.want = map[string]any{"a": "tab\there \"q\" é😀", "b": "raw \\n\nline", "c": "x y"}
			}
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got); diff != "" {
				t.Errorf("(-want +got):\n%s", diff)
			}
		})
	}
}

func TestParseTOMLErrors(t *testing.T) {
	tests := []struct{ in, err string }{
		{"[[a]]\n", "line 1: arrays of tables"},
		{"[a]\n[a]\n", "line 2: table [a] defined twice"},
		{"a = 1\na = 2\n", "line 2: key \"a\" defined twice"},
		{"a = 1\n[a]\n", `key "a" is not a table`},
		{"a = \"x\n", "newline in string"},
		{"a = \"x", "unterminated string"},
		{"a = [1, 2", "unterminated array"},
		{"a = [1 2]", "want , or ]"},
		{"a = {b = 1", "unterminated inline table"},
		{"a = {b = 1 c = 2}", "want , or }"},
		{"a = 1 b = 2", "after value"},
		{"a = nope", `bad value "nope"`},
		{"a = ", "want a value"},
		{"a\n", "want = after key"},
		{"= 1", "want a key"},
		{"a = \"\\x\"", `bad escape \x`},
		{"a = \"\\uD800\"", `bad \u escape`},
		{"a = \"\\u12\"", `\u escape`},
		{"[a\n", "want ] after table name"},
		{"a = " + strings.Repeat("[", 40), "nested deeper than 32"},
		{"a = \"\xff\"", "not UTF-8"},
	}
	for _, tt := range tests {
		_, err := parseTOML(tt.in)
		if err == nil || !strings.Contains(err.Error(), tt.err) {
			t.Errorf("parseTOML(%q) error = %v, want %q", tt.in, err, tt.err)
		}
	}
}

func FuzzParseTOML(f *testing.F) {
	f.Add("[advisory]\nid = \"x\"\naliases = [\"a\", 'b',]\nf = { \"a::b\" = [\"< 1\"] }\n")
	f.Add("a = \"\"\"\nx \\\n y\"\"\"\nb = '''z'''\nc = 1979-05-27 07:32:00\n")
	f.Fuzz(func(t *testing.T, s string) {
		parseTOML(s) // must not panic or loop
	})
}
