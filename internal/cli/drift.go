package cli

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"

	"github.com/customs-scanner/customs/internal/audit/secrets"
	"github.com/customs-scanner/customs/internal/drift"
	"github.com/customs-scanner/customs/internal/policy"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/scan"
	"github.com/customs-scanner/customs/internal/store"
	"github.com/customs-scanner/customs/internal/target"
)

// driftFormats are what customs drift writes; json is the drift document
// (docs/drift.md), table and sarif the scan report's encoders over the
// drift as findings.
var driftFormats = []string{formatTable, formatJSON, formatSARIF}

type driftFlags struct {
	imageFlags
	out             *outputFlags
	failOn          string
	against         string
	dockerHost      string
	ignore          []string
	noDefaultIgnore bool
	severity        []string
	scanners        []string
	secretConfig    string
	skipDB          bool
	changes         string
	verify          string
}

func newDriftCmd(g *globals) *cobra.Command {
	f := &driftFlags{}
	cmd := &cobra.Command{
		Use:   "drift TARGET",
		Short: "Report what changed in running containers (or a host) since their image",
		Long: `customs drift compares a container with its image: the files it added, changed and
deleted (with their digests), files a package installed whose content no longer matches the
package manager's record (dpkg md5sums, apk checksums), new executables, changes to sensitive
paths (/etc/passwd, /etc/shadow, sudoers, /etc/ld.so.preload, cron, authorized_keys, systemd
units), packages installed, removed or upgraded at run time, the vulnerabilities they brought
in and the secrets written. Each kind of change has a severity (--severity); paths a container
writes as it runs (/proc, /tmp, /var/log, /var/cache, apt lists, pid files...) are ignored
(--ignore, --no-default-ignore). See docs/drift.md.

TARGET:
  docker:CONTAINER    one container of the Docker Engine, by name or ID, running or stopped
  docker:             every running container
  docker:all          every container, stopped ones too
  dir:PATH            a host's root filesystem, compared with --against IMAGE, else with
                      the host's last snapshot in the store (customs scan dir:/ --store)
Containers are read over the Docker Engine API only: their changes and their filesystem,
streamed once (never written to disk). The image is scanned through the docker: source and
the layer cache, so a container of an image scanned before costs about its export.

Output: -o FORMAT[=FILE], repeatable, and --output FILE (docs/output.md). FORMAT: table
(default), json (the drift document, docs/drift.md), sarif.

With a store (--store, $CUSTOMS_STORE, the config's store), each report is recorded, and
customs history shows it beside the snapshots of the image or host it drifted from.

Exit codes: 0 no gate failed, 1 --fail-on matched a change, 2 error.`,
		Example: `  customs drift docker:web
  customs drift docker: --fail-on high -o sarif=drift.sarif
  customs drift docker:all -o json --ignore srv/uploads
  customs drift dir:/ --against registry:ghcr.io/org/vm-base:1.4
  customs drift dir:/ --store customs-store.db`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runDrift(cmd, g, f, args[0])
		},
	}
	fl := cmd.Flags()
	f.out = addOutputFlags(fl, "drift", driftFormats)
	f.imageFlags.add(fl)
	fl.StringVar(&f.failOn, "fail-on", "", "exit 1 when a change is at or above this severity (unknown, negligible, low, medium, high, critical)")
	fl.StringVar(&f.against, "against", "", "compare with this image (any scan TARGET) instead of the container's own; for dir:, instead of the host's last snapshot in the store")
	fl.StringVar(&f.dockerHost, "docker-host", "", "Docker Engine address (default: $DOCKER_HOST, else unix:///var/run/docker.sock)")
	fl.StringArrayVar(&f.ignore, "ignore", nil, "also ignore changes under `PATTERN` (a path glob from the root, or a base-name glob such as '*.sock'); repeatable; the config's drift.ignore adds more")
	fl.BoolVar(&f.noDefaultIgnore, "no-default-ignore", false, "do not ignore the default run-time paths (/proc, /tmp, /var/log, /var/cache, ...; docs/drift.md)")
	fl.StringArrayVar(&f.severity, "severity", nil, "give a kind of drift a severity, `KIND=SEVERITY` (file-added=low); repeatable; kinds in docs/drift.md")
	fl.StringSliceVar(&f.scanners, "scanners", []string{"vuln", "secret"}, "what to look for besides file and package changes: vuln (findings the drift brought in), secret (secrets in written files)")
	fl.StringVar(&f.secretConfig, "secret-config", "", "YAML file that adds, replaces or disables secret rules (see docs/secrets.md)")
	fl.BoolVar(&f.skipDB, "skip-db", false, "do not match vulnerabilities")
	fl.StringVar(&f.verify, "verify", drift.VerifyExec, "with --changes export, which files whose size, permissions, owner and time are the image's are hashed and checked against their package's record: exec (those with an executable bit), all, none")
	fl.StringVar(&f.changes, "changes", drift.ChangesAuto, "where a container's changes come from: engine (GET /containers/{id}/changes), export (its export compared with the image), auto (the engine's with overlay2, else the export's; docs/drift.md)")
	return cmd
}

