package ubuntu

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/customs-scanner/customs/internal/vulndb/cvss"
)

// maxFileSize bounds one tracker file; the largest real one (a kernel CVE
// listing every linux-* flavour) is about 40 KB.
const maxFileSize = 4 << 20

// record is one tracker file, as written: global fields, then the package
// lines in file order.
type record struct {
	fields map[string]string // Candidate, PublicDate, Priority ... (multi-line values joined by "\n")
	// priorities are the Priority_PKG and Priority_PKG_RELEASE overrides,
	// keyed "PKG" and "PKG_RELEASE".
	priorities map[string]string
	lines      []statusLine
}

// statusLine is one "RELEASE_PKG: STATUS (NOTE)" line.
type statusLine struct {
	release, pkg, status, note string
	line                       int
}

// multiLine names the fields whose value continues on indented lines.
var multiLine = map[string]bool{
	"References": true, "Description": true, "Ubuntu-Description": true,
	"Notes": true, "Bugs": true, "CVSS": true, "Mitigation": true,
}

// Parse converts one tracker file (active/CVE-2020-1967 ...) to an
// advisory: ID the Candidate, Source "ubuntu-tracker", Details the
// Description, Published the PublicDate, References from References and
// Bugs, CVSS from the CVSS field, and one Affected per (release, package)
// line whose release EcosystemOf keeps:
//
//	released (V)                   -> ranges, fixed at V
//	needed, active                 -> affected
//	pending (V)                    -> affected, detail "pending" (V is the coming fix)
//	needs-triage                   -> affected, detail "needs-triage"
//	deferred                       -> will-not-fix, detail "deferred"
//	ignored (end of life ...)      -> end-of-life (note names end of life or of standard support)
//	ignored (other note)           -> will-not-fix, detail "ignored"
//	not-affected                   -> not-affected
//	DNE                            -> no record (the package does not exist there)
//
// A "released" line without a version gives no record (the tracker writes
// it only for long-gone releases). Severity is the package's priority for
// that release (Priority_PKG_RELEASE, then Priority_PKG, then Priority):
// negligible, low, medium, high, critical to the vulndb severities,
// untriaged to "".
//
// The advisory is nil when no line gave a record. The error lists the lines
// that could not be used (unknown status); they are skipped, and the
// advisory holds the rest. A file without a candidate ID is an error with a
// nil advisory.
func Parse(data []byte) (*vulndb.Advisory, error) {
	rec, err := parseRecord(data)
	if err != nil {
		return nil, err
	}
	return rec.advisory()
}

func parseRecord(data []byte) (*record, error) {
	rec := &record{fields: map[string]string{}, priorities: map[string]string{}}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(make([]byte, 0, 64<<10), maxFileSize)
	var (
		cur        string // the multi-line field being read, "" for none
		blankAfter bool   // a blank line followed the last value line of cur
		n          int
	)
	for sc.Scan() {
		n++
		line := strings.TrimRight(sc.Text(), " \t\r")
		if line == "" {
			if cur != "" && rec.fields[cur] != "" {
				blankAfter = true
			}
			continue
		}
		if line[0] == ' ' || line[0] == '\t' {
			// A continuation line; after a package's Patches_ it lists
			// patch URLs, which are not kept.
			if cur == "" {
				continue
			}
			v := strings.TrimSpace(line)
			switch old := rec.fields[cur]; {
			case old == "":
				rec.fields[cur] = v
			case blankAfter:
				rec.fields[cur] = old + "\n\n" + v
			default:
				rec.fields[cur] = old + "\n" + v
			}
			blankAfter = false
			continue
		}
		cur, blankAfter = "", false
		if line[0] == '#' {
			continue
		}
		key, value, ok := strings.Cut(line, ":")
		if !ok || key == "" || strings.ContainsAny(key, " \t") {
			// Not a field ("-- Tags_xen: ..." in a few old files).
			continue
		}
		value = strings.TrimSpace(value)
		first, rest, hasUnderscore := strings.Cut(key, "_")
		switch {
		case !hasUnderscore && isUpper(key[0]):
			rec.fields[key] = value
			if multiLine[key] {
				cur = key
			}
		case hasUnderscore && isUpper(key[0]):
			// Patches_PKG (its indented lines are patch URLs),
			// Priority_PKG[_RELEASE], Tags_PKG.
			if first == "Priority" && rest != "" {
				rec.priorities[rest] = value
			}
		case hasUnderscore:
			if rest == "" {
				continue
			}
			status, note := splitStatus(value)
			rec.lines = append(rec.lines, statusLine{release: first, pkg: rest, status: status, note: note, line: n})
		}
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("read tracker record: %w", err)
	}
	return rec, nil
}

