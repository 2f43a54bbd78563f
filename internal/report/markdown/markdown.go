// Package markdown renders a short report summary for a pull-request
// comment: counts by severity, the secrets, the fixable findings worst
// first, the rest folded in a <details> block, and the failed
// configuration checks.
package markdown

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/vulndb"
)

// DefaultLimit is how many fixable findings the main table shows.
const DefaultLimit = 50

// MaxFolded caps the rows of the folded block, so a comment stays under
// GitHub's 65536-character limit.
const MaxFolded = 200

// Encoder renders GitHub-flavoured Markdown. Limit caps the main table
// (0 means DefaultLimit); the findings past it go into the folded block.
type Encoder struct {
	Limit int
}

var severities = []string{"CRITICAL", "HIGH", "MEDIUM", "LOW", "NEGLIGIBLE", "UNKNOWN"}

// Encode writes r to w; a report of customs audit (with Targets) is
// rendered by the workloads' checks.
func (e Encoder) Encode(w io.Writer, r *report.Report) error {
	limit := e.Limit
	if limit <= 0 {
		limit = DefaultLimit
	}
	if len(r.Targets) > 0 {
		return writeAudit(w, r, limit)
	}
	var fixable, rest []report.Finding
	pkgs := map[string]bool{}
	counts := map[string]int{}
	for _, f := range r.Findings {
		if f.Status == report.StatusNotAffected {
			continue
		}
		pkgs[f.PackageID] = true
		counts[norm(f.Severity)]++
		if f.Status == report.StatusFixAvailable {
			fixable = append(fixable, f)
		} else {
			rest = append(rest, f)
		}
	}
	sortFindings(fixable)
	sortFindings(rest)
	if len(fixable) > limit {
		rest = append(slices.Clone(fixable[limit:]), rest...)
		fixable = fixable[:limit]
	}
	total := len(fixable) + len(rest)

	var b strings.Builder
	fmt.Fprintf(&b, "### customs: %s\n\n", cell(r.Target.Ref))
	switch {
	case total == 0 && r.DB == nil:
		// An SBOM, or a scan with --skip-db or without the vuln scanner.
		fmt.Fprintf(&b, "%s; not checked for vulnerabilities (no vulnerability DB was used).\n", plural(len(r.Packages), "package"))
	case total == 0:
		fmt.Fprintf(&b, "No vulnerabilities found in %s.\n", plural(len(r.Packages), "package"))
	default:
		var parts []string
		for _, s := range severities {
			if n := counts[s]; n > 0 {
				parts = append(parts, fmt.Sprintf("%s **%d**", s, n))
			}
		}
		nfix := 0
		for _, f := range r.Findings {
			if f.Status == report.StatusFixAvailable {
				nfix++
			}
		}
		fmt.Fprintf(&b, "**%s** in %d of %s: %s. %d with a fix.\n", plural(total, "vulnerability"), len(pkgs), plural(len(r.Packages), "package"), strings.Join(parts, " · "), nfix)
	}
	if len(r.Secrets) > 0 {
		fmt.Fprintf(&b, "\n**%s**: %s.\n", plural(len(r.Secrets), "secret"), bySeverity(len(r.Secrets), func(i int) string { return r.Secrets[i].Severity }))
	}
	if len(r.Misconfigurations) > 0 {
		fmt.Fprintf(&b, "\n**%s**: %s.\n", plural(len(r.Misconfigurations), "misconfiguration"), bySeverity(len(r.Misconfigurations), func(i int) string { return r.Misconfigurations[i].Severity }))
	}
	secretsTable(&b, r.Secrets, limit)
	if len(fixable) > 0 {
		fmt.Fprintf(&b, "\n#### Fixable\n\n")
		table(&b, fixable)
	}
	if len(rest) > 0 {
		word := "findings"
		if len(rest) == 1 {
			word = "finding"
		}
		fmt.Fprintf(&b, "\n<details><summary>%d more %s (no fix yet, or beyond the first %d)</summary>\n\n", len(rest), word, limit)
		shown := rest[:min(len(rest), MaxFolded)]
		table(&b, shown)
		if n := len(rest) - len(shown); n > 0 {
			fmt.Fprintf(&b, "\n…and %d more: see the full report (`-o json`).\n", n)
		}
		b.WriteString("\n</details>\n")
	}
	misconfigTable(&b, r.Misconfigurations, limit)
	_, err := io.WriteString(w, b.String())
	return err
}

// bySeverity is "CRITICAL **1** · LOW **2**" for n items whose severities
// sev gives.
func bySeverity(n int, sev func(int) string) string {
	counts := map[string]int{}
	for i := range n {
		counts[norm(sev(i))]++
	}
	var parts []string
	for _, s := range severities {
		if c := counts[s]; c > 0 {
			parts = append(parts, fmt.Sprintf("%s **%d**", s, c))
		}
	}
	return strings.Join(parts, " · ")
}

