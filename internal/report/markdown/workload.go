package markdown

import (
	"fmt"
	"io"
	"strings"

	"github.com/customs-scanner/customs/internal/report"
)

// auditImpacts name the impact groups, worst first.
var auditImpacts = []struct{ id, title string }{
	{report.ImpactHostEscape, "Host escape"},
	{report.ImpactPrivilegeEscalation, "Privilege escalation"},
	{report.ImpactHardening, "Hardening"},
}

// writeAudit renders the report of customs audit (one with Targets):
// counts by severity, the failed checks grouped by what an attacker gains
// (host escape first), at most MaxFolded rows, the secrets of image
// targets, and each check's remediation folded in a <details> block.
func writeAudit(w io.Writer, r *report.Report, limit int) error {
	var b strings.Builder
	var targets []string
	workloads := 0
	for _, t := range r.Targets {
		targets = append(targets, cell(t.Target))
		workloads += t.Workloads
	}
	fmt.Fprintf(&b, "### customs audit: %s\n\n", strings.Join(targets, ", "))
	if len(r.Misconfigurations) == 0 && len(r.Secrets) == 0 {
		fmt.Fprintf(&b, "No findings in %s.\n", plural(workloads, "workload"))
		_, err := io.WriteString(w, b.String())
		return err
	}
	ms := r.Misconfigurations
	if len(ms) > 0 {
		fmt.Fprintf(&b, "**%s**: %s.\n", plural(len(ms), "finding"), bySeverity(len(ms), func(i int) string { return ms[i].Severity }))
	}
	if len(r.Secrets) > 0 {
		fmt.Fprintf(&b, "\n**%s**: %s.\n", plural(len(r.Secrets), "secret"), bySeverity(len(r.Secrets), func(i int) string { return r.Secrets[i].Severity }))
	}
	groups := map[string][]report.Misconfiguration{}
	for _, f := range ms {
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
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", norm(f.Severity), cell(f.ID), cell(f.Workload), cell(f.Container), cell(clip(strings.Join(f.Evidence, "; "), 200)))
		}
	}
	if n := len(ms) - shown; n > 0 {
		fmt.Fprintf(&b, "\n…and %d more: see the full report (`-o json`).\n", n)
	}
	secretsTable(&b, r.Secrets, limit)
	if len(ms) == 0 {
		_, err := io.WriteString(w, b.String())
		return err
	}
	b.WriteString("\n<details><summary>Remediation</summary>\n\n")
	seen := map[string]bool{}
	for _, f := range ms {
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
