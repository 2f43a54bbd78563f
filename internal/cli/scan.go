package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"slices"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/customs-scanner/customs/internal/audit/secrets"
	"github.com/customs-scanner/customs/internal/policy"
	"github.com/customs-scanner/customs/internal/scan"
	"github.com/customs-scanner/customs/internal/store"
	"github.com/customs-scanner/customs/internal/vulndb/dist"
)

type scanFlags struct {
	imageFlags
	out                *outputFlags
	dockerfile         string
	gate               gateOptions
	scanners           []string
	secretConfig       string
	failOn             string
	failOnUnknown      bool
	includeNotAffected bool
	ignoreUnfixed      bool
	skipDB             bool
	dbRef              string
	dbPublicKey        string
	skipUpdate         bool
	showOwned          bool
	dbMaxAge           time.Duration
	severity           severityFilter
}

func newScanCmd(g *globals) *cobra.Command {
	f := &scanFlags{}
	cmd := &cobra.Command{
		Use:   "scan TARGET",
		Short: "Scan an image for vulnerable packages, secrets and misconfigurations",
		Long: `Scan an image: list its packages with the layer that brought each in, and match them
against the vulnerability DB; look for secrets in every layer's files (deleted ones too) and
in the image config; check the image configuration. --scanners picks what runs (default all
three: vuln,secret,config); --fail-on counts secrets and misconfigurations too.

TARGET is an image reference with an optional scheme prefix:
  docker-archive:PATH     a 'docker save' tar (plain or gzipped; gzip, zstd or plain layers)
  oci-dir:PATH[:TAG]      an OCI image layout directory
  oci-archive:PATH        a tar of an OCI image layout
  registry:REF            a registry, over HTTPS (HTTP with --insecure or for localhost);
                          credentials from ~/.docker/config.json and credential helpers
  docker:REF              the local Docker Engine, through its Unix socket ($DOCKER_HOST)
  dir:PATH, rootfs:PATH   an unpacked root filesystem, such as a host's /
  sbom:FILE               an existing SBOM (CycloneDX 1.4-1.6 JSON, SPDX 2.2/2.3 JSON or tag-value, also
                          inside an in-toto attestation), matched without the image
Without a prefix the kind is detected: an existing file or directory, else the local
Docker Engine, else a registry.

Output: -o FORMAT[=FILE], repeatable, and --output FILE, as every command that prints a
report takes them; see docs/output.md.

Exit codes: 0 no gate failed, 1 a gate failed (--fail-on, --policy, --fail-on-uncovered), 2 error.`,
		Example: `  customs scan docker-archive:alpine.tar
  customs scan registry:ghcr.io/org/app:1.2 --platform linux/arm64 -o json --output report.json
  customs scan dir:/ --fail-on high`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return f.walk.run(cmd, func() error { return runScan(cmd, g, f, args[0]) })
		},
	}
	fl := cmd.Flags()
	f.out = addOutputFlags(fl, "scan", scanFormats)
	f.imageFlags.add(fl)
	fl.StringVar(&f.dockerfile, "dockerfile", "", "the image's Dockerfile: sarif results point into it, and --scanners config lints it (path relative to the repository root)")
	fl.StringVar(&f.failOn, "fail-on", "", "exit 1 when a finding at or above this severity affects the image (unknown, negligible, low, medium, high, critical; unknown is the lowest, so it means any finding)")
	fl.BoolVar(&f.failOnUnknown, "fail-on-unknown", false, "exit 1 when a vulnerability without a severity (UNKNOWN: no source in the DB rates it) affects the image, besides what --fail-on counts: --fail-on high --fail-on-unknown")
	fl.BoolVar(&f.includeNotAffected, "include-not-affected", false, "also report advisories that name a package but do not affect its version")
	fl.BoolVar(&f.ignoreUnfixed, "ignore-unfixed", false, "report only findings that have a fixed version")
	fl.BoolVar(&f.skipDB, "skip-db", false, "list packages only; do not match vulnerabilities")
	fl.BoolVar(&f.showOwned, "show-owned", false, "also list and match language packages whose files an OS package installed (by default they are reported once, as part of that OS package)")
	fl.StringVar(&f.dbRef, "db-ref", "", "use the signed DB artifact REF[@DIGEST] from a registry, pulled into --db when it is not there already (a digest pins it for reproducible results)")
	fl.StringVar(&f.dbPublicKey, "db-public-key", "", "ed25519 public key that --db-ref must be signed with (default: db-public-key from the config file)")
	fl.BoolVar(&f.skipUpdate, "skip-update", false, "never contact a registry for the DB: use the installed one as it is")
	fl.DurationVar(&f.dbMaxAge, "db-max-age", 0, "warn when the DB was built longer ago than this (default: db-max-age from the config file, else 168h; 0 with no config means 168h)")
	fl.StringSliceVar(&f.scanners, "scanners", []string{"vuln", "secret", "config"}, "what to look for, comma-separated: vuln (vulnerable packages), secret (secrets in every layer's files, deleted ones too, and in the config), config (image configuration and --dockerfile checks)")
	fl.StringVar(&f.secretConfig, "secret-config", "", "YAML file that adds, replaces or disables secret rules (see docs/secrets.md)")
	addGateFlags(fl, &f.gate)
	f.severity.add(fl)
	return cmd
}

