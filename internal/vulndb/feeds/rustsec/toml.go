package rustsec

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"unicode/utf8"
)

// The TOML front matter of RustSec advisories uses a small part of TOML
// (https://toml.io/en/v1.0.0): [table] and [a.b] headers, bare, quoted and
// dotted keys, basic and literal strings (single- and multi-line), arrays
// (across lines, with comments and a trailing comma), inline tables,
// booleans, integers, floats and dates (kept as their text). parseTOML reads
// that part into map[string]any (values: string, bool, int64, float64,
// []any, map[string]any) and refuses the rest (arrays of tables) with an
// error that says where.

const maxDepth = 32 // nesting of arrays and inline tables

type tomlParser struct {
	s     string
	i     int
	depth int
}

type tomlError struct {
	line int
	msg  string
}

func (e *tomlError) Error() string { return fmt.Sprintf("toml line %d: %s", e.line, e.msg) }

func (p *tomlParser) errorf(format string, args ...any) error {
	return &tomlError{line: 1 + strings.Count(p.s[:min(p.i, len(p.s))], "\n"), msg: fmt.Sprintf(format, args...)}
}

func parseTOML(s string) (map[string]any, error) {
	p := &tomlParser{s: s}
	root := map[string]any{}
	cur := root
	defined := map[string]bool{} // table headers seen
	for {
		p.skipBlank(true)
		if p.i >= len(p.s) {
			return root, nil
		}
		if p.s[p.i] == '[' {
			if strings.HasPrefix(p.s[p.i:], "[[") {
				return nil, p.errorf("arrays of tables are not supported")
			}
			p.i++
			p.skipBlank(false)
			keys, err := p.keyPath()
			if err != nil {
				return nil, err
			}
			p.skipBlank(false)
			if p.i >= len(p.s) || p.s[p.i] != ']' {
				return nil, p.errorf("want ] after table name")
			}
			p.i++
			name := strings.Join(keys, "\x00")
			if defined[name] {
				return nil, p.errorf("table [%s] defined twice", strings.Join(keys, "."))
			}
			defined[name] = true
			if cur, err = p.table(root, keys); err != nil {
				return nil, err
			}
		} else {
			keys, err := p.keyPath()
			if err != nil {
				return nil, err
			}
			p.skipBlank(false)
			if p.i >= len(p.s) || p.s[p.i] != '=' {
				return nil, p.errorf("want = after key")
			}
			p.i++
			p.skipBlank(false)
			v, err := p.value()
			if err != nil {
				return nil, err
			}
			if err := p.set(cur, keys, v); err != nil {
				return nil, err
			}
		}
		if err := p.endOfLine(); err != nil {
			return nil, err
		}
	}
}

// table returns the table at keys under t, creating missing ones.
func (p *tomlParser) table(t map[string]any, keys []string) (map[string]any, error) {
	for _, k := range keys {
		switch v := t[k].(type) {
		case nil:
			n := map[string]any{}
			t[k] = n
			t = n
		case map[string]any:
			t = v
		default:
			return nil, p.errorf("key %q is not a table", k)
		}
	}
	return t, nil
}

func (p *tomlParser) set(t map[string]any, keys []string, v any) error {
	t, err := p.table(t, keys[:len(keys)-1])
	if err != nil {
		return err
	}
	k := keys[len(keys)-1]
	if _, ok := t[k]; ok {
		return p.errorf("key %q defined twice", k)
	}
	t[k] = v
	return nil
}

// skipBlank skips spaces, tabs and comments, and newlines too if nl.
func (p *tomlParser) skipBlank(nl bool) {
	for p.i < len(p.s) {
		switch c := p.s[p.i]; {
		case c == ' ' || c == '\t':
			p.i++
		case c == '#':
			for p.i < len(p.s) && p.s[p.i] != '\n' {
				p.i++
			}
		case nl && (c == '\n' || c == '\r'):
			p.i++
		default:
			return
		}
	}
}

