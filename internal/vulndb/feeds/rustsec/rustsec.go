// Package rustsec imports the RustSec Advisory Database
// (https://github.com/rustsec/advisory-db) in its native form: Markdown
// files whose front matter is TOML in a ```toml fence, crates/NAME/*.md for
// crates and rust/NAME/*.md for the Rust toolchain.
package rustsec

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"github.com/BurntSushi/toml"

	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/customs-scanner/customs/internal/vulndb/cvss"
	"github.com/customs-scanner/customs/internal/vulndb/feeds/errlist"
	"github.com/customs-scanner/customs/internal/vulndb/feeds/feedio"
)

const (
	// Source is the vulndb.Advisory.Source of this feed.
	Source = "rustsec"
	// Ecosystem is the ecosystem of crate advisories (OSV's name).
	Ecosystem = "crates.io"
	// ToolchainEcosystem is the ecosystem of advisories on the Rust
	// toolchain itself (rust/: std, cargo, rustdoc); Package is that name.
	ToolchainEcosystem = "rust-toolchain"

	maxFileSize = 1 << 20
)

// Parse converts one advisory file. toolchain says it is from rust/ rather
// than crates/.
//
// The mapping:
//   - ID is [advisory] id, Aliases its aliases. Published is date,
//     Withdrawn withdrawn.
//   - Summary is the first Markdown heading ("# ..."); for an
//     informational advisory it is prefixed with the kind in brackets,
//     "[unmaintained] ", "[unsound] ", "[notice] ", so that a report shows
//     it is no vulnerability. Details is the Markdown after the heading.
//   - CVSS is the cvss vector with its base score computed
//     (internal/vulndb/cvss), Source "rustsec"; Severity its rating
//     (CVSS's NONE is NEGLIGIBLE).
//   - References: url (WEB), references (WEB), and the advisory's page on
//     rustsec.org (ADVISORY).
//   - One Affected for the package: a version is affected iff it matches
//     none of [versions] patched and unaffected (Cargo requirements; see
//     affectedRanges); with neither, Status is vulndb.StatusAffected (no
//     fix); when they cover every version, vulndb.StatusNotAffected.
//     StatusDetail lists [affected] os and arch ("os: windows; arch:
//     x86"). [affected] functions are not kept.
func Parse(b []byte, toolchain bool) (*vulndb.Advisory, error) {
	front, body, err := split(string(b))
	if err != nil {
		return nil, err
	}
	doc, err := parseTOML(front)
	if err != nil {
		return nil, err
	}
	adv, err := table(doc, "advisory")
	if err != nil {
		return nil, err
	}
	vers, err := table(doc, "versions")
	if err != nil {
		return nil, err
	}
	aff, err := table(doc, "affected")
	if err != nil {
		return nil, err
	}
	var f fields
	a := &vulndb.Advisory{
		ID:      f.str(adv, "id"),
		Aliases: f.strs(adv, "aliases"),
		Source:  Source,
	}
	pkg := f.str(adv, "package")
	date, withdrawn := f.str(adv, "date"), f.str(adv, "withdrawn")
	url, refs := f.str(adv, "url"), f.strs(adv, "references")
	vector, kind := f.str(adv, "cvss"), f.str(adv, "informational")
	patched, unaffected := f.strs(vers, "patched"), f.strs(vers, "unaffected")
	osList, archList := f.strs(aff, "os"), f.strs(aff, "arch")
	if f.err != nil {
		return nil, f.err
	}
	if a.ID == "" || pkg == "" {
		return nil, errors.New("[advisory] needs id and package")
	}
	if a.Published, err = parseDate(date); err != nil {
		return nil, fmt.Errorf("date: %w", err)
	}
	if a.Withdrawn, err = parseDate(withdrawn); err != nil {
		return nil, fmt.Errorf("withdrawn: %w", err)
	}
	a.Summary, a.Details = title(body)
	if kind != "" {
		a.Summary = strings.TrimSpace("[" + kind + "] " + a.Summary)
	}
	if vector != "" {
		c := vulndb.CVSS{Source: Source, Vector: vector}
		if v, err := cvss.Parse(vector); err == nil {
			c.Version, c.Score = v.Version(), v.BaseScore()
			a.Severity = v.Severity()
			if a.Severity == cvss.SeverityNone {
				a.Severity = vulndb.SeverityNegligible
			}
		} else {
			return nil, fmt.Errorf("cvss: %w", err)
		}
		a.CVSS = []vulndb.CVSS{c}
	}
	seen := map[string]bool{}
	for _, u := range append([]string{url}, refs...) {
		if u = strings.TrimSpace(u); u != "" && !seen[u] {
			seen[u] = true
			a.References = append(a.References, vulndb.Reference{Type: "WEB", URL: u})
		}
	}
	a.References = append(a.References, vulndb.Reference{Type: "ADVISORY", URL: "https://rustsec.org/advisories/" + a.ID + ".html"})

	af := vulndb.Affected{Ecosystem: Ecosystem, Package: pkg, Status: vulndb.StatusRanges}
	if toolchain {
		af.Ecosystem = ToolchainEcosystem
	}
	var detail []string
	if len(patched) == 0 && len(unaffected) == 0 {
		af.Status = vulndb.StatusAffected
	} else {
		ranges, none, err := affectedRanges(patched, unaffected)
		if err != nil {
			return nil, err
		}
		af.Ranges = ranges
		if none {
			af.Status = vulndb.StatusNotAffected
		}
	}
	if len(osList) > 0 {
		detail = append(detail, "os: "+strings.Join(osList, ", "))
	}
	if len(archList) > 0 {
		detail = append(detail, "arch: "+strings.Join(archList, ", "))
	}
	af.StatusDetail = strings.Join(detail, "; ")
	a.Affected = []vulndb.Affected{af}
	return a, nil
}

