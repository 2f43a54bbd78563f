package cli

import (
	"encoding/json"
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/customs-scanner/customs/internal/notify"
	"github.com/customs-scanner/customs/internal/reevaluate"
	"github.com/customs-scanner/customs/internal/store"
	"github.com/customs-scanner/customs/internal/store/backend"
)

type reevaluateFlags struct {
	full      bool
	noDeliver bool
	format    string
}

func newReevaluateCmd(g *globals) *cobra.Command {
	f := &reevaluateFlags{}
	cmd := &cobra.Command{
		Use:   "reevaluate --store DSN",
		Short: "Re-match the stored inventories against the current DB and notify what changed",
		Long: `Re-match every stored image's and host's inventory against the current vulnerability DB,
without reading any image, and record for each subject whose findings changed a new
snapshot with what was added, resolved and changed (severity, status, fixed version,
KEV listing, an EPSS score crossing 0.1); customs history shows them. A subject whose
findings did not change keeps its snapshot, marked as matched against the new DB.

Only subjects holding a package whose advisories differ between the DB build they were last
matched against and the current one are re-matched, and of those only such packages; --full
re-matches all.
Each webhook of the config's notify.webhooks (and of the store's subscriptions) gets one event per changed subject (after its
filters), queued in the store with the snapshot and delivered at the end (--no-deliver
leaves them queued for customs notify deliver). A subject's first recording sends nothing.
customs db update and db build run this when a store is configured. See docs/store.md.`,
		Example: `  customs reevaluate --store customs-store.db
  customs reevaluate --store postgres://customs@db/customs --full -o json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dsn, err := g.needStore()
			if err != nil {
				return err
			}
			if f.format != "table" && f.format != "json" {
				return fmt.Errorf("-o %s: give table or json", f.format)
			}
			return runReevaluate(cmd, g, dsn, f.full, !f.noDeliver, f.format)
		},
	}
	fl := cmd.Flags()
	fl.BoolVar(&f.full, "full", false, "re-match every subject, not only those matched against another DB build")
	fl.BoolVar(&f.noDeliver, "no-deliver", false, "queue the notifications without sending them")
	fl.StringVarP(&f.format, "output", "o", "table", "output format: table or json")
	return cmd
}

// webhooks are the config's notify.webhooks, checked.
func webhooks(g *globals) ([]notify.Webhook, error) {
	cfg, err := g.config()
	if err != nil {
		return nil, err
	}
	for _, h := range cfg.Notify.Webhooks {
		if err := h.Check(); err != nil {
			return nil, fmt.Errorf("config %s: %w", cfg.Path, err)
		}
	}
	return cfg.Notify.Webhooks, nil
}

type reevaluateOutput struct {
	SchemaVersion int               `json:"schemaVersion"`
	Result        reevaluate.Result `json:"result"`
	Delivered     *notify.Delivered `json:"delivered,omitempty"`
}

func runReevaluate(cmd *cobra.Command, g *globals, dsn string, full, deliver bool, format string) error {
	hooks, err := webhooks(g)
	if err != nil {
		return err
	}
	dbPath, err := g.db()
	if err != nil {
		return err
	}
	if _, err := os.Stat(dbPath); err != nil {
		return fmt.Errorf("no vulnerability DB at %s to re-evaluate against: build one with `customs db update` or `customs db build`", dbPath)
	}
	st, err := backend.Open(cmd.Context(), dsn)
	if err != nil {
		return err
	}
	defer st.Close()
	if hooks, err = allHooks(cmd.Context(), st, hooks); err != nil {
		return err
	}
	res, err := reevaluate.Run(cmd.Context(), st, reevaluate.Options{DBPath: dbPath, Full: full, Hooks: hooks, Version: Version})
	if err != nil {
		return err
	}
	out := reevaluateOutput{SchemaVersion: 1, Result: res}
	var deliverErr error
	if deliver {
		gd, err := configGuard(g)
		if err != nil {
			return err
		}
		n, err := notify.DeliverWith(cmd.Context(), st, hooks, hookClients(gd), time.Now)
		out.Delivered, deliverErr = &n, err
	}
	w := cmd.OutOrStdout()
	if format == "json" {
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
		return deliverErr
	}
	printReevaluation(w, out)
	return deliverErr
}

func printReevaluation(w io.Writer, out reevaluateOutput) {
	res := out.Result
	fmt.Fprintf(w, "re-evaluated %d of %d subjects against the DB built %s in %s: %d changed, %d notifications queued\n",
		res.Rematched, res.Subjects, res.DBBuilt.UTC().Format(time.RFC3339), res.Duration.Round(time.Millisecond), res.Changed, res.Events)
	if res.Kept > 0 {
		fmt.Fprintf(w, "  %d subjects kept their findings: no advisory of their packages changed (%d of %d package keys did)\n", res.Kept, res.ChangedKeys, res.Keys)
	}
	for _, d := range res.Changes {
		fmt.Fprintf(w, "  %s %s: %d added, %d resolved, %d changed (customs history %s)\n",
			d.Subject.Kind, d.Subject.Name, len(d.Change.Added), len(d.Change.Resolved), len(d.Change.Changed), d.Subject.Digest)
	}
	if n := out.Delivered; n != nil && (n.Sent+n.Retrying+n.Failed > 0) {
		fmt.Fprintf(w, "notifications: %d sent, %d to retry, %d failed (customs notify status)\n", n.Sent, n.Retrying, n.Failed)
	}
}

// reevaluateAfterDB re-evaluates the store after db update or db build,
// when a store is configured and skip is not set.
func reevaluateAfterDB(cmd *cobra.Command, g *globals, skip bool) error {
	if skip {
		return nil
	}
	dsn, err := g.storeDSN()
	if err != nil || dsn == "" {
		return err
	}
	if _, err := store.ParseDSN(dsn); err != nil {
		return err
	}
	return runReevaluate(cmd, g, dsn, false, true, "table")
}
