package cli

import (
	"errors"
	"fmt"
	"time"

	"github.com/spf13/cobra"

	"github.com/customs-scanner/customs/internal/store"
)

func newStoreCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "store",
		Short: "Maintain the store",
	}
	var keepLast int
	var olderThan time.Duration
	prune := &cobra.Command{
		Use:   "prune --keep-last N --older-than DURATION",
		Short: "Drop old snapshots, keeping each subject's current one",
		Long: `Drop each image's and host's snapshots beyond its --keep-last most recent that were
recorded longer ago than --older-than, never a subject's current snapshot, then the layer
inventories no remaining snapshot holds. Give at least one of the two flags.`,
		Example: `  customs store prune --keep-last 10 --older-than 2160h --store customs-store.db`,
		Args:    cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if keepLast < 0 || olderThan < 0 {
				return errors.New("--keep-last and --older-than take positive values")
			}
			if !cmd.Flags().Changed("keep-last") && !cmd.Flags().Changed("older-than") {
				return errors.New("store prune: give --keep-last N, --older-than DURATION or both")
			}
			st, err := g.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			opts := store.PruneOptions{KeepLast: keepLast}
			if olderThan > 0 {
				opts.OlderThan = time.Now().Add(-olderThan)
			}
			p, err := st.Prune(cmd.Context(), opts)
			if err != nil {
				return err
			}
			_, err = fmt.Fprintf(cmd.OutOrStdout(), "pruned %d snapshot(s) and %d layer inventory(ies)\n", p.Snapshots, p.Inventories)
			return err
		},
	}
	prune.Flags().IntVar(&keepLast, "keep-last", 0, "keep each subject's `N` most recent snapshots whatever their age (its current one is always kept)")
	prune.Flags().DurationVar(&olderThan, "older-than", 0, "keep snapshots recorded within this `DURATION` (such as 720h); 0 keeps none for their age")
	cmd.AddCommand(prune)
	return cmd
}
