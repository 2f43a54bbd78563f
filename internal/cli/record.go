package cli

import (
	"errors"
	"fmt"
	"strings"

	"github.com/spf13/cobra"

	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/scan"
	"github.com/customs-scanner/customs/internal/store"
	"github.com/customs-scanner/customs/internal/store/backend"
	"github.com/customs-scanner/customs/internal/target"
)

type recordFlags struct {
	refs []string
}

func newRecordCmd(g *globals) *cobra.Command {
	f := &recordFlags{}
	cmd := &cobra.Command{
		Use:   "record REPORT.json|sbom:FILE --store DSN",
		Short: "Record a saved report or an SBOM in the store, without rescanning",
		Long: `Record a report written by 'customs scan -o json' (REPORT.json, or - for stdin), or an
SBOM matched against the vulnerability DB (sbom:FILE), in the store, as the image's
current snapshot. CI pipelines already keep these as artifacts.

The store is --store DSN, else $CUSTOMS_STORE, else store in the config file: a SQLite file (PATH or sqlite:PATH) or a
PostgreSQL database (postgres://USER@HOST/DB). Recording what the store already holds
adds nothing; see docs/store.md.`,
		Example: `  customs scan registry.example/shop/app:1.4 -o json=app.json
  customs record app.json --store customs-store.db
  customs record sbom:bom.cdx.json --store postgres://customs@db/customs --ref registry.example/shop/app:1.4`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runRecord(cmd, g, f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVar(&f.refs, "ref", nil, "a reference the image was seen under, besides those the report names (repeatable)")
	return cmd
}

func runRecord(cmd *cobra.Command, g *globals, f *recordFlags, arg string) error {
	dsn, err := g.needStore()
	if err != nil {
		return err
	}
	var r *report.Report
	if strings.HasPrefix(arg, "sbom:") {
		r, err = recordSBOM(cmd, g, arg)
	} else {
		r, err = readReport(cmd.InOrStdin(), arg)
	}
	if err != nil {
		return err
	}
	st, err := backend.Open(cmd.Context(), dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	rec, err := st.Record(cmd.Context(), store.Input{Report: r, Refs: f.refs})
	if err != nil {
		return err
	}
	d, _ := store.ParseDSN(dsn)
	if rec.New {
		fmt.Fprintf(cmd.OutOrStdout(), "recorded %s %s (%s): snapshot %d, %d layers, %d new layer inventories, in %s\n",
			rec.Subject.Kind, rec.Subject.Name, rec.Subject.Digest, rec.Snapshot, rec.Layers, rec.NewInventories, d)
	} else {
		fmt.Fprintf(cmd.OutOrStdout(), "already recorded: %s %s (%s) is snapshot %d in %s; its last-seen time and references are updated\n",
			rec.Subject.Kind, rec.Subject.Name, rec.Subject.Digest, rec.Snapshot, d)
	}
	return nil
}

// recordSBOM matches an SBOM against the DB, as `customs scan sbom:FILE`.
func recordSBOM(cmd *cobra.Command, g *globals, arg string) (*report.Report, error) {
	opts := scan.Options{Logger: g.logger(), Version: Version}
	var err error
	if opts.DBPath, err = g.db(); err != nil {
		return nil, err
	}
	r, err := scan.Run(cmd.Context(), target.Parse(arg), opts)
	if nodb := (*scan.NoDBError)(nil); errors.As(err, &nodb) {
		return nil, fmt.Errorf("no vulnerability DB at %s to match the SBOM against: build one with `customs db update` or `customs db build`, or install one with `customs db pull REF`", nodb.Path)
	}
	return r, err
}