func (p *tomlParser) endOfLine() error {
	p.skipBlank(false)
	if p.i < len(p.s) && p.s[p.i] == '\r' {
		p.i++
	}
	if p.i < len(p.s) && p.s[p.i] != '\n' {
		return p.errorf("unexpected %q after value", p.s[p.i])
	}
	return nil
}

func isBare(c byte) bool {
	return c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '-'
}

// keyPath reads a key: bare or quoted parts joined by dots.
func (p *tomlParser) keyPath() ([]string, error) {
	var keys []string
	for {
		p.skipBlank(false)
		if p.i >= len(p.s) {
			return nil, p.errorf("want a key")
		}
		switch c := p.s[p.i]; {
		case c == '"' || c == '\'':
			if strings.HasPrefix(p.s[p.i:], `"""`) || strings.HasPrefix(p.s[p.i:], "'''") {
				return nil, p.errorf("multi-line string as a key")
			}
			k, err := p.str()
			if err != nil {
				return nil, err
			}
			keys = append(keys, k)
		case isBare(c):
			j := p.i
			for p.i < len(p.s) && isBare(p.s[p.i]) {
				p.i++
			}
			keys = append(keys, p.s[j:p.i])
		default:
			return nil, p.errorf("want a key, found %q", c)
		}
		p.skipBlank(false)
		if p.i >= len(p.s) || p.s[p.i] != '.' {
			return keys, nil
		}
		p.i++
	}
}

