package cli

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	rtaudit "github.com/customs-scanner/customs/internal/audit/runtime"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/report/markdown"
	"github.com/customs-scanner/customs/internal/report/sarif"
	"github.com/customs-scanner/customs/internal/scan"
	"github.com/customs-scanner/customs/internal/target"
)

type auditFlags struct {
	out        *outputFlags
	failOn     string
	dockerHost string
	image      string
	g          *globals
}

func newAuditCmd(g *globals) *cobra.Command {
	f := &auditFlags{}
	cmd := &cobra.Command{
		Use:   "audit TARGET...",
		Short: "Audit how containers are (or will be) run: privileges, namespaces, mounts, limits",
		Long: `customs audit checks the runtime configuration of containers against the Kubernetes
Pod Security Standards (baseline and restricted; for Kubernetes manifests) and section 5 of
the CIS Docker Benchmark v1.6.0 (for Compose files, docker inspect output, OCI config.json and
the live Docker Engine), plus combined checks such as host PID with ptrace.

TARGET is a file whose kind is detected, or named with a prefix:
  k8s:FILE|DIR           Kubernetes manifests (multi-document YAML, Lists, helm template output)
  compose:FILE           a Docker Compose file
  docker-inspect:FILE    docker inspect output (a JSON array of containers); inspect: also works
  oci-config:FILE        an OCI runtime bundle's config.json
  docker:                the running containers of the local Docker Engine (docker:all: all containers)
  docker:CONTAINER       one container, by name or ID
  an image               any customs scan TARGET with a scheme (docker-archive:, oci-dir:, registry:, ...)
                         or an image archive file: image configuration checks and secrets
With --image TARGET, the image's facts (user, shell, package manager, docker CLI) are
joined with the workloads' settings.
FILE "-" reads stdin.

Findings are ranked by what an attacker in the container gains: host escape first
(privileged, a runtime socket, host PID with ptrace, the host's / mounted), then
privilege escalation, then hardening gaps.

Output: -o FORMAT[=FILE], repeatable, and --output FILE, as every command that prints a
report takes them (see docs/output.md). FORMAT: table (default), json, sarif, markdown.
--output takes a file name; for a format, use -o.

Exit codes: 0 no gate failed, 1 --fail-on matched a finding, 2 error.`,
		Example: `  customs audit deploy.yaml
  helm template ./chart | customs audit k8s:-
  customs audit docker-compose.yml -o json
  customs audit k8s:manifests/ -o table -o sarif=audit.sarif -o markdown=audit.md
  customs audit docker: --fail-on critical`,
		Args: cobra.MinimumNArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runAudit(cmd, f, args)
		},
	}
	fl := cmd.Flags()
	f.out = addOutputFlags(fl, "audit", auditFormats)
	fl.StringVar(&f.failOn, "fail-on", "", "exit 1 when a finding is at or above this severity (info, low, medium, high, critical)")
	fl.StringVar(&f.dockerHost, "docker-host", "", "Docker Engine address for docker: (default: $DOCKER_HOST, else unix:///var/run/docker.sock)")
	fl.StringVar(&f.image, "image", "", "the image the workloads run (any scan TARGET): its user, shell, package manager and docker CLI are joined with their settings")
	f.g = g
	return cmd
}

