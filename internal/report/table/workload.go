package table

import (
	"cmp"
	"fmt"
	"io"
	"strings"
	"text/tabwriter"

	"github.com/customs-scanner/customs/internal/report"
)

// writeAudit prints the report of customs audit (one with Targets): the
// failed checks grouped by impact, the secrets of image targets, then one
// remediation line per check and the counts. Severities are in lower case,
// as audit has always printed them.
func (e Encoder) writeAudit(w io.Writer, r *report.Report) error {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	impact := ""
	for _, m := range r.Misconfigurations {
		if im := cmp.Or(m.Impact, report.ImpactHardening); im != impact {
			impact = im
			fmt.Fprintf(tw, "\n%s\n", strings.ToUpper(strings.ReplaceAll(impact, "-", " ")))
			fmt.Fprintln(tw, "SEVERITY\tID\tWORKLOAD\tCONTAINER\tEVIDENCE")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", strings.ToLower(m.Severity), cell(m.ID), cell(m.Workload), cell(m.Container), cell(strings.Join(m.Evidence, "; ")))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.Secrets) > 0 {
		b.WriteString("\n")
		e.writeSecrets(&b, r)
	}
	total := len(r.Misconfigurations) + len(r.Secrets)
	if total == 0 {
		workloads := 0
		for _, t := range r.Targets {
			workloads += t.Workloads
		}
		fmt.Fprintf(&b, "no findings in %d workloads\n", workloads)
		_, err := io.WriteString(w, b.String())
		return err
	}
	if len(r.Misconfigurations) > 0 {
		if !strings.HasSuffix(b.String(), "\n\n") { // the secrets end with a blank line
			b.WriteString("\n")
		}
		b.WriteString("REMEDIATION\n")
	}
	seen := map[string]bool{}
	bySeverity := map[string]int{}
	for _, m := range r.Misconfigurations {
		bySeverity[m.Severity]++
		if seen[m.ID] {
			continue
		}
		seen[m.ID] = true
		fmt.Fprintf(&b, "  %s (%s %s): %s\n    %s\n", cell(m.ID), m.Standard, m.Profile, cell(m.Title), cell(m.Remediation))
	}
	for _, sc := range r.Secrets {
		bySeverity[sc.Severity]++
	}
	var sev []string
	for _, s := range severities {
		if n := bySeverity[s]; n > 0 {
			sev = append(sev, fmt.Sprintf("%d %s", n, strings.ToLower(s)))
		}
	}
	fmt.Fprintf(&b, "\n%d findings: %s\n", total, strings.Join(sev, ", "))
	_, err := io.WriteString(w, b.String())
	return err
}