func isUpper(b byte) bool { return 'A' <= b && b <= 'Z' }

// splitStatus splits "released (1.2-3)", "released [1.2-3]" or
// "needed" into the status word and the note without its brackets.
func splitStatus(v string) (status, note string) {
	status, note, _ = strings.Cut(v, " ")
	note = strings.TrimSpace(note)
	if len(note) >= 2 && (note[0] == '(' && note[len(note)-1] == ')' || note[0] == '[' && note[len(note)-1] == ']') {
		note = strings.TrimSpace(note[1 : len(note)-1])
	}
	return status, note
}

// cveRE matches an ID the tracker uses as Candidate: CVE-YYYY-NNNN, and the
// few non-CVE candidates it tracks.
var cveRE = regexp.MustCompile(`^[A-Z][A-Z0-9]*-[0-9A-Za-z][0-9A-Za-z.-]*$`)

func (rec *record) advisory() (*vulndb.Advisory, error) {
	id := rec.fields["Candidate"]
	if id == "" {
		return nil, errors.New("no Candidate field")
	}
	if !cveRE.MatchString(id) {
		return nil, fmt.Errorf("bad Candidate %q", id)
	}
	adv := &vulndb.Advisory{
		ID:       id,
		Source:   Source,
		Summary:  rec.fields["Ubuntu-Description"],
		Details:  rec.fields["Description"],
		Severity: severityOf(rec.fields["Priority"]),
	}
	adv.Published = parseDate(rec.fields["PublicDate"])
	adv.References = references(rec.fields["References"], rec.fields["Bugs"])
	adv.CVSS = parseCVSS(rec.fields["CVSS"])

	var bad []error
	seen := map[[2]string]bool{}
	for _, l := range rec.lines {
		eco, ok := EcosystemOf(l.release)
		if !ok {
			continue
		}
		aff, ok, err := l.affected(eco)
		if err != nil {
			bad = append(bad, fmt.Errorf("%s line %d: %w", id, l.line, err))
		}
		if !ok {
			continue
		}
		key := [2]string{eco, l.pkg}
		if seen[key] {
			bad = append(bad, fmt.Errorf("%s line %d: second line for %s_%s, ignored", id, l.line, l.release, l.pkg))
			continue
		}
		seen[key] = true
		aff.Severity = rec.priority(l.pkg, l.release)
		adv.Affected = append(adv.Affected, aff)
	}
	slices.SortFunc(adv.Affected, func(a, b vulndb.Affected) int {
		if c := strings.Compare(a.Package, b.Package); c != 0 {
			return c
		}
		return strings.Compare(a.Ecosystem, b.Ecosystem)
	})
	err := errors.Join(bad...)
	if len(adv.Affected) == 0 {
		return nil, err
	}
	return adv, err
}

// priority is the severity of pkg in release.
func (rec *record) priority(pkg, release string) string {
	if p, ok := rec.priorities[pkg+"_"+release]; ok {
		return severityOf(p)
	}
	if p, ok := rec.priorities[pkg]; ok {
		return severityOf(p)
	}
	return severityOf(rec.fields["Priority"])
}

// affected maps one status line; see Parse.
func (l statusLine) affected(eco string) (vulndb.Affected, bool, error) {
	aff := vulndb.Affected{Ecosystem: eco, Package: l.pkg}
	switch l.status {
	case "released":
		if l.note == "" || strings.ContainsAny(l.note, " ,") {
			return aff, false, nil
		}
		aff.Status = vulndb.StatusRanges
		aff.Ranges = []vulndb.Range{{Fixed: l.note}}
	case "needed", "active":
		aff.Status = vulndb.StatusAffected
	case "pending":
		aff.Status, aff.StatusDetail = vulndb.StatusAffected, "pending"
	case "needs-triage":
		aff.Status, aff.StatusDetail = vulndb.StatusAffected, "needs-triage"
	case "deferred":
		aff.Status, aff.StatusDetail = vulndb.StatusWontFix, "deferred"
	case "ignored":
		if endOfLife(l.note) {
			aff.Status = vulndb.StatusEndOfLife
		} else {
			aff.Status, aff.StatusDetail = vulndb.StatusWontFix, "ignored"
		}
	case "not-affected":
		aff.Status = vulndb.StatusNotAffected
	case "DNE":
		return aff, false, nil
	default:
		return aff, false, fmt.Errorf("%s_%s: unknown status %q", l.release, l.pkg, l.status)
	}
	return aff, true, nil
}

