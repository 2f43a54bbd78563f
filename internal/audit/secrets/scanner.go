package secrets

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"math"
	"regexp"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"unicode/utf8"
)

// Match is one secret found in a piece of text. Snippet is the matched
// text with the secret redacted; the secret itself is never kept.
type Match struct {
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	Line     int    `json:"line"`
	Snippet  string `json:"snippet"`
}

// Scanner matches rules against contents. It is safe for concurrent use.
type Scanner struct {
	maxSize int64
	// id identifies the rules and the size limit (ID).
	id string
	// compiled compiles the rules on first use: a scan that takes every
	// layer's secrets and the audit from the cache needs only ID, and
	// compiling the rules' regexes was a millisecond of it.
	compiled func() *ruleSet
}

// ruleSet is what New's rules compile to.
type ruleSet struct {
	rules    []compiled
	keywords *keywords // of every rule
	// invalid holds the rules that could not compile, as errors.
	invalid []error
}

type compiled struct {
	Rule
	re         *regexp.Regexp
	words      []bool // by index in Scanner.keywords: a keyword of this rule
	allowRe    []*regexp.Regexp
	allowPaths []*regexp.Regexp
	extraLines int // lines after a keyword hit a match may reach
}

// DefaultMaxSize is the largest file Prepare scans.
const DefaultMaxSize = 1 << 20

// New returns the scanner of rules, which it compiles on first use. Rules
// that fail validation are left out and reported by Errors (LoadRules has
// validated its rules already).
func New(rules []Rule) *Scanner {
	rules = slices.Clone(rules)
	return &Scanner{
		maxSize:  DefaultMaxSize,
		id:       rulesID(rules, DefaultMaxSize),
		compiled: sync.OnceValue(func() *ruleSet { return compileRules(rules) }),
	}
}

func compileRules(rules []Rule) *ruleSet {
	s := &ruleSet{}
	var words [][]byte
	for _, r := range rules {
		c, err := compile(r)
		if err != nil {
			s.invalid = append(s.invalid, fmt.Errorf("secret rule %s: %w", r.ID, err))
			continue
		}
		c.extraLines = 1
		if strings.Contains(r.Regex, `\n`) || strings.Contains(r.Regex, "(?s") {
			c.extraLines = 64 // the match may span lines (a PEM body)
		}
		if c.Severity == "" {
			c.Severity = SeverityMedium
		}
		for _, k := range r.Keywords {
			words = append(words, bytes.ToLower([]byte(k)))
		}
		s.rules = append(s.rules, c)
	}
	s.keywords = newKeywords(words)
	for i := range s.rules {
		c := &s.rules[i]
		c.words = make([]bool, len(s.keywords.words))
		for _, k := range c.Keywords {
			c.words[s.keywords.index(bytes.ToLower([]byte(k)))] = true
		}
	}
	return s
}

// ID identifies what the scanner finds: its rules (as given to New) and
// its size limit. It is part of the cache key of a LayerResult, so results
// found with other rules (a --secret-rules file) are never served.
func (s *Scanner) ID() string { return s.id }