// secretsTable lists the secrets worst first, at most limit: where each
// is, the redacted match, and whether a later layer deleted it (it is
// still in the image's layer then).
func secretsTable(b *strings.Builder, secrets []report.Secret, limit int) {
	if len(secrets) == 0 {
		return
	}
	ss := slices.Clone(secrets)
	slices.SortStableFunc(ss, func(a, b report.Secret) int {
		if c := rank(b.Severity) - rank(a.Severity); c != 0 {
			return c
		}
		if c := strings.Compare(a.Path, b.Path); c != 0 {
			return c
		}
		return a.Line - b.Line
	})
	b.WriteString("\n#### Secrets\n\n| Severity | Rule | Where | Match | Layer |\n|---|---|---|---|---|\n")
	for _, s := range ss[:min(len(ss), limit)] {
		where := s.Path
		if s.Source == "file" || s.Source == "" {
			where = "/" + strings.TrimPrefix(s.Path, "/")
		}
		if s.Line > 0 {
			where += fmt.Sprintf(":%d", s.Line)
		}
		layer := report.ShortDigest(s.Layer)
		if s.CreatedBy != "" {
			layer += " `" + strings.ReplaceAll(clip(strings.TrimSpace(s.CreatedBy), 50), "`", "'") + "`"
		}
		if !s.StillPresent {
			layer += " (deleted by a later layer, still in this one)"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", norm(s.Severity), cell(s.Rule), cell(where), cell(s.Match), strings.ReplaceAll(layer, "|", `\|`))
	}
	if n := len(ss) - limit; n > 0 {
		fmt.Fprintf(b, "\n…and %d more: see the full report (`-o json`).\n", n)
	}
}

// misconfigTable lists the failed configuration checks worst first, at
// most limit.
func misconfigTable(b *strings.Builder, ms []report.Misconfiguration, limit int) {
	if len(ms) == 0 {
		return
	}
	ms = slices.Clone(ms)
	slices.SortStableFunc(ms, func(a, b report.Misconfiguration) int {
		if c := rank(b.Severity) - rank(a.Severity); c != 0 {
			return c
		}
		return strings.Compare(a.ID, b.ID)
	})
	b.WriteString("\n#### Misconfigurations\n\n| Severity | Check | Title | Evidence | Remediation |\n|---|---|---|---|---|\n")
	for _, m := range ms[:min(len(ms), limit)] {
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s |\n", norm(m.Severity), cell(m.ID), cell(m.Title), cell(clip(strings.Join(m.Evidence, "; "), 200)), cell(clip(m.Remediation, 200)))
	}
	if n := len(ms) - limit; n > 0 {
		fmt.Fprintf(b, "\n…and %d more: see the full report (`-o json`).\n", n)
	}
}

func table(b *strings.Builder, fs []report.Finding) {
	b.WriteString("| Severity | Vulnerability | Package | Installed | Fixed in | Layer |\n|---|---|---|---|---|---|\n")
	for _, f := range fs {
		id := cell(f.VulnerabilityID)
		if u := advisoryURL(f.VulnerabilityID); u != "" {
			id = "[" + id + "](" + u + ")"
		}
		if f.KEV != nil {
			id += " (KEV)"
		}
		fixed := f.FixedVersion
		if fixed == "" {
			fixed = f.Status
			if f.StatusDetail != "" {
				fixed += " (" + f.StatusDetail + ")"
			}
		}
		layer := report.ShortDigest(f.Layer)
		if f.CreatedBy != "" {
			layer += " `" + strings.ReplaceAll(clip(strings.TrimSpace(f.CreatedBy), 50), "`", "'") + "`"
		}
		fmt.Fprintf(b, "| %s | %s | %s | %s | %s | %s |\n", norm(f.Severity), id, cell(f.PackageName), cell(f.PackageVersion), cell(fixed), strings.ReplaceAll(layer, "|", `\|`))
	}
}

// sortFindings orders worst first: severity, highest CVSS, ID, package.
func sortFindings(fs []report.Finding) {
	slices.SortStableFunc(fs, func(a, b report.Finding) int {
		if c := rank(b.Severity) - rank(a.Severity); c != 0 {
			return c
		}
		if sa, sb := score(a), score(b); sa != sb {
			if sa > sb {
				return -1
			}
			return 1
		}
		if c := strings.Compare(a.VulnerabilityID, b.VulnerabilityID); c != 0 {
			return c
		}
		return strings.Compare(a.PackageName, b.PackageName)
	})
}

func score(f report.Finding) float64 {
	s := 0.0
	for _, c := range f.CVSS {
		s = max(s, c.Score)
	}
	return s
}

func norm(s string) string {
	s = strings.ToUpper(s)
	if slices.Contains(severities, s) {
		return s
	}
	return "UNKNOWN"
}

func rank(s string) int {
	r, _ := vulndb.SeverityRank(norm(s))
	return r
}

func advisoryURL(id string) string {
	switch {
	case strings.HasPrefix(id, "CVE-"):
		return "https://nvd.nist.gov/vuln/detail/" + id
	case strings.HasPrefix(id, "GHSA-"):
		return "https://github.com/advisories/" + id
	}
	return ""
}

// cell escapes text for a table cell.
func cell(s string) string {
	return strings.NewReplacer("|", `\|`, "<", "&lt;", ">", "&gt;", "*", `\*`, "_", `\_`, "`", "'", "\n", " ").Replace(s)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return report.CutUTF8(s, n-3) + "..."
}

func plural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	if strings.HasSuffix(word, "y") {
		return fmt.Sprintf("%d %sies", n, strings.TrimSuffix(word, "y"))
	}
	return fmt.Sprintf("%d %ss", n, word)
}
