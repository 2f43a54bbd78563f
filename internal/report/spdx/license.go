package spdx

import (
	_ "embed"
	"slices"
	"strings"
	"sync"

	"github.com/spdx/tools-golang/spdx/v2/v2_3"
)

// licenseListVersion is the SPDX license list licenses.txt comes from.
const licenseListVersion = "3.28"

//go:embed licenses.txt
var licenseList string

// licenseIDs maps a lower-cased SPDX license or exception id to its
// canonical spelling, built on first use so commands that write no SBOM
// do not pay for it.
var licenseIDs = sync.OnceValue(func() map[string]string {
	m := map[string]string{}
	for _, l := range strings.Split(licenseList, "\n") {
		if l = strings.TrimSpace(l); l != "" && !strings.HasPrefix(l, "#") {
			m[strings.ToLower(l)] = l
		}
	}
	return m
})

// LicenseID returns the canonical spelling of an SPDX license list id
// (license or exception, matched case-insensitively), and whether s is one.
func LicenseID(s string) (string, bool) {
	id, ok := licenseIDs()[strings.ToLower(s)]
	return id, ok
}

// licenses turns the license strings packages declare into SPDX license
// expressions, collecting the non-SPDX ones as LicenseRef- entries.
type licenses struct {
	refs map[string]string // LicenseRef id -> original text
}

func newLicenses() *licenses { return &licenses{refs: map[string]string{}} }

// expression is the SPDX expression for the strings a package declares:
// each string is kept when it is a valid expression of known ids
// ("MIT", "GPL-2.0-only OR MIT"), a space-separated list of known ids
// becomes their AND (Alpine's convention), and anything else becomes a
// LicenseRef- carrying the original text. Several strings are ANDed.
func (l *licenses) expression(decl []string) string {
	var parts []string
	for _, d := range decl {
		d = strings.TrimSpace(d)
		if d == "" {
			continue
		}
		e := l.one(d)
		if len(decl) > 1 && strings.Contains(e, " OR ") {
			e = "(" + e + ")"
		}
		parts = append(parts, e)
	}
	if len(parts) == 0 {
		return noAssertion
	}
	return strings.Join(slices.Compact(parts), " AND ")
}

func (l *licenses) one(d string) string {
	toks := strings.Fields(strings.NewReplacer("(", " ( ", ")", " ) ").Replace(d))
	if plain := strings.Fields(d); len(plain) > 1 && !strings.ContainsAny(d, "()") && !hasOperator(plain) {
		// A list without operators: each item on its own, ANDed.
		out := make([]string, 0, len(plain))
		for _, t := range plain {
			out = append(out, l.one(t))
		}
		return strings.Join(out, " AND ")
	}
	ids := 0
	out := make([]string, 0, len(toks))
	for _, t := range toks {
		switch u := strings.ToUpper(t); u {
		case "AND", "OR", "WITH":
			out = append(out, u)
			continue
		case "(", ")":
			out = append(out, t)
			continue
		}
		id, plus := strings.CutSuffix(t, "+")
		c, ok := LicenseID(id)
		if !ok {
			return l.ref(d)
		}
		if plus {
			c += "+"
		}
		ids++
		out = append(out, c)
	}
	if ids == 0 || !wellFormed(out) {
		return l.ref(d)
	}
	return strings.ReplaceAll(strings.ReplaceAll(strings.Join(out, " "), "( ", "("), " )", ")")
}

// wellFormed checks that operators and operands alternate and parentheses balance.
func wellFormed(toks []string) bool {
	depth, wantOperand := 0, true
	for _, t := range toks {
		switch t {
		case "(":
			if !wantOperand {
				return false
			}
			depth++
		case ")":
			if wantOperand || depth == 0 {
				return false
			}
			depth--
		case "AND", "OR", "WITH":
			if wantOperand {
				return false
			}
			wantOperand = true
		default:
			if !wantOperand {
				return false
			}
			wantOperand = false
		}
	}
	return depth == 0 && !wantOperand
}

func (l *licenses) ref(text string) string {
	id := "LicenseRef-" + sanitize(strings.ReplaceAll(text, "+", "-plus"))
	l.refs[id] = text
	return id
}

// others lists the LicenseRef- entries, sorted.
func (l *licenses) others() []*v2_3.OtherLicense {
	ids := make([]string, 0, len(l.refs))
	for id := range l.refs {
		ids = append(ids, id)
	}
	slices.Sort(ids)
	out := make([]*v2_3.OtherLicense, 0, len(ids))
	for _, id := range ids {
		out = append(out, &v2_3.OtherLicense{
			LicenseIdentifier: id,
			ExtractedText:     l.refs[id],
			LicenseName:       l.refs[id],
			LicenseComment:    "declared by the package metadata; not an SPDX license list id",
		})
	}
	return out
}

func hasOperator(toks []string) bool {
	for _, t := range toks {
		switch strings.ToUpper(t) {
		case "AND", "OR", "WITH":
			return true
		}
	}
	return false
}
