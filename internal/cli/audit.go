package cli

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/spf13/cobra"

	rtaudit "github.com/customs-scanner/customs/internal/audit/runtime"
	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/policy"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/scan"
	"github.com/customs-scanner/customs/internal/store"
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
	fl.StringVar(&f.failOn, "fail-on", "", "exit 1 when a failed check or a secret is at or above this severity (negligible or info, low, medium, high, critical)")
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
	if err := policy.CheckFailOn(f.failOn); err != nil {
		return err
	}
	dsn, err := f.g.storeDSN()
	if err != nil {
		return err
	}
	if dsn != "" {
		if _, err := store.ParseDSN(dsn); err != nil {
			return err
		}
	}
	var placed []store.Placement
	rep := &report.Report{SchemaVersion: report.SchemaVersion, Tool: report.Tool{Name: "customs", Version: Version},
		CreatedAt: time.Now().UTC(), Target: report.Target{Ref: strings.Join(targets, " "), Kind: "audit"},
		Packages: []inventory.Package{}, Findings: []report.Finding{}, Misconfigurations: []report.Misconfiguration{}}
	var facts *report.ImageFacts
	if f.image != "" {
		opts := scan.Options{Config: true, Version: Version}
		if cache, err := f.g.cache(); err == nil {
			opts.CacheDir = filepath.Join(cache, "layers")
		}
		r, err := scan.Scan(cmd.Context(), f.image, opts)
		if err != nil {
			return fmt.Errorf("--image: %w", err)
		}
		facts = r.ImageFacts
	}
	for _, t := range targets {
		if isImageTarget(t) {
			if err := auditImage(cmd.Context(), f, t, rep); err != nil {
				return fmt.Errorf("audit %s: %w", t, err)
			}
			rep.Targets = append(rep.Targets, report.AuditTarget{Target: t})
			continue
		}
		ws, err := rtaudit.Load(cmd.Context(), t, f.dockerHost, cmd.InOrStdin())
		if err != nil {
			return fmt.Errorf("audit %s: %w", t, err)
		}
		rep.Targets = append(rep.Targets, report.AuditTarget{Target: t, Workloads: len(ws)})
		placed = append(placed, workloadPlacements(ws)...)
		for _, w := range ws {
			ms := rtaudit.Check(&w)
			if facts != nil {
				ms = rtaudit.Join(ms, w, *facts)
			}
			rep.Misconfigurations = append(rep.Misconfigurations, ms...)
		}
	}
	rep.Misconfigurations = report.SortMisconfigurations(rep.Misconfigurations)
	rep.Summarize()
	if f.failOn != "" {
		// The pipeline's gate decides, as for a scan; the report carries it.
		if err := scan.Judge(cmd.Context(), rep, scan.Options{Gate: &scan.Gate{FailOn: f.failOn}}); err != nil {
			return err
		}
	}
	if err := writeReports(cmd.OutOrStdout(), outs, outputOptions{Width: tableWidth(cmd.OutOrStdout())}, rep); err != nil {
		return err
	}
	if dsn != "" {
		if err := recordPlacements(cmd, dsn, placed); err != nil {
			return err
		}
	}
	if rep.Verdict != nil && rep.Verdict.Failed {
		return errFindings{rep.Verdict.Message}
	}
	return nil
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

// auditImage adds the image configuration checks and the secret scan of
// an image to rep: its failed checks as misconfigurations of the workload
// the image is, its secrets as the report's secrets.
func auditImage(ctx context.Context, f *auditFlags, ref string, rep *report.Report) error {
	opts := scan.Options{Config: true, Secrets: true, Version: Version}
	if cache, err := f.g.cache(); err == nil {
		opts.CacheDir = filepath.Join(cache, "layers")
	}
	r, err := scan.Scan(ctx, ref, opts)
	if err != nil {
		return err
	}
	for _, m := range r.Misconfigurations {
		m.Impact, m.Standard, m.Source, m.Workload = report.ImpactHardening, "customs image checks", ref, ref
		rep.Misconfigurations = append(rep.Misconfigurations, m)
	}
	if rep.Secrets == nil {
		rep.Secrets = []report.Secret{}
	}
	rep.Secrets = append(rep.Secrets, r.Secrets...)
	return nil
}
