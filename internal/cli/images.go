package cli

import (
	"cmp"
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

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
