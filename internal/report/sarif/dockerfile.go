package sarif

import (
	"bufio"
	"bytes"
	"strings"
)

// Instruction is one Dockerfile instruction: its keyword in upper case,
// its arguments with line continuations joined and spaces collapsed, and
// the 1-based line it starts on.
type Instruction struct {
	Cmd  string
	Args string
	Line int
}

// maxDockerfile bounds how much of a Dockerfile is read.
const maxDockerfile = 4 << 20

// ParseDockerfile splits a Dockerfile into instructions. It is lenient:
// it never fails, skips comments and blank lines, joins continuation lines
// (backslash, or the escape directive's character) and skips heredoc
// bodies. Only the first 4 MiB are read.
func ParseDockerfile(data []byte) []Instruction {
	if len(data) > maxDockerfile {
		data = data[:maxDockerfile]
	}
	escape := byte('\\')
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64*1024), maxDockerfile)
	var (
		out       []Instruction
		cur       *Instruction
		parts     []string
		heredoc   string
		line      int
		directive = true
	)
	flush := func() {
		if cur != nil {
			cur.Args = strings.Join(strings.Fields(strings.Join(parts, " ")), " ")
			out = append(out, *cur)
		}
		cur, parts = nil, nil
	}
	for sc.Scan() {
		line++
		text := sc.Text()
		if heredoc != "" {
			if strings.TrimSpace(text) == heredoc {
				heredoc = ""
			}
			continue
		}
		trim := strings.TrimSpace(text)
		if strings.HasPrefix(trim, "#") {
			if directive {
				if k, v, ok := strings.Cut(strings.TrimSpace(trim[1:]), "="); ok && strings.EqualFold(strings.TrimSpace(k), "escape") {
					if v = strings.TrimSpace(v); len(v) == 1 {
						escape = v[0]
					}
				}
			}
			continue
		}
		if trim == "" {
			continue
		}
		directive = false
		cont := strings.HasSuffix(trim, string(escape))
		if cont {
			trim = strings.TrimSpace(trim[:len(trim)-1])
		}
		if cur == nil {
			cmd, args, _ := strings.Cut(trim, " ")
			cur = &Instruction{Cmd: strings.ToUpper(cmd), Line: line}
			trim = args
		}
		parts = append(parts, trim)
		if i := strings.Index(trim, "<<"); i >= 0 && !cont {
			heredoc = heredocEnd(trim[i+2:])
		}
		if !cont {
			flush()
		}
	}
	flush()
	return out
}

// heredocEnd returns the terminator word of a heredoc opener ("<<EOF",
// "<<-'EOF'"), or "" when there is none.
func heredocEnd(s string) string {
	s = strings.TrimPrefix(s, "-")
	w, _, _ := strings.Cut(s, " ")
	w = strings.Trim(w, `"'`)
	if w == "" || strings.ContainsAny(w, "<>|&;") {
		return ""
	}
	return w
}

// splitCreatedBy turns an image history created_by into an instruction
// keyword and its arguments. It knows the classic builder forms
// ("/bin/sh -c #(nop)  CMD [...]", "/bin/sh -c apk add ...", "|2 A=1 B=2
// /bin/sh -c ...") and BuildKit's ("RUN /bin/sh -c make # buildkit",
// "COPY . /src # buildkit").
func splitCreatedBy(s string) (cmd, args string) {
	s = strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(s), "# buildkit"))
	if strings.HasPrefix(s, "|") {
		// "|N k=v ..." build args before a RUN: drop them.
		if i := strings.Index(s, "/bin/sh -c "); i >= 0 {
			s = s[i:]
		}
	}
	if rest, ok := strings.CutPrefix(s, "/bin/sh -c #(nop)"); ok {
		cmd, args, _ = strings.Cut(strings.TrimSpace(rest), " ")
		return strings.ToUpper(cmd), strings.Join(strings.Fields(args), " ")
	}
	if rest, ok := strings.CutPrefix(s, "/bin/sh -c "); ok {
		return "RUN", strings.Join(strings.Fields(rest), " ")
	}
	cmd, args, _ = strings.Cut(s, " ")
	args = strings.TrimPrefix(strings.TrimSpace(args), "/bin/sh -c ")
	return strings.ToUpper(cmd), strings.Join(strings.Fields(args), " ")
}

// lineFor returns the line of the instruction that created a layer: the
// instruction whose keyword and arguments match createdBy, else the last
// FROM (the layer came with the base image), else line 1.
func lineFor(ins []Instruction, createdBy string) int {
	if createdBy != "" {
		cmd, args := splitCreatedBy(createdBy)
		if cmd != "" && args != "" {
			for _, in := range ins {
				if in.Cmd != cmd {
					continue
				}
				a := strings.TrimPrefix(in.Args, "/bin/sh -c ")
				if a == args || (len(args) >= 8 && strings.Contains(a, args)) || (len(a) >= 8 && strings.Contains(args, a)) {
					return in.Line
				}
			}
		}
	}
	from := 0
	for _, in := range ins {
		if in.Cmd == "FROM" {
			from = in.Line
		}
	}
	if from > 0 {
		return from
	}
	return 1
}