func runScan(cmd *cobra.Command, g *globals, f *scanFlags, target string) error {
	outs, err := f.out.parse()
	if err != nil {
		return err
	}
	oo := outputOptions{Color: isTerminal(cmd.OutOrStdout()), Width: tableWidth(cmd.OutOrStdout()), Template: f.out.template, Dockerfile: f.dockerfile}
	if err := checkOutputs(outs, oo); err != nil {
		return err
	}
	gate, err := loadGate(f.gate)
	if err != nil {
		return err
	}
	if err := f.severity.check(); err != nil {
		return err
	}
	if err := policy.CheckFailOn(f.failOn); err != nil {
		return err
	}
	for _, sc := range f.scanners {
		switch sc {
		case "vuln", "secret", "config":
		default:
			return fmt.Errorf("--scanners %q: want a comma-separated list of vuln, secret, config", sc)
		}
	}
	opts, err := f.options(g)
	if err != nil {
		return err
	}
	opts.Secrets = slices.Contains(f.scanners, "secret")
	if f.secretConfig != "" && opts.Secrets {
		if opts.SecretRules, err = secrets.LoadRules(f.secretConfig); err != nil {
			return err
		}
	}
	opts.Config = slices.Contains(f.scanners, "config")
	opts.IncludeNotAffected = f.includeNotAffected
	opts.KeepOwned = f.showOwned
	cfg, err := g.config()
	if err != nil {
		return err
	}
	dsn, err := g.storeDSN()
	if err != nil {
		return err
	}
	if dsn != "" {
		if _, err := store.ParseDSN(dsn); err != nil {
			return err
		}
	}
	if f.dockerfile != "" && opts.Config {
		if opts.Dockerfile, err = os.ReadFile(f.dockerfile); err != nil {
			return fmt.Errorf("--dockerfile: %w", err)
		}
	}
	if !slices.Contains(f.scanners, "vuln") {
		f.skipDB = true
	}
	if !f.skipDB {
		if opts.DBPath, err = g.db(); err != nil {
			return err
		}
		if f.dbRef != "" && !f.skipUpdate {
			// Installing the DB is the dist pipeline's; the scan takes it.
			key := f.dbPublicKey
			if key == "" {
				key = cfg.DBPublicKey
			}
			if opts.DBPath, err = dist.EnsureDB(cmd.Context(), f.dbRef, opts.DBPath, key, g.logger()); err != nil {
				return err
			}
		}
		opts.DBMaxAge = f.dbMaxAge
		if opts.DBMaxAge == 0 {
			opts.DBMaxAge = cfg.DBMaxAge
		}
	}
	opts.Gate = gate
	opts.Gate.IgnoreUnfixed = f.ignoreUnfixed
	opts.Gate.Severities = f.severity
	opts.Gate.FailOn, opts.Gate.FailOnUnknown = f.failOn, f.failOnUnknown
	var pending *pendingStore
	if dsn != "" {
		pending = openStoreAsync(cmd.Context(), dsn)
		defer pending.close()
	}
	r, ev, err := f.scan(cmd, target, opts)
	if nodb := (*scan.NoDBError)(nil); errors.As(err, &nodb) {
		return fmt.Errorf("no vulnerability DB at %s: download the feeds and build one with `customs db update`, install a prebuilt one with `customs db pull REF`, build one from local feeds with `customs db build --source KIND=PATH`, or scan with --skip-db", nodb.Path)
	}
	if err != nil {
		return err
	}
	stderr := cmd.ErrOrStderr()
	for _, s := range ev.stale {
		fmt.Fprintf(stderr, "customs: warning: the vulnerability DB was built %s ago, longer than --db-max-age %s; findings may be missing: run `customs db update` or `customs db pull`\n",
			s.Age.Round(time.Hour), s.MaxAge)
	}
	for _, w := range r.CoverageWarnings() {
		fmt.Fprintf(stderr, "customs: warning: %s\n", w)
	}
	if w := r.UnratedNote(); w != "" {
		fmt.Fprintf(stderr, "customs: warning: %s\n", w)
	}
	for _, l := range ev.gate {
		fmt.Fprintf(stderr, "customs: %s\n", l)
	}
	if err := writeReports(cmd.OutOrStdout(), outs, oo, r); err != nil {
		return err
	}
	if dsn != "" {
		if err := recordScan(cmd, g, pending, dsn, target, r); err != nil {
			return err
		}
	}
	if r.Verdict != nil && r.Verdict.Failed {
		return errFindings{r.Verdict.Message}
	}
	return nil
}

func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
