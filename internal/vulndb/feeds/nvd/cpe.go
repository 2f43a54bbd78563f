package nvd

import (
	"strings"

	"github.com/customs-scanner/customs/internal/vulndb"
)

// cpeFields splits a CPE 2.3 formatted string ("cpe:2.3:a:vendor:product:
// version:...") at the colons that are not escaped by a backslash. It
// returns nil when s is not a CPE 2.3 formatted string with at least the
// part, vendor, product and version.
func cpeFields(s string) []string {
	if !strings.HasPrefix(s, "cpe:2.3:") {
		return nil
	}
	var fields []string
	start := 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case ':':
			fields = append(fields, s[start:i])
			start = i + 1
		}
	}
	fields = append(fields, s[start:])
	if len(fields) < 6 || fields[3] == "" || fields[4] == "" {
		return nil
	}
	return fields
}

// unescape removes CPE 2.3 backslash quoting ("1\.0\+b" -> "1.0+b").
func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		if s[i] == '\\' && i+1 < len(s) {
			i++
		}
		b.WriteByte(s[i])
	}
	return b.String()
}

// affected turns the vulnerable CPE match criteria of the configurations
// into one Affected each (duplicates dropped):
//
//   - Package is "<vendor>:<product>" from the criteria, escaped as written
//     there; CPEs is [criteria]. Hardware criteria (part "h") are skipped:
//     no container holds them.
//   - Ranges: versionStartIncluding -> Introduced, versionEndExcluding ->
//     Fixed, versionEndIncluding -> LastAffected. vulndb.Range has no
//     exclusive lower bound, so versionStartExcluding X becomes Introduced X
//     (X itself is over-reported) and StatusDetail "versionStartExcluding X"
//     says so, for a matcher that wants to be exact.
//   - Without bounds, a criteria naming a version ("...:xz:5.6.0:...")
//     gives Versions [that version, unescaped]; "*" (any) or "-" (not
//     applicable) give Status vulndb.StatusAffected: every version.
func affected(configs []configuration) []vulndb.Affected {
	var out []vulndb.Affected
	seen := map[cpeMatch]bool{}
	for _, c := range configs {
		if c.Negate {
			continue
		}
		for _, n := range c.Nodes {
			if n.Negate {
				continue
			}
			for _, m := range n.CPEMatch {
				if !m.Vulnerable || seen[m] {
					continue
				}
				seen[m] = true
				if a, ok := matchAffected(m); ok {
					out = append(out, a)
				}
			}
		}
	}
	return out
}

func matchAffected(m cpeMatch) (vulndb.Affected, bool) {
	f := cpeFields(m.Criteria)
	if f == nil || f[2] == "h" {
		return vulndb.Affected{}, false
	}
	a := vulndb.Affected{
		Ecosystem: Ecosystem,
		Package:   f[3] + ":" + f[4],
		Status:    vulndb.StatusRanges,
		CPEs:      []string{m.Criteria},
	}
	r := vulndb.Range{
		Introduced:   m.VersionStartIncluding,
		Fixed:        m.VersionEndExcluding,
		LastAffected: m.VersionEndIncluding,
	}
	if m.VersionStartExcluding != "" {
		if r.Introduced == "" {
			r.Introduced = m.VersionStartExcluding
		}
		a.StatusDetail = "versionStartExcluding " + m.VersionStartExcluding
	}
	switch version := f[5]; {
	case r != vulndb.Range{}:
		a.Ranges = []vulndb.Range{r}
	case version == "*" || version == "-" || version == "":
		a.Status = vulndb.StatusAffected
	default:
		a.Versions = []string{unescape(version)}
	}
	return a, true
}
