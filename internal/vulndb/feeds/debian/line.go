package debian

import (
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"time"
)

// lineKind says what one line of a tracker list is.
type lineKind int

const (
	lineSkip      lineKind = iota // blank, comment, NOTE:, TODO:, claims, STOP:
	lineCVEHeader                 // CVE-2023-1234 (description ...)
	lineAdvHeader                 // [28 Mar 2023] DSA-5380-1 firefox-esr - security update
	lineXref                      // {DSA-5400-1 CVE-2023-1234}
	linePackage                   // [bookworm] - openssl 3.0.8-1~deb12u1
	lineNotForUs                  // NOT-FOR-US: ...
	lineReserved                  // RESERVED
	lineRejected                  // REJECTED
)

// listLine is one parsed line.
type listLine struct {
	kind     lineKind
	indented bool

	// Headers.
	id          string
	description string
	date        time.Time // advisory headers
	pkg         string    // advisory headers: the package named after the id

	xrefs []string // lineXref
	note  pkgNote  // linePackage
}

// pkgNote is a package line: what one entry says about one source package
// in one release.
type pkgNote struct {
	release string // codename; "" for unstable
	pkg     string
	// version is the fixed version; empty when status is set.
	version string
	// status is the word in <>: unfixed, no-dsa, ignored, postponed,
	// end-of-life, not-affected, removed, undetermined, itp.
	status  string
	urgency string // unimportant, low, medium, high; "" when not given
	bugs    []int
}

// Name syntax, as the tracker's own parser (lib/python/bugs.py) checks it.
var (
	reCVEHeader = regexp.MustCompile(`^(CVE-\d{4}-(?:\d{4,}|XXXX))(?:\s+(.*?))?\s*$`)
	reAdvHeader = regexp.MustCompile(`^\[(\d{1,2} [A-Z][a-z]{2} \d{4})\]\s+((?:DSA|DLA|DTSA)-\d+(?:-\d+)?)(?:\s+(.*?))?\s*$`)
	rePackage   = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9:.+-]*$`)
	reVersion   = regexp.MustCompile(`^[A-Za-z0-9:.+~-]+$`)
	reRelease   = regexp.MustCompile(`^[a-z]+$`)
	reXrefEntry = regexp.MustCompile(`^(?:CVE-\d{4}-\d{4,}|VU#\d{6}|DSA-\d+(?:-\d+)?|DTSA-\d+-\d+|DLA-\d+-\d+|TEMP-\d+-[0-9A-F]+)$`)
	reBug       = regexp.MustCompile(`^bug #(\d{1,9})$`)
)

// specialStatuses are the words a package line may carry in <> instead of
// a version.
var specialStatuses = map[string]bool{
	"unfixed": true, "no-dsa": true, "ignored": true, "postponed": true,
	"end-of-life": true, "not-affected": true, "removed": true,
	"undetermined": true, "itp": true,
}

// parseLine parses one line of CVE/list, DSA/list or DLA/list (without its
// newline). Lines it does not need (NOTE:, TODO:, claims) are lineSkip; a
// line it cannot read is an error.
func parseLine(s string) (listLine, error) {
	s = strings.TrimRight(s, " \t\r")
	if s == "" || strings.HasPrefix(s, "--") {
		return listLine{kind: lineSkip}, nil
	}
	if s[0] == ' ' || s[0] == '\t' {
		l, err := parseIndented(strings.TrimLeft(s, " \t"))
		l.indented = true
		return l, err
	}
	switch {
	case strings.HasPrefix(s, "CVE-"):
		m := reCVEHeader.FindStringSubmatch(s)
		if m == nil {
			return listLine{}, fmt.Errorf("invalid CVE header %q", clip(s))
		}
		return listLine{kind: lineCVEHeader, id: m[1], description: unwrapDescription(m[2])}, nil
	case strings.HasPrefix(s, "["):
		m := reAdvHeader.FindStringSubmatch(s)
		if m == nil {
			return listLine{}, fmt.Errorf("invalid advisory header %q", clip(s))
		}
		date, err := time.Parse("2 Jan 2006", m[1])
		if err != nil {
			return listLine{}, fmt.Errorf("advisory header %q: date: %w", clip(s), err)
		}
		l := listLine{kind: lineAdvHeader, id: m[2], date: date, description: m[3]}
		if pkg, desc, ok := strings.Cut(m[3], " - "); ok {
			l.pkg = strings.TrimSpace(pkg)
			l.description = strings.TrimSpace(desc)
		}
		return l, nil
	case strings.HasPrefix(s, "begin claimed by"), strings.HasPrefix(s, "end claimed by"),
		strings.HasPrefix(s, "STOP:"):
		return listLine{kind: lineSkip}, nil
	}
	return listLine{}, fmt.Errorf("unexpected line %q", clip(s))
}

