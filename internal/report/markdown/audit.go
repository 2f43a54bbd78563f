package markdown

import (
	"fmt"
	"io"
	"strings"

	"github.com/customs-scanner/customs/internal/report"
)

// auditSeverities are customs audit's severities, worst first.
var auditSeverities = []string{"critical", "high", "medium", "low", "info"}

// auditImpacts name the impact groups, worst first.
var auditImpacts = []struct{ id, title string }{
	{report.ImpactHostEscape, "Host escape"},
	{report.ImpactPrivilegeEscalation, "Privilege escalation"},
	{report.ImpactHardening, "Hardening"},
}

// AuditEncoder renders the report of customs audit for a pull-request
// comment: counts by severity, the findings grouped by what an attacker
// gains (host escape first), at most MaxFolded rows, and each check's
// remediation folded in a <details> block.
type AuditEncoder struct{}

// Encode writes r to w.
func (AuditEncoder) Encode(w io.Writer, r *report.AuditReport) error {
	var b strings.Builder
	var targets []string
	workloads := 0
	for _, t := range r.Targets {
		targets = append(targets, cell(t.Target))
		workloads += t.Workloads
	}
	fmt.Fprintf(&b, "### customs audit: %s\n\n", strings.Join(targets, ", "))
	if len(r.Findings) == 0 {
		fmt.Fprintf(&b, "No findings in %s.\n", plural(workloads, "workload"))
		_, err := io.WriteString(w, b.String())
		return err
	}
	counts := map[string]int{}
	for _, f := range r.Findings {
		counts[strings.ToLower(f.Severity)]++
	}
	var parts []string
	for _, s := range auditSeverities {
		if n := counts[s]; n > 0 {
			parts = append(parts, fmt.Sprintf("%s **%d**", strings.ToUpper(s), n))
		}
	}
	fmt.Fprintf(&b, "**%s**: %s.\n", plural(len(r.Findings), "finding"), strings.Join(parts, " · "))
	groups := map[string][]report.AuditFinding{}
	for _, f := range r.Findings {
		imp := f.Impact
		if imp != report.ImpactHostEscape && imp != report.ImpactPrivilegeEscalation {
			imp = report.ImpactHardening
		}
		groups[imp] = append(groups[imp], f)
	}
	shown := 0
	for _, imp := range auditImpacts {
		rows := groups[imp.id]
		rows = rows[:min(len(rows), MaxFolded-shown)]
		if len(rows) == 0 {
			continue
		}
		shown += len(rows)
		fmt.Fprintf(&b, "\n#### %s\n\n| Severity | Check | Workload | Container | Evidence |\n|---|---|---|---|---|\n", imp.title)
		for _, f := range rows {
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", strings.ToUpper(cell(f.Severity)), cell(f.ID), cell(f.Workload), cell(f.Container), cell(clip(f.Evidence, 200)))
		}
	}
	if n := len(r.Findings) - shown; n > 0 {
		fmt.Fprintf(&b, "\n…and %d more: see the full report (`-o json`).\n", n)
	}
	b.WriteString("\n<details><summary>Remediation</summary>\n\n")
	seen := map[string]bool{}
	for _, f := range r.Findings {
		if seen[f.ID] {
			continue
		}
		seen[f.ID] = true
		std := strings.TrimSpace(f.Standard + " " + f.Profile)
		fmt.Fprintf(&b, "- **%s** (%s): %s. %s\n", cell(f.ID), cell(std), cell(f.Title), cell(f.Remediation))
	}
	b.WriteString("\n</details>\n")
	_, err := io.WriteString(w, b.String())
	return err
}