var (
	datePattern   = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}([Tt ]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})?)?$`)
	timePattern   = regexp.MustCompile(`^\d{2}:\d{2}:\d{2}(\.\d+)?$`)
	numberPattern = regexp.MustCompile(`^[+-]?(\d[\d_]*)(\.\d[\d_]*)?([eE][+-]?\d+)?$`)
)

func (p *tomlParser) value() (any, error) {
	if p.i >= len(p.s) {
		return nil, p.errorf("want a value")
	}
	switch c := p.s[p.i]; c {
	case '"', '\'':
		return p.str()
	case '[':
		return p.array()
	case '{':
		return p.inlineTable()
	}
	j := p.i
	for p.i < len(p.s) && (isBare(p.s[p.i]) || strings.IndexByte("+.:", p.s[p.i]) >= 0) {
		p.i++
	}
	// A date and a time may be separated by one space.
	if p.i+1 < len(p.s) && p.s[p.i] == ' ' && datePattern.MatchString(p.s[j:p.i]) && isBare(p.s[p.i+1]) {
		k := p.i + 1
		for k < len(p.s) && (isBare(p.s[k]) || strings.IndexByte("+.:", p.s[k]) >= 0) {
			k++
		}
		if datePattern.MatchString(p.s[j:k]) {
			p.i = k
		}
	}
	tok := p.s[j:p.i]
	switch {
	case tok == "true":
		return true, nil
	case tok == "false":
		return false, nil
	case datePattern.MatchString(tok) || timePattern.MatchString(tok):
		return tok, nil
	case numberPattern.MatchString(tok):
		clean := strings.ReplaceAll(tok, "_", "")
		if n, err := strconv.ParseInt(clean, 10, 64); err == nil {
			return n, nil
		}
		if f, err := strconv.ParseFloat(clean, 64); err == nil {
			return f, nil
		}
	}
	if tok == "" {
		return nil, p.errorf("want a value, found %q", p.s[p.i])
	}
	return nil, p.errorf("bad value %q", tok)
}

func (p *tomlParser) array() (any, error) {
	if p.depth++; p.depth > maxDepth {
		return nil, p.errorf("nested deeper than %d", maxDepth)
	}
	defer func() { p.depth-- }()
	p.i++ // [
	out := []any{}
	for {
		p.skipBlank(true)
		if p.i >= len(p.s) {
			return nil, p.errorf("unterminated array")
		}
		if p.s[p.i] == ']' {
			p.i++
			return out, nil
		}
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		out = append(out, v)
		p.skipBlank(true)
		if p.i < len(p.s) && p.s[p.i] == ',' {
			p.i++
		} else if p.i < len(p.s) && p.s[p.i] != ']' {
			return nil, p.errorf("want , or ] in array")
		}
	}
}

func (p *tomlParser) inlineTable() (any, error) {
	if p.depth++; p.depth > maxDepth {
		return nil, p.errorf("nested deeper than %d", maxDepth)
	}
	defer func() { p.depth-- }()
	p.i++ // {
	out := map[string]any{}
	p.skipBlank(false)
	if p.i < len(p.s) && p.s[p.i] == '}' {
		p.i++
		return out, nil
	}
	for {
		keys, err := p.keyPath()
		if err != nil {
			return nil, err
		}
		p.skipBlank(false)
		if p.i >= len(p.s) || p.s[p.i] != '=' {
			return nil, p.errorf("want = in inline table")
		}
		p.i++
		p.skipBlank(false)
		v, err := p.value()
		if err != nil {
			return nil, err
		}
		if err := p.set(out, keys, v); err != nil {
			return nil, err
		}
		p.skipBlank(false)
		if p.i >= len(p.s) {
			return nil, p.errorf("unterminated inline table")
		}
		switch p.s[p.i] {
		case ',':
			p.i++
		case '}':
			p.i++
			return out, nil
		default:
			return nil, p.errorf("want , or } in inline table")
		}
	}
}

// str reads a basic or literal string, single- or multi-line.
func (p *tomlParser) str() (string, error) {
	q := p.s[p.i]
	multi := strings.HasPrefix(p.s[p.i:], strings.Repeat(string(q), 3))
	if multi {
		p.i += 3
		if strings.HasPrefix(p.s[p.i:], "\r\n") { // a newline right after the opening is trimmed
			p.i += 2
		} else if strings.HasPrefix(p.s[p.i:], "\n") {
			p.i++
		}
	} else {
		p.i++
	}
	var b strings.Builder
	for {
		if p.i >= len(p.s) {
			return "", p.errorf("unterminated string")
		}
		c := p.s[p.i]
		switch {
		case c == q && (!multi || strings.HasPrefix(p.s[p.i:], strings.Repeat(string(q), 3))):
			if multi {
				p.i += 3
				// Up to two more quotes belong to the string ("""a"""").
				for k := 0; k < 2 && p.i < len(p.s) && p.s[p.i] == q; k++ {
					b.WriteByte(q)
					p.i++
				}
			} else {
				p.i++
			}
			if !utf8.ValidString(b.String()) {
				return "", p.errorf("string is not UTF-8")
			}
			return b.String(), nil
		case c == '\n' && !multi:
			return "", p.errorf("newline in string")
		case c == '\\' && q == '"':
			if err := p.escape(&b, multi); err != nil {
				return "", err
			}
		default:
			b.WriteByte(c)
			p.i++
		}
	}
}

func (p *tomlParser) escape(b *strings.Builder, multi bool) error {
	p.i++ // backslash
	if p.i >= len(p.s) {
		return p.errorf("unterminated string")
	}
	c := p.s[p.i]
	p.i++
	switch c {
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
	case '"':
		b.WriteByte('"')
	case '\\':
		b.WriteByte('\\')
	case 'u', 'U':
		n := 4
		if c == 'U' {
			n = 8
		}
		if p.i+n > len(p.s) {
			return p.errorf("short \\%c escape", c)
		}
		r, err := strconv.ParseUint(p.s[p.i:p.i+n], 16, 32)
		if err != nil || !utf8.ValidRune(rune(r)) {
			return p.errorf("bad \\%c escape", c)
		}
		b.WriteRune(rune(r))
		p.i += n
	case ' ', '\t', '\r', '\n':
		if !multi {
			return p.errorf("bad escape \\%q", c)
		}
		// A line-ending backslash trims the white space that follows.
		p.i--
		for p.i < len(p.s) && strings.IndexByte(" \t\r\n", p.s[p.i]) >= 0 {
			p.i++
		}
	default:
		return p.errorf("bad escape \\%c", c)
	}
	return nil
}
