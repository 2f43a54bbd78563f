package cargo

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The subset of TOML (https://toml.io/en/v1.0.0) that Cargo writes into
// Cargo.lock: comments, [table] and [[array.of.tables]] headers, and
// "key = value" lines whose value is a string, an integer, a boolean or an
// array of those (arrays may span lines). Inline tables, dates, floats and
// multi-line strings are rejected with an error naming the line.

// tomlTable is one table: its header (dotted name, "" for the root), whether
// it was an [[array]] element, and its key/value pairs in file order.
type tomlTable struct {
	name    string
	array   bool
	line    int
	entries []tomlEntry
}

type tomlEntry struct {
	key   string
	value tomlValue
	line  int
}

// tomlValue is a string, int64, bool or []tomlValue.
type tomlValue any

// maxTOMLTables bounds the tables of one file (a lock of a huge workspace
// has a few thousand packages).
const maxTOMLTables = 200_000

// parseTOML reads src into its tables, the root table first.
func parseTOML(src string) ([]*tomlTable, error) {
	p := &tomlParser{src: src, line: 1}
	cur := &tomlTable{line: 1}
	tables := []*tomlTable{cur}
	for {
		p.skipBlankAndComments()
		if p.eof() {
			return tables, nil
		}
		line := p.line
		if p.peek() == '[' {
			t, err := p.header()
			if err != nil {
				return tables, err
			}
			if len(tables) >= maxTOMLTables {
				return tables, fmt.Errorf("line %d: more than %d tables", line, maxTOMLTables)
			}
			cur = t
			tables = append(tables, cur)
			continue
		}
		key, err := p.key()
		if err != nil {
			return tables, err
		}
		p.skipSpace()
		if !p.consume('=') {
			return tables, p.errorf("want '=' after key %q", key)
		}
		p.skipSpace()
		v, err := p.value(0)
		if err != nil {
			return tables, err
		}
		if err := p.endOfLine(); err != nil {
			return tables, err
		}
		cur.entries = append(cur.entries, tomlEntry{key: key, value: v, line: line})
	}
}

type tomlParser struct {
	src  string
	pos  int
	line int
}

func (p *tomlParser) eof() bool  { return p.pos >= len(p.src) }
func (p *tomlParser) peek() byte { return p.src[p.pos] }

func (p *tomlParser) errorf(format string, args ...any) error {
	return fmt.Errorf("line %d: %s", p.line, fmt.Sprintf(format, args...))
}

func (p *tomlParser) consume(c byte) bool {
	if !p.eof() && p.peek() == c {
		p.pos++
		return true
	}
	return false
}

func (p *tomlParser) skipSpace() {
	for !p.eof() && (p.peek() == ' ' || p.peek() == '\t') {
		p.pos++
	}
}

// skipBlankAndComments skips whitespace, newlines and comments.
func (p *tomlParser) skipBlankAndComments() {
	for !p.eof() {
		switch p.peek() {
		case ' ', '\t', '\r':
			p.pos++
		case '\n':
			p.pos++
			p.line++
		case '#':
			p.skipComment()
		default:
			return
		}
	}
}

func (p *tomlParser) skipComment() {
	for !p.eof() && p.peek() != '\n' {
		p.pos++
	}
}

// endOfLine accepts trailing blanks and a comment before a newline or EOF.
func (p *tomlParser) endOfLine() error {
	p.skipSpace()
	if p.consume('#') {
		p.skipComment()
	}
	p.consume('\r')
	if p.eof() {
		return nil
	}
	if !p.consume('\n') {
		return p.errorf("unexpected %q after value", p.peek())
	}
	p.line++
	return nil
}

// header reads "[a.b]" or "[[a.b]]".
func (p *tomlParser) header() (*tomlTable, error) {
	t := &tomlTable{line: p.line}
	p.pos++ // '['
	if p.consume('[') {
		t.array = true
	}
	var parts []string
	for {
		p.skipSpace()
		k, err := p.key1()
		if err != nil {
			return nil, err
		}
		parts = append(parts, k)
		p.skipSpace()
		if !p.consume('.') {
			break
		}
	}
	if !p.consume(']') || t.array && !p.consume(']') {
		return nil, p.errorf("unterminated table header")
	}
	t.name = strings.Join(parts, ".")
	return t, p.endOfLine()
}

// key reads a possibly dotted key; dotted keys are joined with ".".
func (p *tomlParser) key() (string, error) {
	var parts []string
	for {
		k, err := p.key1()
		if err != nil {
			return "", err
		}
		parts = append(parts, k)
		p.skipSpace()
		if p.eof() || p.peek() != '.' {
			return strings.Join(parts, "."), nil
		}
		p.pos++
		p.skipSpace()
	}
}

// key1 reads one bare or quoted key.
func (p *tomlParser) key1() (string, error) {
	if p.eof() {
		return "", p.errorf("want a key, got end of file")
	}
	switch p.peek() {
	case '"':
		return p.basicString()
	case '\'':
		return p.literalString()
	}
	start := p.pos
	for !p.eof() && isBareKeyChar(p.peek()) {
		p.pos++
	}
	if p.pos == start {
		return "", p.errorf("want a key, got %q", p.peek())
	}
	return p.src[start:p.pos], nil
}

func isBareKeyChar(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// maxTOMLDepth bounds nested arrays.
const maxTOMLDepth = 32

func (p *tomlParser) value(depth int) (tomlValue, error) {
	if p.eof() {
		return nil, p.errorf("want a value, got end of file")
	}
	switch c := p.peek(); {
	case c == '"':
		if strings.HasPrefix(p.src[p.pos:], `"""`) {
			return nil, p.errorf("multi-line strings are not supported")
		}
		return p.basicString()
	case c == '\'':
		if strings.HasPrefix(p.src[p.pos:], `'''`) {
			return nil, p.errorf("multi-line strings are not supported")
		}
		return p.literalString()
	case c == '[':
		if depth >= maxTOMLDepth {
			return nil, p.errorf("arrays nested deeper than %d", maxTOMLDepth)
		}
		return p.array(depth + 1)
	case c == 't' && strings.HasPrefix(p.src[p.pos:], "true"):
		p.pos += 4
		return true, nil
	case c == 'f' && strings.HasPrefix(p.src[p.pos:], "false"):
		p.pos += 5
		return false, nil
	case c == '-' || c == '+' || c >= '0' && c <= '9':
		start := p.pos
		p.pos++
		for !p.eof() && (p.peek() >= '0' && p.peek() <= '9' || p.peek() == '_') {
			p.pos++
		}
		n, err := strconv.ParseInt(strings.ReplaceAll(p.src[start:p.pos], "_", ""), 10, 64)
		if err != nil {
			return nil, p.errorf("bad integer %q", p.src[start:p.pos])
		}
		return n, nil
	default:
		return nil, p.errorf("unsupported value starting with %q", c)
	}
}

func (p *tomlParser) array(depth int) (tomlValue, error) {
	p.pos++ // '['
	var out []tomlValue
	for {
		p.skipBlankAndComments()
		if p.eof() {
			return nil, p.errorf("unterminated array")
		}
		if p.consume(']') {
			return out, nil
		}
		v, err := p.value(depth)
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		p.skipBlankAndComments()
		if p.consume(',') {
			continue
		}
		if p.consume(']') {
			return out, nil
		}
		if p.eof() {
			return nil, p.errorf("unterminated array")
		}
		return nil, p.errorf("want ',' or ']' in array, got %q", p.peek())
	}
}

// basicString reads a "..." string with TOML escapes.
func (p *tomlParser) basicString() (string, error) {
	p.pos++ // '"'
	var b strings.Builder
	for {
		if p.eof() || p.peek() == '\n' {
			return "", p.errorf("unterminated string")
		}
		c := p.peek()
		p.pos++
		switch c {
		case '"':
			return b.String(), nil
		case '\\':
			if p.eof() {
				return "", p.errorf("unterminated string")
			}
			e := p.peek()
			p.pos++
			switch e {
			case 'b':
				b.WriteByte('\b')
			case 't':
				b.WriteByte('\t')
			case 'n':
				b.WriteByte('\n')
			case 'f':
				b.WriteByte('\f')
			case 'r':
				b.WriteByte('\r')
			case '"', '\\':
				b.WriteByte(e)
			case 'u', 'U':
				n := 4
				if e == 'U' {
					n = 8
				}
				if p.pos+n > len(p.src) {
					return "", p.errorf("short unicode escape")
				}
				r, err := strconv.ParseUint(p.src[p.pos:p.pos+n], 16, 32)
				if err != nil || !utf8.ValidRune(rune(r)) {
					return "", p.errorf("bad unicode escape %q", p.src[p.pos:p.pos+n])
				}
				p.pos += n
				b.WriteRune(rune(r))
			default:
				return "", p.errorf("bad escape \\%c", e)
			}
		default:
			b.WriteByte(c)
		}
	}
}

// literalString reads a '...' string (no escapes).
func (p *tomlParser) literalString() (string, error) {
	p.pos++
	end := strings.IndexAny(p.src[p.pos:], "'\n")
	if end < 0 || p.src[p.pos+end] != '\'' {
		return "", p.errorf("unterminated string")
	}
	s := p.src[p.pos : p.pos+end]
	p.pos += end + 1
	return s, nil
}

var errNotString = errors.New("not a string")

// str returns the entry's value as a string.
func (e tomlEntry) str() (string, error) {
	s, ok := e.value.(string)
	if !ok {
		return "", fmt.Errorf("line %d: %s: %w", e.line, e.key, errNotString)
	}
	return s, nil
}