func runDrift(cmd *cobra.Command, g *globals, f *driftFlags, ref string) error {
	outs, err := f.out.parse()
	if err != nil {
		return err
	}
	if err := policy.CheckFailOn(f.failOn); err != nil {
		return err
	}
	cfg, err := g.config()
	if err != nil {
		return err
	}
	switch f.changes {
	case drift.ChangesAuto, drift.ChangesEngine, drift.ChangesExport:
	default:
		return fmt.Errorf("--changes %q: want auto, engine or export", f.changes)
	}
	switch f.verify {
	case drift.VerifyExec, drift.VerifyAll, drift.VerifyNone:
	default:
		return fmt.Errorf("--verify %q: want exec, all or none", f.verify)
	}
	opts := drift.Options{DockerHost: f.dockerHost, Against: f.against, Severities: map[string]string{}, Changes: f.changes, Verify: f.verify}
	for k, v := range cfg.Drift.Severity {
		opts.Severities[k] = v
	}
	for _, s := range f.severity {
		k, v, ok := strings.Cut(s, "=")
		if !ok {
			return fmt.Errorf("--severity %q: want KIND=SEVERITY, such as file-added=low", s)
		}
		opts.Severities[strings.TrimSpace(k)] = strings.TrimSpace(v)
	}
	if err := drift.CheckSeverities(opts.Severities); err != nil {
		return fmt.Errorf("drift severity: %w", err)
	}
	opts.Ignore = []string{}
	if !f.noDefaultIgnore && !cfg.Drift.NoDefaultIgnore {
		opts.Ignore = drift.DefaultIgnore()
	}
	opts.Ignore = append(append(opts.Ignore, cfg.Drift.Ignore...), f.ignore...)
	for _, p := range opts.Ignore {
		if err := drift.CheckIgnore(p); err != nil {
			return err
		}
	}
	for _, sc := range f.scanners {
		if sc != "vuln" && sc != "secret" {
			return fmt.Errorf("--scanners %q: want a comma-separated list of vuln, secret", sc)
		}
	}
	if opts.Scan, err = f.options(g); err != nil {
		return err
	}
	opts.Scan.Image.DockerHost = f.dockerHost
	opts.Scan.Secrets = slices.Contains(f.scanners, "secret")
	if f.secretConfig != "" && opts.Scan.Secrets {
		if opts.Scan.SecretRules, err = secrets.LoadRules(f.secretConfig); err != nil {
			return err
		}
	}
	if !f.skipDB && slices.Contains(f.scanners, "vuln") {
		if opts.Scan.DBPath, err = g.db(); err != nil {
			return err
		}
	}

	t := target.Parse(ref)
	// With a store, drift reports are recorded, a host is compared with
	// its last snapshot unless --against says otherwise, and a report
	// names the stored snapshot of the image it was compared with.
	dsn, err := g.storeDSN()
	if err != nil {
		return err
	}
	var st store.Store
	if dsn != "" {
		if st, err = g.openStore(cmd.Context()); err != nil {
			return err
		}
		defer st.Close()
		opts.Store = st
	}
	doc := &drift.Document{SchemaVersion: drift.SchemaVersion, Tool: report.Tool{Name: "customs", Version: Version}, CreatedAt: time.Now().UTC(), Ref: ref}
	switch t.Kind {
	case target.Docker:
		reports, errs, err := drift.Containers(cmd.Context(), t.Name, opts)
		if err := noDB(err); err != nil {
			return fmt.Errorf("drift %s: %w", ref, err)
		}
		doc.Reports = reports
		for _, e := range errs {
			doc.Errors = append(doc.Errors, e.Error())
			fmt.Fprintf(cmd.ErrOrStderr(), "customs: warning: %v\n", e)
		}
		if len(reports) == 0 && len(errs) == 0 {
			fmt.Fprintf(cmd.ErrOrStderr(), "customs: no containers to compare (%s)\n", ref)
		}
	case target.Dir, target.Rootfs:
		if f.against == "" && st == nil {
			return fmt.Errorf("drift %s: a host is compared with an image or with its last snapshot in the store: give --against IMAGE, or --store DSN", ref)
		}
		r, err := drift.Host(cmd.Context(), t, opts)
		if err := noDB(err); err != nil {
			return fmt.Errorf("drift %s: %w", ref, err)
		}
		doc.Reports = []*drift.Report{r}
	default:
		return fmt.Errorf("drift %s: want docker:CONTAINER, docker:, docker:all, or dir:PATH with --against IMAGE", ref)
	}
	if doc.Reports == nil {
		doc.Reports = []*drift.Report{}
	}
	for _, r := range doc.Reports {
		for _, w := range r.Warnings {
			fmt.Fprintf(cmd.ErrOrStderr(), "customs: warning: %s: %s: %s\n", r.Target.Ref, w.Path, w.Err)
		}
	}
	sr := doc.Scan()
	if f.failOn != "" {
		// The pipeline's gate decides, as for a scan.
		if err := scan.Judge(cmd.Context(), sr, scan.Options{Gate: &scan.Gate{FailOn: f.failOn}}); err != nil {
			return err
		}
		doc.Verdict = sr.Verdict
	}
	oo := outputOptions{Color: isTerminal(cmd.OutOrStdout()), Width: tableWidth(cmd.OutOrStdout())}
	err = writeOutputs(cmd.OutOrStdout(), outs, func(w io.Writer, o outputSpec) error {
		if o.Format == formatJSON {
			enc := json.NewEncoder(w)
			enc.SetIndent("", "  ")
			return enc.Encode(doc)
		}
		enc, err := newOutputEncoder(o, oo)
		if err != nil {
			return err
		}
		return enc.Encode(w, sr)
	})
	if err != nil {
		return err
	}
	if st != nil {
		if err := recordDrift(cmd, st, dsn, doc.Reports); err != nil {
			return err
		}
	}
	if len(doc.Errors) > 0 && len(doc.Reports) == 0 {
		return fmt.Errorf("drift %s: no container could be read", ref)
	}
	if doc.Verdict != nil && doc.Verdict.Failed {
		return errFindings{doc.Verdict.Message}
	}
	return nil
}

// recordDrift records each report in the store, one line each on stderr.
func recordDrift(cmd *cobra.Command, st store.Store, dsn string, reports []*drift.Report) error {
	d, _ := store.ParseDSN(dsn)
	for _, r := range reports {
		data, err := json.Marshal(r)
		if err != nil {
			return err
		}
		rec, err := st.RecordDrift(cmd.Context(), store.DriftInput{Record: r.Record(), Report: data})
		if err != nil {
			return err
		}
		fmt.Fprintf(cmd.ErrOrStderr(), "customs: recorded the drift of %s (%d changes) as drift report %d in %s\n", r.Target.Ref, len(r.Drift), rec.ID, d)
	}
	return nil
}

// noDB words the pipeline's missing-DB error as scan does.
func noDB(err error) error {
	if nodb := (*scan.NoDBError)(nil); errors.As(err, &nodb) {
		return fmt.Errorf("no vulnerability DB at %s: build or pull one (`customs db update`, `customs db pull REF`), or run with --skip-db", nodb.Path)
	}
	return err
}
