package cli

import (
	"encoding/json"
	"fmt"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/customs-scanner/customs/internal/notify"
	"github.com/customs-scanner/customs/internal/store"
	"github.com/customs-scanner/customs/internal/store/backend"
)

func newNotifyCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "notify",
		Short: "Inspect and deliver the notifications queued in the store",
	}
	cmd.AddCommand(newNotifyStatusCmd(g), newNotifyDeliverCmd(g))
	return cmd
}

func newNotifyStatusCmd(g *globals) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "status --store DSN",
		Short: "List the notifications not delivered yet: pending (to retry) and failed",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dsn, err := g.needStore()
			if err != nil {
				return err
			}
			if format != "table" && format != "json" {
				return fmt.Errorf("-o %s: give table or json", format)
			}
			st, err := backend.Open(cmd.Context(), dsn)
			if err != nil {
				return err
			}
			defer st.Close()
			ds, err := st.Undelivered(cmd.Context())
			if err != nil {
				return err
			}
			for i := range ds {
				ds[i].Target = notify.Redact(ds[i].Target)
			}
			w := cmd.OutOrStdout()
			if format == "json" {
				if ds == nil {
					ds = []store.Delivery{}
				}
				enc := json.NewEncoder(w)
				enc.SetIndent("", "  ")
				return enc.Encode(struct {
					SchemaVersion int              `json:"schemaVersion"`
					Deliveries    []store.Delivery `json:"deliveries"`
				}{1, ds})
			}
			if len(ds) == 0 {
				fmt.Fprintln(w, "no notification waits for delivery")
				return nil
			}
			tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
			fmt.Fprintln(tw, "ID\tSUBJECT\tWEBHOOK\tSTATE\tATTEMPTS\tNEXT ATTEMPT\tLAST ERROR")
			for _, d := range ds {
				next := d.NextAttempt.UTC().Format(time.RFC3339)
				if d.State == store.Failed {
					next = "-"
				}
				fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%s\t%s\n", d.ID, d.Subject, d.Target, d.State, d.Attempts, next, shorten(d.LastError, 80))
			}
			return tw.Flush()
		},
	}
	cmd.Flags().StringVarP(&format, "output", "o", "table", "output format: table or json")
	return cmd
}

func newNotifyDeliverCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "deliver --store DSN",
		Short: "Send the queued notifications whose time has come",
		Long: `Send the queued notifications whose time has come to the config's notify.webhooks
and the store's subscriptions (customs serve's /v1/subscriptions). A notification is marked delivered once its webhook answered 2xx; else it is retried with
a backoff (30 s, doubling, at most an hour) up to 10 attempts, then marked failed.`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			dsn, err := g.needStore()
			if err != nil {
				return err
			}
			hooks, err := webhooks(g)
			if err != nil {
				return err
			}
			st, err := backend.Open(cmd.Context(), dsn)
			if err != nil {
				return err
			}
			defer st.Close()
			if hooks, err = allHooks(cmd.Context(), st, hooks); err != nil {
				return err
			}
			gd, err := configGuard(g)
			if err != nil {
				return err
			}
			n, err := notify.DeliverWith(cmd.Context(), st, hooks, hookClients(gd), time.Now)
			fmt.Fprintf(cmd.OutOrStdout(), "notifications: %d sent, %d to retry, %d failed\n", n.Sent, n.Retrying, n.Failed)
			return err
		},
	}
	return cmd
}
