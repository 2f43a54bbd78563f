package policy

import (
	"fmt"
	"io"
	"os"
	"path"
	"regexp"
	"strings"
	"time"

	"github.com/package-url/packageurl-go"
	"go.yaml.in/yaml/v3"

	"github.com/customs-scanner/customs/internal/report"
)

// Exception accepts the risk of one vulnerability, optionally only in some
// packages or paths, until an expiry date. See docs/policy.md.
type Exception struct {
	// ID is a vulnerability ID or one of its aliases.
	ID string
	// PURL, when set, limits the exception to packages with this PURL: with a
	// version it must match exactly (qualifiers ignored), without one any
	// version matches; ending in "/" it is a prefix (a namespace).
	PURL string
	// Path, when set, is a glob the finding's path must match ("**" crosses
	// directories).
	Path   string
	Reason string
	Owner  string
	// Expires is the last day (UTC) the exception applies; zero means never.
	Expires time.Time
	// Source is "file:line".
	Source string

	pathRE *regexp.Regexp
}

// ExpiresString is Expires as YYYY-MM-DD, or "" when it never expires.
func (e Exception) ExpiresString() string {
	if e.Expires.IsZero() {
		return ""
	}
	return e.Expires.Format(time.DateOnly)
}

// Expired reports whether the exception no longer applies at now: it
// applies through the whole of its expiry day, UTC.
func (e Exception) Expired(now time.Time) bool {
	return !e.Expires.IsZero() && !now.Before(e.Expires.AddDate(0, 0, 1))
}

// LoadExceptions reads an exceptions file (see ParseExceptions).
func LoadExceptions(file string) ([]Exception, error) {
	data, err := readFile(file)
	if err != nil {
		return nil, err
	}
	return ParseExceptions(file, data)
}

func readFile(file string) ([]byte, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxFileSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("%s: file is larger than %d bytes", file, maxFileSize)
	}
	return data, nil
}

// ParseExceptions parses an exceptions file:
//
//	exceptions:
//	  - id: CVE-2023-1234
//	    purl: pkg:deb/debian/openssl
//	    path: usr/lib/**
//	    reason: not reachable from our entrypoint
//	    owner: team-a@example.com
//	    expires: 2026-12-31
//
// id and reason are required. Unknown keys are errors naming their line.
func ParseExceptions(name string, data []byte) ([]Exception, error) {
	root, err := parseYAML(name, data)
	if err != nil {
		return nil, err
	}
	top, err := mapping(name, root, "the exceptions file", "exceptions")
	if err != nil {
		return nil, err
	}
	list := top["exceptions"]
	if list == nil {
		return nil, nil
	}
	if list.Kind != yaml.SequenceNode {
		return nil, fmt.Errorf("%s:%d:%d: exceptions must be a list", name, list.Line, list.Column)
	}
	out := make([]Exception, 0, len(list.Content))
	for _, item := range list.Content {
		m, err := mapping(name, item, "an exception", "id", "purl", "path", "reason", "owner", "expires")
		if err != nil {
			return nil, err
		}
		e := Exception{Source: fmt.Sprintf("%s:%d", name, item.Line)}
		for key, dst := range map[string]*string{"id": &e.ID, "purl": &e.PURL, "path": &e.Path, "reason": &e.Reason, "owner": &e.Owner} {
			if *dst, err = scalar(name, m[key], key); err != nil {
				return nil, err
			}
			*dst = strings.TrimSpace(*dst)
		}
		if e.ID == "" {
			return nil, fmt.Errorf("%s:%d:%d: exception has no id", name, item.Line, item.Column)
		}
		if e.Reason == "" {
			return nil, fmt.Errorf("%s:%d:%d: exception %s has no reason", name, item.Line, item.Column, e.ID)
		}
		if e.PURL != "" && !strings.HasSuffix(e.PURL, "/") {
			if _, err := packageurl.FromString(e.PURL); err != nil {
				return nil, fmt.Errorf("%s:%d:%d: exception %s: purl %q: %w", name, m["purl"].Line, m["purl"].Column, e.ID, e.PURL, err)
			}
		}
		if e.Path != "" {
			if e.pathRE, err = globRegexp(e.Path); err != nil {
				return nil, fmt.Errorf("%s:%d:%d: exception %s: path %q: %w", name, m["path"].Line, m["path"].Column, e.ID, e.Path, err)
			}
		}
		if n := m["expires"]; n != nil {
			s, err := scalar(name, n, "expires")
			if err != nil {
				return nil, err
			}
			if e.Expires, err = time.Parse(time.DateOnly, s); err != nil {
				return nil, fmt.Errorf("%s:%d:%d: exception %s: expires %q: want YYYY-MM-DD", name, n.Line, n.Column, e.ID, s)
			}
		}
		out = append(out, e)
	}
	return out, nil
}