// split returns the TOML between the opening ```toml fence and the next
// ``` line, and the Markdown after it.
func split(s string) (front, body string, err error) {
	s = strings.TrimPrefix(s, "\ufeff")
	s = strings.TrimLeft(s, " \t\r\n")
	rest, ok := strings.CutPrefix(s, "```toml")
	if !ok {
		return "", "", errors.New("no ```toml front matter")
	}
	nl := strings.IndexByte(rest, '\n')
	if nl < 0 || strings.TrimSpace(rest[:nl]) != "" {
		return "", "", errors.New("no ```toml front matter")
	}
	rest = rest[nl+1:]
	for off := 0; off < len(rest); {
		end := strings.IndexByte(rest[off:], '\n')
		line := rest[off:]
		if end >= 0 {
			line = rest[off : off+end]
		}
		if strings.TrimRight(line, " \t\r") == "```" {
			after := ""
			if end >= 0 {
				after = rest[off+end+1:]
			}
			return rest[:off], after, nil
		}
		if end < 0 {
			break
		}
		off += end + 1
	}
	return "", "", errors.New("unterminated ```toml front matter")
}

// title returns the text of the first "# " heading and the Markdown after
// it; without a heading, "" and the whole body.
func title(body string) (string, string) {
	lines := strings.SplitAfter(body, "\n")
	for i, l := range lines {
		t := strings.TrimSpace(l)
		if h, ok := strings.CutPrefix(t, "# "); ok {
			return strings.TrimSpace(h), strings.TrimSpace(strings.Join(lines[i+1:], ""))
		}
		if t != "" {
			break
		}
	}
	return "", strings.TrimSpace(body)
}

var dateOnly = regexp.MustCompile(`^\d{4}-\d{2}-\d{2}$`)

func parseDate(s string) (time.Time, error) {
	if s == "" {
		return time.Time{}, nil
	}
	if !dateOnly.MatchString(s) {
		return time.Time{}, fmt.Errorf("want YYYY-MM-DD, got %q", s)
	}
	return time.Parse(time.DateOnly, s)
}

// table returns doc[name] as a table; a missing one is empty.
func table(doc map[string]any, name string) (map[string]any, error) {
	switch t := doc[name].(type) {
	case nil:
		return map[string]any{}, nil
	case map[string]any:
		return t, nil
	}
	return nil, fmt.Errorf("%s is not a table", name)
}

// fields reads typed values, keeping the first type error.
type fields struct{ err error }

func (f *fields) str(t map[string]any, key string) string {
	switch v := t[key].(type) {
	case nil:
		return ""
	case string:
		return strings.TrimSpace(v)
	}
	if f.err == nil {
		f.err = fmt.Errorf("%s: want a string, got %T", key, t[key])
	}
	return ""
}

func (f *fields) strs(t map[string]any, key string) []string {
	switch v := t[key].(type) {
	case nil:
		return nil
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			s, ok := x.(string)
			if !ok {
				if f.err == nil {
					f.err = fmt.Errorf("%s: want an array of strings, found %T", key, x)
				}
				return nil
			}
			out = append(out, strings.TrimSpace(s))
		}
		if len(out) == 0 {
			return nil
		}
		return out
	}
	if f.err == nil {
		f.err = fmt.Errorf("%s: want an array of strings, got %T", key, t[key])
	}
	return nil
}

var advisoryName = regexp.MustCompile(`^(RUSTSEC|CVE|GHSA)-`)

// Import reads the advisories under path (a checkout of the database, its
// crates/ or rust/ folder, or one file) and adds one advisory per file to
// sink. Files under a folder named "rust" two levels up (rust/std/x.md)
// are toolchain advisories. Markdown files not named like an advisory
// (RUSTSEC-, CVE-, GHSA-) and without front matter (README.md) are passed
// over. It returns the number added. A file that cannot be parsed is
// skipped and reported as a *errlist.FileError in the returned error
// (errors.Join'ed, at most 100 listed); an unreadable directory, a sink
// error or a cancelled ctx stop the import.
func Import(ctx context.Context, path string, sink vulndb.Sink) (int, error) {
	added := 0
	errs := errlist.List{Noun: "file errors"}
	fail := func(p string, err error) {
		errs.Add(&errlist.FileError{Path: p, Err: err})
	}
	isMarkdown := func(p string) bool { return strings.EqualFold(filepath.Ext(p), ".md") }
	err := feedio.Walk(ctx, path, isMarkdown, func(p string) error {
		b, err := feedio.ReadFile(p, maxFileSize)
		if err != nil {
			fail(p, err)
			return nil
		}
		abs, _ := filepath.Abs(p)
		toolchain := filepath.Base(filepath.Dir(filepath.Dir(abs))) == "rust"
		a, err := Parse(b, toolchain)
		if err != nil {
			if advisoryName.MatchString(filepath.Base(p)) || !strings.Contains(err.Error(), "front matter") {
				fail(p, err)
			}
			return nil
		}
		if err := sink.Add(ctx, a); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		added++
		return nil
	})
	if err != nil {
		return added, fmt.Errorf("import rustsec %s: %w", path, err)
	}
	return added, errs.Err()
}

// parseTOML decodes the front matter. Dates stay the strings RustSec
// writes; an error names the line.
func parseTOML(front string) (map[string]any, error) {
	doc := map[string]any{}
	if _, err := toml.Decode(front, &doc); err != nil {
		var pe toml.ParseError
		if errors.As(err, &pe) {
			return nil, fmt.Errorf("toml line %d: %s", pe.Position.Line, pe.Message)
		}
		return nil, fmt.Errorf("toml: %w", err)
	}
	return doc, nil
}