// endOfLife tells whether an "ignored" note says the release (or its
// standard support) ended: "end of life", "reached end-of-life", "end of
// standard support", "out of standard support", "was needed now
// end-of-life".
func endOfLife(note string) bool {
	n := strings.ToLower(note)
	return strings.Contains(n, "end of life") || strings.Contains(n, "end-of-life") ||
		strings.Contains(n, "standard support")
}

// severityOf maps a tracker priority ("medium", "low (requires ...)") to a
// vulndb severity; "untriaged" and unknown words give "".
func severityOf(p string) string {
	w, _, _ := strings.Cut(strings.TrimSpace(p), " ")
	switch strings.ToLower(strings.TrimSpace(w)) {
	case "negligible":
		return vulndb.SeverityNegligible
	case "low":
		return vulndb.SeverityLow
	case "medium":
		return vulndb.SeverityMedium
	case "high":
		return vulndb.SeverityHigh
	case "critical":
		return vulndb.SeverityCritical
	}
	return ""
}

// parseDate reads a PublicDate: "2020-06-18 21:29:00 UTC", "2018-06-08",
// "2014-03-11 14:55:00 CEST" (a zone abbreviation Go does not know is read
// as UTC), "unknown" (zero).
func parseDate(s string) time.Time {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-01-02 15:04:05 MST", "2006-01-02 15:04:05 -0700", "2006-01-02 15:04:05", "2006-01-02"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC()
		}
	}
	return time.Time{}
}

// references turns the References and Bugs fields into references: the
// first word of each line ("URL (branch)" keeps the URL). Ubuntu Security
// Notice links are typed ADVISORY, bug links REPORT, the rest WEB.
func references(refs, bugs string) []vulndb.Reference {
	var out []vulndb.Reference
	seen := map[string]bool{}
	add := func(text, typ string) {
		for _, l := range strings.Split(text, "\n") {
			u, _, _ := strings.Cut(strings.TrimSpace(l), " ")
			if !strings.Contains(u, "://") || seen[u] {
				continue
			}
			seen[u] = true
			t := typ
			if t == "WEB" && (strings.Contains(u, "usn.ubuntu.com/") || strings.Contains(u, "ubuntu.com/security/notices/")) {
				t = "ADVISORY"
			}
			out = append(out, vulndb.Reference{Type: t, URL: u})
		}
	}
	add(refs, "WEB")
	add(bugs, "REPORT")
	return out
}

// parseCVSS reads the CVSS field: one "SOURCE: VECTOR" line per score, the
// vector optionally followed by "[7.5 HIGH]" as newer trackers write it.
// Version 2 vectors ("AV:N/AC:L/Au:N/...") have no prefix. Score is the
// one the line states, else the vector's score computed by package cvss
// (0 for a vector it rejects).
func parseCVSS(field string) []vulndb.CVSS {
	var out []vulndb.CVSS
	for _, l := range strings.Split(field, "\n") {
		src, rest, ok := strings.Cut(strings.TrimSpace(l), ":")
		if !ok || src == "" || strings.ContainsAny(src, " \t") {
			continue
		}
		vector, tail, _ := strings.Cut(strings.TrimSpace(rest), " ")
		c := vulndb.CVSS{Source: src, Vector: vector}
		switch {
		case strings.HasPrefix(vector, "CVSS:"):
			v, _, _ := strings.Cut(strings.TrimPrefix(vector, "CVSS:"), "/")
			c.Version = v
		case strings.HasPrefix(vector, "AV:"):
			c.Version = "2.0"
		default:
			continue
		}
		if tail = strings.TrimSpace(tail); strings.HasPrefix(tail, "[") {
			s, _, _ := strings.Cut(strings.TrimPrefix(tail, "["), " ")
			if f, err := strconv.ParseFloat(strings.TrimSuffix(s, "]"), 64); err == nil && f >= 0 && f <= 10 {
				c.Score = f
			}
		}
		if c.Score == 0 {
			// Score the vector where the line does not; a vector
			// cvss cannot parse is kept as written, unscored.
			if v, err := cvss.Parse(vector); err == nil {
				c.Score = v.Score()
			}
		}
		if !slices.Contains(out, c) {
			out = append(out, c)
		}
	}
	return out
}
