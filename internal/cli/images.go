package cli

import (
	"cmp"
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/store"
)

// severityColumns are the severities images counts, most severe first.
var severityColumns = []string{"CRITICAL", "HIGH", "MEDIUM", "LOW", "NEGLIGIBLE", "UNKNOWN"}

func newImagesCmd(g *globals) *cobra.Command {
	var out *outputFlags
	cmd := &cobra.Command{
		Use:   "images",
		Short: "List the stored images and hosts with their findings by severity",
		Long: `List every image and host the store holds, with its current snapshot's package count and
findings by severity, and how many snapshots it has (customs history shows them).

The store is --store DSN, else $CUSTOMS_STORE, else store in the config file.
Output: -o table (default), json or csv; see docs/store.md for the JSON.`,
		Example: `  customs images --store customs-store.db
  customs images -o csv`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			outs, err := out.parse()
			if err != nil {
				return err
			}
			st, err := g.openStore(cmd.Context())
			if err != nil {
				return err
			}
			defer st.Close()
			subs, err := st.Subjects(cmd.Context())
			if err != nil {
				return err
			}
			slices.SortFunc(subs, func(a, b store.SubjectSummary) int {
				return cmp.Or(cmp.Compare(a.Subject.Kind, b.Subject.Kind), cmp.Compare(subjectName(a.Subject), subjectName(b.Subject)),
					cmp.Compare(a.Subject.Digest, b.Subject.Digest))
			})
			if subs == nil {
				subs = []store.SubjectSummary{}
			}
			doc := imagesDoc{SchemaVersion: storeSchemaVersion, Subjects: subs}
			return writeStoreOutputs(cmd.OutOrStdout(), outs, doc,
				func(w io.Writer) error { return imagesCSV(w, subs) },
				func(w io.Writer) error { return imagesTable(w, subs) })
		},
	}
	out = addOutputFlags(cmd.Flags(), "images", storeFormats)
	return cmd
}

// imagesDoc is customs images -o json.
type imagesDoc struct {
	SchemaVersion int                    `json:"schemaVersion"`
	Subjects      []store.SubjectSummary `json:"subjects"`
}

func imagesTable(w io.Writer, subs []store.SubjectSummary) error {
	if len(subs) == 0 {
		_, err := fmt.Fprintln(w, "no match: the store holds no image or host")
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tNAME\tDIGEST\tLAST SEEN\tSNAPSHOTS\tPACKAGES\t"+strings.Join(severityColumns, "\t"))
	for _, s := range subs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%d\t%d", s.Subject.Kind, subjectName(s.Subject), report.ShortDigest(s.Subject.Digest), stamp(s.Subject.LastSeen), s.Snapshots, s.Packages)
		for _, sev := range severityColumns {
			fmt.Fprintf(tw, "\t%d", s.BySeverity[sev])
		}
		fmt.Fprintln(tw)
	}
	return tw.Flush()
}

func imagesCSV(w io.Writer, subs []store.SubjectSummary) error {
	cw := csv.NewWriter(w)
	head := []string{"kind", "name", "digest", "refs", "lastSeen", "snapshots", "packages"}
	for _, sev := range severityColumns {
		head = append(head, strings.ToLower(sev))
	}
	cw.Write(head)
	for _, s := range subs {
		row := []string{s.Subject.Kind, subjectName(s.Subject), s.Subject.Digest, strings.Join(s.Subject.Refs, " "), csvTime(s.Subject.LastSeen),
			strconv.Itoa(s.Snapshots), strconv.Itoa(s.Packages)}
		for _, sev := range severityColumns {
			row = append(row, strconv.Itoa(s.BySeverity[sev]))
		}
		cw.Write(row)
	}
	cw.Flush()
	return cw.Error()
}

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
