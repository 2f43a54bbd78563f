// Package table renders a report for people: findings grouped by package,
// severities coloured only on a terminal, and a closing summary line.
package table

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/vulndb"
)

// Encoder renders the table. Color enables ANSI colours (set it only when
// the output is a terminal).
type Encoder struct {
	Color bool
}

var colors = map[string]string{
	vulndb.SeverityCritical: "\x1b[1;31m",
	vulndb.SeverityHigh:     "\x1b[31m",
	vulndb.SeverityMedium:   "\x1b[33m",
	vulndb.SeverityLow:      "\x1b[34m",
}

// Encode writes r to w.
func (e Encoder) Encode(w io.Writer, r *report.Report) error {
	var b strings.Builder
	title := r.Target.Ref
	if r.Target.Kind != "" {
		title += " (" + r.Target.Kind + ")"
	}
	if r.OS != nil {
		name := r.OS.Name
		if name == "" {
			name = strings.TrimSpace(r.OS.Family + " " + r.OS.Version)
		}
		title += " · " + name
	}
	fmt.Fprintf(&b, "%s\n", title)
	if len(r.Target.Layers) > 0 {
		fmt.Fprintf(&b, "%s, %s\n", plural(len(r.Target.Layers), "layer"), plural(len(r.Packages), "package"))
	} else {
		fmt.Fprintf(&b, "%s\n", plural(len(r.Packages), "package"))
	}
	b.WriteString("\n")

	groups := group(r.Findings)
	rows := make([][4]string, 0, len(r.Findings))
	var width [4]int
	for _, g := range groups {
		for _, f := range g {
			row := [4]string{f.VulnerabilityID, f.Severity, f.Status, f.FixedVersion}
			if f.StatusDetail != "" {
				row[2] += " (" + f.StatusDetail + ")"
			}
			if row[3] == "" {
				row[3] = "-"
			}
			for i, c := range row {
				width[i] = max(width[i], len(c))
			}
			rows = append(rows, row)
		}
	}
	owners := ownersByID(r.Packages)
	n := 0
	for _, g := range groups {
		f := g[0]
		head := fmt.Sprintf("%s %s", f.PackageName, f.PackageVersion)
		if f.SourceName != "" && f.SourceName != f.PackageName {
			head += fmt.Sprintf(" (source %s)", f.SourceName)
		}
		head += " · " + f.PackageType
		if o := owners[f.PackageID]; o != nil {
			head += fmt.Sprintf(" · owned by %s %s %s", o.Type, o.Name, o.Version)
		}
		if f.Layer != "" {
			head += " · layer " + report.ShortDigest(f.Layer)
		}
		if f.CreatedBy != "" {
			head += " " + clip(f.CreatedBy, 60)
		}
		fmt.Fprintf(&b, "%s\n", head)
		for _, f := range g {
			row := rows[n]
			n++
			// Pad before colouring so escape codes do not upset the columns.
			sev := e.severity(f.Severity) + strings.Repeat(" ", width[1]-len(row[1]))
			line := fmt.Sprintf("  %-*s  %s  %-*s  %-*s  %s", width[0], row[0], sev, width[2], row[2], width[3], row[3], clip(f.Title, 60))
			b.WriteString(strings.TrimRight(line, " "))
			b.WriteString("\n")
		}
	}
	if len(groups) > 0 {
		b.WriteString("\n")
	}
	if len(r.Secrets) > 0 {
		b.WriteString("Secrets\n")
		for _, sc := range r.Secrets {
			where := sc.Path
			if sc.Line > 0 {
				where += fmt.Sprintf(":%d", sc.Line)
			}
			state := "present"
			if !sc.StillPresent {
				state = "deleted, still in layer " + report.ShortDigest(sc.Layer)
			} else if sc.Layer != "" {
				state = "present, layer " + report.ShortDigest(sc.Layer)
			}
			fmt.Fprintf(&b, "  %s  %s  %s  %s  (%s)\n", e.severity(sc.Severity), sc.Rule, where, sc.Match, state)
		}
		b.WriteString("\n")
	}
	if len(r.Misconfigurations) > 0 {
		b.WriteString("Configuration\n")
		for _, m := range r.Misconfigurations {
			fmt.Fprintf(&b, "  %s  %s  %s\n", e.severity(m.Severity), m.ID, m.Title)
			if m.Remediation != "" {
				fmt.Fprintf(&b, "      fix: %s\n", clip(m.Remediation, 100))
			}
		}
		b.WriteString("\n")
	}
	for _, w := range r.Warnings {
		fmt.Fprintf(&b, "warning: %s: %s\n", w.Path, w.Err)
	}
	b.WriteString(SummaryLine(r))
	b.WriteString("\n")
	if l := r.CoverageLine(); l != "" {
		b.WriteString(l + "\n")
	}
	if l := r.UnratedNote(); l != "" {
		b.WriteString(l + "\n")
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// ownersByID maps the IDs of packages found in a file an OS package
// installed to that package: whom to ask for a rebuild.
func ownersByID(pkgs []inventory.Package) map[string]*inventory.Owner {
	m := map[string]*inventory.Owner{}
	for _, p := range pkgs {
		if p.OwnedBy != nil {
			m[p.ID] = p.OwnedBy
		}
	}
	return m
}

// SummaryLine is the closing line, e.g.
// "12 findings in 5 of 14 packages (CRITICAL 1, HIGH 4, MEDIUM 7); 10 have a fix",
// followed by the counts of secrets and misconfigurations when those
// scanners ran: "; 1 secret, 4 misconfigurations".
func SummaryLine(r *report.Report) string {
	var audit []string
	if r.Secrets != nil {
		audit = append(audit, plural(len(r.Secrets), "secret"))
	}
	if r.Misconfigurations != nil {
		audit = append(audit, plural(len(r.Misconfigurations), "misconfiguration"))
	}
	line := vulnSummary(r)
	if len(audit) > 0 {
		line += "; " + strings.Join(audit, ", ")
	}
	return line
}

func vulnSummary(r *report.Report) string {
	if r.DB == nil {
		return fmt.Sprintf("%d packages (no vulnerability DB used)", len(r.Packages))
	}
	if len(r.Findings) == 0 {
		return fmt.Sprintf("no findings in %d packages", len(r.Packages))
	}
	sevs := []string{vulndb.SeverityCritical, vulndb.SeverityHigh, vulndb.SeverityMedium, vulndb.SeverityLow, vulndb.SeverityNegligible, vulndb.SeverityUnknown}
	counts := map[string]int{}
	pkgs := map[string]bool{}
	fixable := 0
	for _, f := range r.Findings {
		counts[f.Severity]++
		pkgs[f.PackageID] = true
		if f.Status == report.StatusFixAvailable {
			fixable++
		}
	}
	var parts []string
	for _, s := range sevs {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", s, counts[s]))
		}
	}
	return fmt.Sprintf("%d findings in %d of %d packages (%s); %d have a fix", len(r.Findings), len(pkgs), len(r.Packages), strings.Join(parts, ", "), fixable)
}

func (e Encoder) severity(s string) string {
	if c, ok := colors[s]; ok && e.Color {
		return c + s + "\x1b[0m"
	}
	return s
}

// group splits findings by package, packages with the most severe findings first.
func group(fs []report.Finding) [][]report.Finding {
	idx := map[string]int{}
	var gs [][]report.Finding
	for _, f := range fs {
		i, ok := idx[f.PackageID]
		if !ok {
			i = len(gs)
			idx[f.PackageID] = i
			gs = append(gs, nil)
		}
		gs[i] = append(gs[i], f)
	}
	for _, g := range gs {
		sort.SliceStable(g, func(i, j int) bool {
			ri, rj := sevRank(g[i].Severity), sevRank(g[j].Severity)
			if ri != rj {
				return ri > rj
			}
			return g[i].VulnerabilityID < g[j].VulnerabilityID
		})
	}
	sort.SliceStable(gs, func(i, j int) bool {
		ri, rj := sevRank(gs[i][0].Severity), sevRank(gs[j][0].Severity)
		if ri != rj {
			return ri > rj
		}
		return gs[i][0].PackageName < gs[j][0].PackageName
	})
	return gs
}

func sevRank(s string) int {
	r, _ := vulndb.SeverityRank(s)
	return r
}

func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if len(s) > n {
		return report.CutUTF8(s, n-1) + "…"
	}
	return s
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
