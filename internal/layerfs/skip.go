package layerfs

import (
	"fmt"
	"path"
	"strings"
)

// SkipRule passes over the paths of a walk that match Pattern: nothing
// under them is recorded or read, and Layer.Skipped says so.
type SkipRule struct {
	// Pattern is a slash-separated glob relative to the root, such as
	// "var/lib/docker", "**/node_modules" or "**/*.pem": path.Match syntax
	// within each element, and "**" as a whole element matching any number
	// of elements, none included. A leading "/" or "./" is ignored, so
	// "/etc/shadow" and "etc/shadow" are the same rule.
	Pattern string
	// Dir makes the rule select directories, passed over with everything
	// in them; otherwise it selects anything that is not a directory.
	Dir bool
	// Reason says why, in Layer.Skipped: "--skip-dirs", "container runtime storage", ...
	Reason string
}

// Skipped is a path a walk passed over: a directory with all it holds, or
// one file.
type Skipped struct {
	Path   string
	Dir    bool
	Reason string
}

// CheckPattern reports a malformed skip pattern, so a user's typo fails
// before the walk instead of matching nothing.
func CheckPattern(p string) error {
	if strings.TrimLeft(p, "/.") == "" {
		return fmt.Errorf("pattern %q matches the whole tree", p)
	}
	for _, el := range strings.Split(cleanPattern(p), "/") {
		if _, err := path.Match(el, ""); err != nil {
			return fmt.Errorf("pattern %q: %w", p, err)
		}
	}
	return nil
}

// Literal quotes p so that it matches itself only, for a rule that names
// one path that may hold glob characters (a mount point).
func Literal(p string) string {
	var b strings.Builder
	for _, r := range p {
		if strings.ContainsRune(`*?[\`, r) {
			b.WriteByte('\\')
		}
		b.WriteRune(r)
	}
	return b.String()
}

// SkipSignature identifies rules for a cache key: layers analysed under
// other rules hold other entries.
func SkipSignature(rules []SkipRule) string {
	var b strings.Builder
	for _, r := range rules {
		fmt.Fprintf(&b, "%t:%q;", r.Dir, cleanPattern(r.Pattern))
	}
	return b.String()
}

func cleanPattern(p string) string {
	for {
		switch {
		case strings.HasPrefix(p, "/"):
			p = p[1:]
		case strings.HasPrefix(p, "./"):
			p = p[2:]
		default:
			return strings.TrimSuffix(p, "/")
		}
	}
}

// skipper matches paths against compiled rules.
type skipper struct {
	dirs, files []compiledRule
	// seen memoises directory decisions of a tar walk, whose entries come
	// in any order and may lack their parent directories.
	seen map[string]bool
}

type compiledRule struct {
	elems  []string
	reason string
}

func newSkipper(rules []SkipRule) *skipper {
	if len(rules) == 0 {
		return nil
	}
	s := &skipper{seen: map[string]bool{}}
	for _, r := range rules {
		c := compiledRule{elems: strings.Split(cleanPattern(r.Pattern), "/"), reason: r.Reason}
		if r.Dir {
			s.dirs = append(s.dirs, c)
		} else {
			s.files = append(s.files, c)
		}
	}
	return s
}

// match returns the reason p is skipped, and false when it is not; p is a
// clean root-relative path.
func (s *skipper) match(p string, dir bool) (string, bool) {
	rules := s.files
	if dir {
		rules = s.dirs
	}
	if len(rules) == 0 {
		return "", false
	}
	elems := strings.Split(p, "/")
	for _, r := range rules {
		if matchElems(r.elems, elems) {
			return r.reason, true
		}
	}
	return "", false
}

// matchElems matches path elements against pattern elements, "**" taking
// any number of them.
func matchElems(pat, p []string) bool {
	for len(pat) > 0 {
		if pat[0] == "**" {
			for len(pat) > 0 && pat[0] == "**" {
				pat = pat[1:]
			}
			if len(pat) == 0 {
				return true
			}
			for i := range p {
				if matchElems(pat, p[i:]) {
					return true
				}
			}
			return false
		}
		if len(p) == 0 {
			return false
		}
		if ok, _ := path.Match(pat[0], p[0]); !ok {
			return false
		}
		pat, p = pat[1:], p[1:]
	}
	return len(p) == 0
}

// entry decides one tar entry: skip it when a directory above it (or it,
// for a directory) matches a directory rule, or it matches a file rule.
// Each skipped directory and file is recorded once in l.
func (s *skipper) entry(l *Layer, p string, dir bool) bool {
	for i := 0; i < len(p); i++ {
		if p[i] == '/' && s.dirSkipped(l, p[:i]) {
			return true
		}
	}
	if dir {
		return s.dirSkipped(l, p)
	}
	if reason, ok := s.match(p, false); ok {
		l.Skipped = append(l.Skipped, Skipped{Path: p, Reason: reason})
		return true
	}
	return false
}

func (s *skipper) dirSkipped(l *Layer, d string) bool {
	if skip, ok := s.seen[d]; ok {
		return skip
	}
	reason, skip := s.match(d, true)
	s.seen[d] = skip
	if skip {
		l.Skipped = append(l.Skipped, Skipped{Path: d, Dir: true, Reason: reason})
	}
	return skip
}