// parseIndented parses the body line of an entry, leading blanks removed.
func parseIndented(s string) (listLine, error) {
	switch {
	case strings.HasPrefix(s, "{"):
		inner, ok := strings.CutSuffix(s[1:], "}")
		if !ok {
			return listLine{}, fmt.Errorf("cross reference without closing brace %q", clip(s))
		}
		l := listLine{kind: lineXref}
		for _, x := range strings.Fields(inner) {
			if !reXrefEntry.MatchString(x) {
				return listLine{}, fmt.Errorf("invalid cross reference %q", clip(x))
			}
			l.xrefs = append(l.xrefs, x)
		}
		return l, nil
	case strings.HasPrefix(s, "[") || strings.HasPrefix(s, "-"):
		note, err := parsePackageLine(s)
		if err != nil {
			return listLine{}, err
		}
		return listLine{kind: linePackage, note: note}, nil
	case strings.HasPrefix(s, "NOT-FOR-US:"):
		return listLine{kind: lineNotForUs}, nil
	case s == "RESERVED" || s == "NOTE: reserved":
		return listLine{kind: lineReserved}, nil
	case s == "REJECTED" || s == "NOTE: rejected":
		return listLine{kind: lineRejected}, nil
	case strings.HasPrefix(s, "NOTE:"), strings.HasPrefix(s, "TODO:"):
		return listLine{kind: lineSkip}, nil
	}
	return listLine{}, fmt.Errorf("unexpected entry line %q", clip(s))
}

// parsePackageLine parses
//
//	[release] - package version-or-<status> (annotations)
//
// where [release] and the annotations are optional.
func parsePackageLine(s string) (pkgNote, error) {
	var n pkgNote
	orig := s
	if strings.HasPrefix(s, "[") {
		rel, rest, ok := strings.Cut(s[1:], "]")
		if !ok || !reRelease.MatchString(rel) {
			return n, fmt.Errorf("invalid release in package line %q", clip(orig))
		}
		n.release = rel
		s = strings.TrimLeft(rest, " \t")
	}
	rest, ok := strings.CutPrefix(s, "-")
	if !ok || rest == "" || (rest[0] != ' ' && rest[0] != '\t') {
		return n, fmt.Errorf("package line without \"- \": %q", clip(orig))
	}
	s = strings.TrimLeft(rest, " \t")

	// Package name.
	name := s
	if i := strings.IndexAny(s, " \t"); i >= 0 {
		name, s = s[:i], s[i:]
	} else {
		s = ""
	}
	if !rePackage.MatchString(name) {
		return n, fmt.Errorf("invalid package name in %q", clip(orig))
	}
	n.pkg = name
	s = strings.TrimLeft(s, " \t")

	// Version or <status>.
	switch {
	case strings.HasPrefix(s, "<"):
		st, after, ok := strings.Cut(s[1:], ">")
		if !ok || !specialStatuses[st] {
			return n, fmt.Errorf("invalid status in %q", clip(orig))
		}
		n.status = st
		s = strings.TrimLeft(after, " \t")
	case s != "" && s[0] != '(':
		v, after := s, ""
		if i := strings.IndexAny(s, " \t"); i >= 0 {
			v, after = s[:i], s[i:]
		}
		if !reVersion.MatchString(v) {
			return n, fmt.Errorf("invalid version in %q", clip(orig))
		}
		n.version = v
		s = strings.TrimLeft(after, " \t")
	}

	// Annotations.
	var ann string
	if s != "" {
		inner, ok := strings.CutPrefix(s, "(")
		if ok {
			inner, ok = strings.CutSuffix(inner, ")")
		}
		if !ok {
			return n, fmt.Errorf("unexpected text after the version in %q", clip(orig))
		}
		ann = inner
	}
	// The annotations of a version, <unfixed>, <undetermined> or <itp> are
	// "; "-separated bug numbers, the urgency and free text; the
	// parenthesis of <no-dsa>, <not-affected>, ... is free text only.
	switch n.status {
	case "", "unfixed", "undetermined", "itp":
		for _, a := range strings.Split(ann, ";") {
			a = strings.TrimSpace(a)
			if m := reBug.FindStringSubmatch(a); m != nil {
				b, err := strconv.Atoi(m[1])
				if err != nil {
					return n, fmt.Errorf("bug number in %q: %w", clip(orig), err)
				}
				n.bugs = append(n.bugs, b)
				continue
			}
			if sev, ok := severityOf(a); ok && sev != "" {
				n.urgency = a
			}
		}
	}
	if n.version == "" && n.status == "" {
		// The tracker reads a package line without version as unfixed.
		n.status = "unfixed"
	}
	return n, nil
}

// unwrapDescription strips the () or [] around a CVE header's description.
func unwrapDescription(d string) string {
	if len(d) >= 2 && ((d[0] == '(' && d[len(d)-1] == ')') || (d[0] == '[' && d[len(d)-1] == ']')) {
		return strings.TrimSpace(d[1 : len(d)-1])
	}
	return d
}

// clip shortens s for an error message.
func clip(s string) string {
	const max = 120
	if len(s) > max {
		return s[:max] + "..."
	}
	return s
}