// globRegexp turns a path glob into a regexp: "**" matches across "/",
// "*" and "?" do not; a leading "/" is ignored.
func globRegexp(glob string) (*regexp.Regexp, error) {
	if _, err := path.Match(strings.ReplaceAll(glob, "**", "*"), ""); err != nil {
		return nil, err
	}
	glob = strings.TrimPrefix(glob, "/")
	var b strings.Builder
	b.WriteString("^")
	for i := 0; i < len(glob); i++ {
		switch c := glob[i]; c {
		case '*':
			if i+1 < len(glob) && glob[i+1] == '*' {
				i++
				if i+1 < len(glob) && glob[i+1] == '/' {
					i++
					b.WriteString("(?:.*/)?")
				} else {
					b.WriteString(".*")
				}
			} else {
				b.WriteString("[^/]*")
			}
		case '?':
			b.WriteString("[^/]")
		case '[':
			j := strings.IndexByte(glob[i:], ']')
			if j < 0 {
				return nil, path.ErrBadPattern
			}
			class := glob[i+1 : i+j]
			if strings.HasPrefix(class, "!") {
				class = "^" + class[1:]
			}
			b.WriteString("[" + class + "]")
			i += j
		case '\\':
			if i+1 < len(glob) {
				i++
			}
			b.WriteString(regexp.QuoteMeta(string(glob[i])))
		default:
			b.WriteString(regexp.QuoteMeta(string(c)))
		}
	}
	b.WriteString("$")
	return regexp.Compile(b.String())
}

// Matches reports whether the exception covers f (ignoring expiry).
func (e Exception) Matches(f report.Finding) bool {
	if !matchesID(e.ID, f) {
		return false
	}
	if e.PURL != "" && !PURLMatches(e.PURL, f.PURL) {
		return false
	}
	if e.pathRE != nil && !e.pathRE.MatchString(strings.TrimPrefix(f.Path, "/")) {
		return false
	}
	return true
}

func matchesID(id string, f report.Finding) bool {
	if strings.EqualFold(id, f.VulnerabilityID) {
		return true
	}
	for _, a := range f.Aliases {
		if strings.EqualFold(id, a) {
			return true
		}
	}
	return false
}

// PURLMatches reports whether the package PURL got matches pattern: a PURL
// with a version matches that version, one without matches any version, one
// ending in "/" is a prefix. Qualifiers and subpaths are ignored.
func PURLMatches(pattern, got string) bool {
	if got == "" {
		return false
	}
	if strings.HasSuffix(pattern, "/") {
		return strings.HasPrefix(got, pattern)
	}
	p, err := packageurl.FromString(pattern)
	if err != nil {
		return false
	}
	g, err := packageurl.FromString(got)
	if err != nil {
		return false
	}
	if p.Type != g.Type || p.Namespace != g.Namespace || p.Name != g.Name {
		return false
	}
	return p.Version == "" || p.Version == g.Version
}

// ApplyExceptions moves the findings an unexpired exception covers from
// r.Findings to r.Suppressed and returns the exceptions that have expired.
func ApplyExceptions(r *report.Report, exs []Exception, now time.Time) []report.ExpiredException {
	var expired []report.ExpiredException
	var live []Exception
	for _, e := range exs {
		if e.Expired(now) {
			expired = append(expired, report.ExpiredException{ID: e.ID, PURL: e.PURL, Owner: e.Owner, Expires: e.ExpiresString(), Source: e.Source})
			continue
		}
		live = append(live, e)
	}
	kept := make([]report.Finding, 0, len(r.Findings))
	for _, f := range r.Findings {
		i := matchException(live, f)
		if i < 0 {
			kept = append(kept, f)
			continue
		}
		r.Suppressed = append(r.Suppressed, suppression(f, live[i]))
	}
	r.Findings = kept
	// Secrets and configuration findings obey the same file: an entry's id
	// is the secret rule or check ID, its path the secret's file.
	keptSecrets := r.Secrets[:0]
	for _, sec := range r.Secrets {
		f := sec.Finding()
		if i := matchException(live, f); i >= 0 {
			r.Suppressed = append(r.Suppressed, suppression(f, live[i]))
			continue
		}
		keptSecrets = append(keptSecrets, sec)
	}
	r.Secrets = keptSecrets
	keptChecks := r.Misconfigurations[:0]
	for _, m := range r.Misconfigurations {
		f := m.Finding()
		if i := matchException(live, f); i >= 0 {
			r.Suppressed = append(r.Suppressed, suppression(f, live[i]))
			continue
		}
		keptChecks = append(keptChecks, m)
	}
	r.Misconfigurations = keptChecks
	return expired
}

func suppression(f report.Finding, e Exception) report.Suppression {
	return report.Suppression{Finding: f, By: report.SuppressedByException, Reason: e.Reason,
		Owner: e.Owner, Expires: e.ExpiresString(), Source: e.Source}
}

func matchException(exs []Exception, f report.Finding) int {
	for i, e := range exs {
		if e.Matches(f) {
			return i
		}
	}
	return -1
}
