package dpkg

import (
	"fmt"
	"strings"
)

// stanza is one paragraph of a deb822 control file (dpkg status), with field
// names folded to lower case. Continuation lines (Description, Conffiles)
// are checked but not kept: no field the extractor reads is multi-line, and
// dropping them keeps the work linear in the input.
type stanza struct {
	line   int // 1-based line of the first field
	fields map[string]string
	err    error // first syntax error in the paragraph, if any
}

func (s stanza) get(name string) string { return s.fields[name] }

// parseStanzas splits b into blank-line separated paragraphs. It tolerates
// CRLF line ends and never fails as a whole: a malformed line marks only its
// own paragraph as bad (stanza.err), and parsing resumes at the next one.
func parseStanzas(b []byte) []stanza {
	var out []stanza
	var cur *stanza
	var last string // field that continuation lines extend
	flush := func() {
		if cur != nil {
			out = append(out, *cur)
			cur = nil
		}
		last = ""
	}
	text := string(b)
	for n := 1; text != ""; n++ {
		var line string
		line, text, _ = strings.Cut(text, "\n")
		line = strings.TrimSuffix(line, "\r")
		if strings.TrimSpace(line) == "" {
			flush()
			continue
		}
		if cur == nil {
			cur = &stanza{line: n, fields: map[string]string{}}
		}
		if cur.err != nil {
			continue // skip the rest of a bad paragraph
		}
		if line[0] == ' ' || line[0] == '\t' {
			if last == "" {
				cur.err = fmt.Errorf("line %d: continuation line without a field", n)
				continue
			}
			continue
		}
		if line[0] == '#' {
			continue
		}
		name, value, ok := strings.Cut(line, ":")
		if !ok || name == "" || strings.ContainsAny(name, " \t") {
			cur.err = fmt.Errorf("line %d: want \"Field: value\", got %q", n, truncate(line, 40))
			continue
		}
		name = strings.ToLower(name)
		if _, dup := cur.fields[name]; dup {
			cur.err = fmt.Errorf("line %d: duplicate field %q", n, name)
			continue
		}
		cur.fields[name] = strings.TrimSpace(value)
		last = name
	}
	flush()
	return out
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