func rulesID(rules []Rule, maxSize int64) string {
	h := sha256.New()
	fmt.Fprintf(h, "%d\n", maxSize)
	for _, r := range rules {
		// Every field that decides a match; a built-in check is code,
		// which the build's identity in cache keys covers (its address
		// is no identity: it moves in a position-independent build).
		fmt.Fprintf(h, "%q %q %q %q %d %q %s %q %q %v\n", r.ID, r.Description, r.Severity, r.Regex, r.SecretGroup,
			r.Keywords, strconv.FormatFloat(r.Entropy, 'g', -1, 64), r.AllowRegexes, r.AllowPaths, r.check != nil)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// Errors returns the rules New left out.
func (s *Scanner) Errors() []error { return s.compiled().invalid }

// Severity returns the severity of rule id ("" if unknown).
func (s *Scanner) Severity(id string) string {
	for _, r := range s.compiled().rules {
		if r.ID == id {
			return r.Severity
		}
	}
	return ""
}

// IsBinary reports whether content looks like a binary file: a NUL byte in
// the first 8 KiB, or more than 10% invalid UTF-8 in it.
func IsBinary(content []byte) bool {
	head := content[:min(len(content), 8<<10)]
	if bytes.IndexByte(head, 0) >= 0 {
		return true
	}
	if utf8.Valid(head) {
		return false // the common case, checked fast
	}
	bad := 0
	for i := 0; i < len(head); {
		r, n := utf8.DecodeRune(head[i:])
		if r == utf8.RuneError && n == 1 {
			// A rune cut at the end of the window is not invalid.
			if len(head)-i < utf8.UTFMax && len(head) < len(content) {
				break
			}
			bad++
		}
		i += n
	}
	return bad*10 > len(head)
}

// Scan returns the secrets in content, sorted by line. path is used for
// the rules' path allow-lists only.
func (s *Scanner) Scan(path string, content []byte) []Match {
	rs := s.compiled()
	hits := rs.keywords.find(content, nil)
	if len(hits) == 0 {
		return nil
	}
	var out []Match
	var spans [][2]int // secret spans of specific (non-generic) rules
	for i := range rs.rules {
		r := &rs.rules[i]
		if allowedPath(r.allowPaths, path) {
			continue
		}
		// The regexes run only on the lines around keyword hits, not on
		// the whole file: most files that mention "password" once are
		// long.
		ws := windows(content, hits, r.words, r.extraLines)
		var assigns []int
		if r.assigned {
			var ok bool
			if assigns, ok = s.assignments(content, hits, r.words); !ok {
				assigns = nil // a keyword hit the cap: search every window
			}
		}
		found := 0
		for _, w := range ws {
			if assigns != nil && !within(assigns, w) && !foldsToASCII(content[w[0]:w[1]]) {
				continue // the regex needs an assignment in the window
			}
			for _, loc := range r.re.FindAllSubmatchIndex(content[w[0]:w[1]], 64-found) {
				for k := range loc {
					if loc[k] >= 0 {
						loc[k] += w[0]
					}
				}
				ss, se := loc[2*r.SecretGroup], loc[2*r.SecretGroup+1]
				if ss < 0 {
					continue
				}
				m, ok := r.accept(lines(content, loc[0], loc[1]), string(content[ss:se]))
				if !ok {
					continue
				}
				if r.ID == genericRule && overlaps(spans, ss, se) {
					continue // a specific rule already reports this secret
				}
				if r.ID != genericRule {
					spans = append(spans, [2]int{ss, se})
				}
				snippet := string(content[loc[0]:ss]) + Redact(m) + string(content[se:loc[1]])
				out = append(out, Match{Rule: r.ID, Severity: r.Severity, Line: 1 + bytes.Count(content[:ss], []byte{'\n'}), Snippet: shorten(snippet)})
				found++
			}
			if found >= 64 {
				break
			}
		}
	}
	sort.SliceStable(out, func(i, j int) bool {
		if out[i].Line != out[j].Line {
			return out[i].Line < out[j].Line
		}
		return out[i].Rule < out[j].Rule
	})
	return out
}

// assignments returns, in ascending order, where the hits of the words
// marked in words start that are followed by an optional quote, white
// space (as the regexp's \s) and '=' or ':', with a sentinel -1 first so
// that the slice is never nil. ok is false when one of those words hit
// maxKeywordHits: occurrences past the cap were not seen.
func (s *Scanner) assignments(content []byte, hits []keywordHit, words []bool) (at []int, ok bool) {
	at = []int{-1}
	var count []int
	if len(hits) >= maxKeywordHits {
		count = make([]int, len(words))
	}
	for _, h := range hits {
		if !words[h.word] {
			continue
		}
		if count != nil {
			if count[h.word]++; count[h.word] >= maxKeywordHits {
				return nil, false
			}
		}
		j := h.at + len(s.compiled().keywords.words[h.word])
		if j < len(content) && (content[j] == '"' || content[j] == '\'') {
			j++
		}
		for j < len(content) && isRegexpSpace(content[j]) {
			j++
		}
		if j < len(content) && (content[j] == '=' || content[j] == ':') {
			at = append(at, h.at)
		}
	}
	slices.Sort(at)
	return at, true
}

// foldsToASCII reports whether b holds one of the two runes that (?i)
// matches for ASCII letters, KELVIN SIGN for k and LATIN SMALL LETTER
// LONG S for s: a keyword written with them is no hit, but the regexp
// matches it.
func foldsToASCII(b []byte) bool {
	return bytes.Contains(b, []byte("\u212a")) || bytes.Contains(b, []byte("\u017f"))
}

func isRegexpSpace(c byte) bool {
	return c == ' ' || c == '\t' || c == '\n' || c == '\f' || c == '\r'
}

// within reports whether one of the positions in at (ascending) lies in
// the window w.
func within(at []int, w [2]int) bool {
	i, _ := slices.BinarySearch(at, w[0])
	return i < len(at) && at[i] < w[1]
}

// genericRule is the catch-all rule, which runs last and yields to the
// specific ones.
const genericRule = "generic-secret-assignment"

func overlaps(spans [][2]int, s, e int) bool {
	for _, sp := range spans {
		if s < sp[1] && sp[0] < e {
			return true
		}
	}
	return false
}

// lines returns the whole lines that content[s:e] touches.
func lines(content []byte, s, e int) []byte {
	s = bytes.LastIndexByte(content[:s], '\n') + 1
	if i := bytes.IndexByte(content[e:], '\n'); i >= 0 {
		e += i
	} else {
		e = len(content)
	}
	return content[s:e]
}

// accept applies the rule's filters to one match (the lines holding it);
// it returns the secret.
func (r *compiled) accept(match []byte, secret string) (string, bool) {
	for _, a := range r.allowRe {
		if a.Match(match) {
			return "", false
		}
	}
	if r.Entropy > 0 && Entropy(secret) < r.Entropy {
		return "", false
	}
	if r.check != nil && !r.check(secret) {
		return "", false
	}
	return secret, true
}

func allowedPath(res []*regexp.Regexp, path string) bool {
	for _, re := range res {
		if re.MatchString(path) {
			return true
		}
	}
	return false
}

// shorten puts a snippet on one line of at most 120 bytes.
func shorten(s string) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > 120 {
		s = strings.ToValidUTF8(s[:120], "") + "..."
	}
	return strings.ToValidUTF8(s, "?")
}

// Redact keeps the first few characters of a secret (at most 4, at most a
// third of it, none of a secret shorter than 8) and replaces the rest with "****".
func Redact(secret string) string {
	n := 0
	if len(secret) >= 8 {
		n = min(4, len(secret)/3)
	}
	return strings.ToValidUTF8(secret[:n], "") + "****"
}

// Entropy is the Shannon entropy of s in bits per byte.
func Entropy(s string) float64 {
	if s == "" {
		return 0
	}
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	h := 0.0
	n := float64(len(s))
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}

// jwtHeader accepts a JWT whose header decodes to a JSON object with "alg".
func jwtHeader(tok string) bool {
	head, _, _ := strings.Cut(tok, ".")
	b, err := base64.RawURLEncoding.DecodeString(strings.TrimRight(head, "="))
	if err != nil {
		return false
	}
	var h map[string]any
	if json.Unmarshal(b, &h) != nil {
		return false
	}
	_, ok := h["alg"]
	return ok
}

// maxKeywordHits bounds the occurrences of one keyword looked at per file.
const maxKeywordHits = 1024

// windows returns the merged byte ranges of content, whole lines from the
// line of each hit of a rule's keyword (words) to extra lines after it,
// where the rule's regex can match. No hit, no window.
func windows(content []byte, hits []keywordHit, words []bool, extra int) [][2]int {
	var ws [][2]int
	for _, h := range hits {
		if !words[h.word] {
			continue
		}
		start := bytes.LastIndexByte(content[:h.at], '\n') + 1
		end := h.at
		for l := 0; l <= extra && end < len(content); l++ {
			j := bytes.IndexByte(content[end:], '\n')
			if j < 0 {
				end = len(content)
				break
			}
			end += j + 1
		}
		ws = append(ws, [2]int{start, end})
	}
	if len(ws) < 2 {
		return ws
	}
	sort.Slice(ws, func(i, j int) bool { return ws[i][0] < ws[j][0] })
	merged := ws[:1]
	for _, w := range ws[1:] {
		last := &merged[len(merged)-1]
		if w[0] <= last[1] {
			last[1] = max(last[1], w[1])
			continue
		}
		merged = append(merged, w)
	}
	return merged
}