func runAudit(cmd *cobra.Command, f *auditFlags, targets []string) error {
	outs, err := f.out.parse()
	if err != nil {
		return err
	}
	threshold := -1
	if f.failOn != "" {
		threshold = rtaudit.Severity(f.failOn).Rank()
		if threshold < 0 {
			return fmt.Errorf("--fail-on %q: want one of info, low, medium, high, critical", f.failOn)
		}
	}
	rep := report.AuditReport{SchemaVersion: report.AuditSchemaVersion, Tool: report.Tool{Name: "customs", Version: Version},
		Summary: report.AuditSummary{BySeverity: map[string]int{}, ByImpact: map[string]int{}}, Findings: []report.AuditFinding{}}
	var findings []rtaudit.Finding
	var facts *rtaudit.ImageFacts
	if f.image != "" {
		opts := scan.Options{Config: true, Version: Version}
		if cache, err := f.g.cache(); err == nil {
			opts.CacheDir = filepath.Join(cache, "layers")
		}
		r, err := scan.Scan(cmd.Context(), f.image, opts)
		if err != nil {
			return fmt.Errorf("--image: %w", err)
		}
		if r.ImageFacts != nil {
			facts = &rtaudit.ImageFacts{User: r.ImageFacts.User, HasShell: r.ImageFacts.HasShell,
				HasPackageManager: r.ImageFacts.HasPackageManager, HasDockerCLI: r.ImageFacts.HasDockerCLI}
		}
	}
	for _, t := range targets {
		if isImageTarget(t) {
			fs, err := auditImage(cmd.Context(), f, t)
			if err != nil {
				return fmt.Errorf("audit %s: %w", t, err)
			}
			rep.Targets = append(rep.Targets, report.AuditTarget{Target: t})
			findings = append(findings, fs...)
			continue
		}
		ws, err := rtaudit.Load(cmd.Context(), t, f.dockerHost, cmd.InOrStdin())
		if err != nil {
			return fmt.Errorf("audit %s: %w", t, err)
		}
		rep.Targets = append(rep.Targets, report.AuditTarget{Target: t, Workloads: len(ws)})
		for _, w := range ws {
			fs := rtaudit.Check(&w)
			if facts != nil {
				fs = rtaudit.Join(fs, w, *facts)
			}
			findings = append(findings, fs...)
		}
	}
	failing, worst := 0, ""
	for _, fd := range rtaudit.Sort(findings) {
		rep.Findings = append(rep.Findings, auditFinding(fd))
		rep.Summary.BySeverity[string(fd.Severity)]++
		rep.Summary.ByImpact[fd.Impact.String()]++
		if threshold >= 0 && fd.Severity.Rank() >= threshold {
			failing++
			if worst == "" || fd.Severity.Rank() > rtaudit.Severity(worst).Rank() {
				worst = string(fd.Severity)
			}
		}
	}
	if err := writeOutputs(cmd.OutOrStdout(), outs, func(w io.Writer, o outputSpec) error {
		return encodeAudit(w, o.Format, &rep)
	}); err != nil {
		return err
	}
	if failing > 0 {
		return errFindings{fmt.Sprintf("--fail-on %s: %d findings at or above %s (worst %s)", strings.ToLower(f.failOn), failing, strings.ToLower(f.failOn), worst)}
	}
	return nil
}

// auditFinding is a finding as the audit report carries it.
func auditFinding(f rtaudit.Finding) report.AuditFinding {
	return report.AuditFinding{ID: f.ID, Title: f.Title, Severity: string(f.Severity), Impact: f.Impact.String(),
		Standard: f.Standard, Profile: f.Profile, Source: f.Source, Workload: f.Workload, Container: f.Container,
		Evidence: f.Evidence, Remediation: f.Remediation, Target: f.Target, PSSProfile: f.PSSProfile, PSSControl: f.PSSControl}
}

// encodeAudit writes the audit report in one of auditFormats.
func encodeAudit(w io.Writer, format string, r *report.AuditReport) error {
	switch format {
	case formatJSON:
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		return enc.Encode(r)
	case formatSARIF:
		return sarif.AuditEncoder{}.Encode(w, r)
	case formatMarkdown:
		return markdown.AuditEncoder{}.Encode(w, r)
	case formatTable:
		return writeAuditTable(w, r)
	}
	return fmt.Errorf("-o %q: customs audit does not write it", format)
}

// writeAuditTable prints the findings grouped by impact, then one
// remediation line per check.
func writeAuditTable(w io.Writer, r *report.AuditReport) error {
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	impact := ""
	for _, fd := range r.Findings {
		if fd.Impact != impact {
			impact = fd.Impact
			fmt.Fprintf(tw, "\n%s\n", strings.ToUpper(strings.ReplaceAll(impact, "-", " ")))
			fmt.Fprintln(tw, "SEVERITY\tID\tWORKLOAD\tCONTAINER\tEVIDENCE")
		}
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\n", fd.Severity, fd.ID, fd.Workload, fd.Container, fd.Evidence)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	if len(r.Findings) == 0 {
		workloads := 0
		for _, t := range r.Targets {
			workloads += t.Workloads
		}
		_, err := fmt.Fprintf(w, "no findings in %d workloads\n", workloads)
		return err
	}
	fmt.Fprintln(w, "\nREMEDIATION")
	seen := map[string]bool{}
	for _, fd := range r.Findings {
		if seen[fd.ID] {
			continue
		}
		seen[fd.ID] = true
		fmt.Fprintf(w, "  %s (%s %s): %s\n    %s\n", fd.ID, fd.Standard, fd.Profile, fd.Title, fd.Remediation)
	}
	var sev []string
	for _, s := range []rtaudit.Severity{rtaudit.Critical, rtaudit.High, rtaudit.Medium, rtaudit.Low, rtaudit.Info} {
		if n := r.Summary.BySeverity[string(s)]; n > 0 {
			sev = append(sev, fmt.Sprintf("%d %s", n, s))
		}
	}
	_, err := fmt.Fprintf(w, "\n%d findings: %s\n", len(r.Findings), strings.Join(sev, ", "))
	return err
}

// isImageTarget reports whether an audit target is an image rather than a
// workload description: an image scheme, or a file that is a tar archive
// (plain or compressed) rather than YAML or JSON.
func isImageTarget(t string) bool {
	switch target.Parse(t).Kind {
	case target.DockerArchive, target.OCIDir, target.OCIArchive, target.Registry, target.Dir, target.Rootfs:
		// docker: is the audit's own (running containers), sbom: no image.
		return true
	}
	fh, err := os.Open(t)
	if err != nil {
		return false
	}
	defer fh.Close()
	head := make([]byte, 512)
	n, _ := io.ReadFull(fh, head)
	head = head[:n]
	switch {
	case bytes.HasPrefix(head, []byte{0x1f, 0x8b}), bytes.HasPrefix(head, []byte{0x28, 0xb5, 0x2f, 0xfd}):
		return true
	case n >= 262 && string(head[257:262]) == "ustar":
		return true
	}
	return false
}

// auditImage runs the image configuration checks and the secret scan on
// an image and reports them as audit findings.
func auditImage(ctx context.Context, f *auditFlags, ref string) ([]rtaudit.Finding, error) {
	opts := scan.Options{Config: true, Secrets: true, Version: Version}
	if cache, err := f.g.cache(); err == nil {
		opts.CacheDir = filepath.Join(cache, "layers")
	}
	r, err := scan.Scan(ctx, ref, opts)
	if err != nil {
		return nil, err
	}
	var out []rtaudit.Finding
	for _, m := range r.Misconfigurations {
		out = append(out, rtaudit.Finding{ID: m.ID, Title: m.Title, Severity: rtaudit.Severity(strings.ToLower(m.Severity)),
			Impact: rtaudit.Hardening, Standard: "customs image checks", Source: ref, Workload: ref, Target: m.Target,
			Evidence: strings.Join(m.Evidence, "; "), Remediation: m.Remediation})
	}
	for _, s := range r.Secrets {
		where := s.Path
		if s.Line > 0 {
			where += fmt.Sprintf(":%d", s.Line)
		}
		state := "present in the final image"
		if !s.StillPresent {
			state = "deleted by a later layer, still in layer " + s.Layer
		}
		out = append(out, rtaudit.Finding{ID: "secret." + s.Rule, Title: "Secret in the image: " + s.Rule, Severity: rtaudit.Severity(strings.ToLower(s.Severity)),
			Impact: rtaudit.PrivilegeEscalation, Standard: "customs secrets", Source: ref, Workload: ref, Target: ref + "#" + where,
			Evidence: s.Match + " (" + state + ")", Remediation: "Remove the secret from the build (use build secrets), rotate it, and rebuild without the layer that holds it"})
	}
	return out, nil
}
