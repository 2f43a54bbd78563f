package cli

import (
	"encoding/csv"
	"fmt"
	"io"
	"strconv"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/customs-scanner/customs/internal/store"
)

type historyFlags struct {
	out *outputFlags
}

func newHistoryCmd(g *globals) *cobra.Command {
	f := &historyFlags{}
	cmd := &cobra.Command{
		Use:   "history REF|DIGEST|HOST",
		Short: "Show a stored image's or host's snapshots and what changed between them",
		Long: `List the snapshots the store holds of an image (by reference or manifest digest) or a
host (by host name or machine-id), oldest first, with their package and finding counts,
and what changed from each snapshot to the next: findings added, resolved, and changed
(status, fixed version, severity, KEV listing); then the drift reports (customs drift with
a store) of the containers and hosts that drifted from it, or of the container or host named
(by name, ID or image ID).

A subject the store does not know answers "no match" (exit 0).
The store is --store DSN, else $CUSTOMS_STORE, else store in the config file.
Output: -o table (default), json or csv; see docs/store.md for the JSON.`,
		Example: `  customs history registry.example/shop/app:1.4 --store customs-store.db
  customs history build-7 -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runHistory(cmd, g, f, args[0])
		},
	}
	f.out = addOutputFlags(cmd.Flags(), "history", storeFormats)
	return cmd
}

// historyDoc is customs history -o json.
type historyDoc struct {
	SchemaVersion int               `json:"schemaVersion"`
	Query         historyQuery      `json:"query"`
	Snapshots     []historySnapshot `json:"snapshots"`
	// Drifts are the drift reports of the containers and hosts the query
	// names, or that drifted from its subjects (customs drift), oldest
	// first.
	Drifts []store.DriftRecord `json:"drifts"`
}

type historyQuery struct {
	Subject string `json:"subject"`
}

// historySnapshot is a snapshot with what changed since the subject's
// previous one; the first snapshot of a subject has no changes.
type historySnapshot struct {
	store.Snapshot
	Changes *store.Change `json:"changes"`
}

func runHistory(cmd *cobra.Command, g *globals, f *historyFlags, arg string) error {
	outs, err := f.out.parse()
	if err != nil {
		return err
	}
	st, err := g.openStore(cmd.Context())
	if err != nil {
		return err
	}
	defer st.Close()
	snaps, err := st.History(cmd.Context(), arg)
	if err != nil {
		return err
	}
	drifts, err := st.Drifts(cmd.Context(), arg)
	if err != nil {
		return err
	}
	if drifts == nil {
		drifts = []store.DriftRecord{}
	}
	doc := historyDoc{SchemaVersion: storeSchemaVersion, Query: historyQuery{Subject: arg}, Snapshots: []historySnapshot{}, Drifts: drifts}
	prev := map[[2]string][]store.Finding{}
	for _, s := range snaps {
		h := historySnapshot{Snapshot: s}
		k := [2]string{s.Subject.Kind, s.Subject.Digest}
		if before, ok := prev[k]; ok {
			c := store.Diff(before, s.Findings)
			h.Changes = &c
		}
		prev[k] = s.Findings
		if h.Findings == nil {
			h.Findings = []store.Finding{}
		}
		doc.Snapshots = append(doc.Snapshots, h)
	}
	return writeStoreOutputs(cmd.OutOrStdout(), outs, doc,
		func(w io.Writer) error { return historyCSV(w, doc.Snapshots) },
		func(w io.Writer) error {
			if err := historyTable(w, arg, doc.Snapshots, len(doc.Drifts) > 0); err != nil {
				return err
			}
			return driftTable(w, doc.Drifts, len(doc.Snapshots) > 0)
		})
}

// driftTable lists drift reports: when, what drifted from what, and how
// many changes of each severity.
func driftTable(w io.Writer, ds []store.DriftRecord, after bool) error {
	if len(ds) == 0 {
		return nil
	}
	if after {
		fmt.Fprintln(w)
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "DRIFT\tKIND\tTARGET\tAGAINST\tCREATED\tCHANGES\tCRITICAL\tHIGH\tMEDIUM\tLOW\tOTHER")
	for _, d := range ds {
		target := d.TargetRef
		if d.TargetKind == "container" && d.TargetID != "" {
			target += " (" + d.TargetID[:min(12, len(d.TargetID))] + ")"
		}
		against := d.AgainstRef
		if d.AgainstSnapshot != 0 {
			against += fmt.Sprintf(" (snapshot %d)", d.AgainstSnapshot)
		}
		b := d.BySeverity
		other := d.Items - b["CRITICAL"] - b["HIGH"] - b["MEDIUM"] - b["LOW"]
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%d\t%d\t%d\t%d\t%d\n", d.ID, d.TargetKind, target, against, stamp(d.CreatedAt),
			d.Items, b["CRITICAL"], b["HIGH"], b["MEDIUM"], b["LOW"], other)
	}
	return tw.Flush()
}

func historyTable(w io.Writer, arg string, hs []historySnapshot, drifts bool) error {
	if len(hs) == 0 {
		if drifts {
			return nil
		}
		_, err := fmt.Fprintf(w, "no match: the store has no image, host or drift report of %s\n", arg)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "SNAPSHOT\tKIND\tSUBJECT\tSCANNED\tDB BUILT\tPACKAGES\tFINDINGS\tADDED\tRESOLVED\tCHANGED")
	for _, h := range hs {
		added, resolved, changed := "-", "-", "-"
		if c := h.Changes; c != nil {
			added, resolved, changed = strconv.Itoa(len(c.Added)), strconv.Itoa(len(c.Resolved)), strconv.Itoa(len(c.Changed))
		}
		fmt.Fprintf(tw, "%d\t%s\t%s\t%s\t%s\t%d\t%d\t%s\t%s\t%s\n", h.ID, h.Subject.Kind, subjectName(h.Subject), stamp(h.ScannedAt), stamp(h.DBBuilt),
			h.Packages, len(h.Findings), added, resolved, changed)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	for _, h := range hs {
		c := h.Changes
		if c == nil || c.Empty() {
			continue
		}
		fmt.Fprintf(w, "\nsnapshot %d:\n", h.ID)
		for _, f := range c.Added {
			fmt.Fprintf(w, "  + %s %s %s %s\n", f.VulnerabilityID, f.PackageName, f.PackageVersion, f.Severity)
		}
		for _, f := range c.Resolved {
			fmt.Fprintf(w, "  - %s %s %s %s\n", f.VulnerabilityID, f.PackageName, f.PackageVersion, f.Severity)
		}
		for _, ch := range c.Changed {
			fmt.Fprintf(w, "  ~ %s %s %s: %s\n", ch.After.VulnerabilityID, ch.After.PackageName, ch.After.PackageVersion, findingChange(ch))
		}
	}
	return nil
}

// findingChange says what differs: "severity LOW -> HIGH, status ...".
func findingChange(ch store.FindingChange) string {
	var parts []string
	b, a := ch.Before, ch.After
	if b.Severity != a.Severity {
		parts = append(parts, "severity "+b.Severity+" -> "+a.Severity)
	}
	if b.Status != a.Status {
		parts = append(parts, "status "+b.Status+" -> "+a.Status)
	}
	if b.FixedVersion != a.FixedVersion {
		parts = append(parts, "fixed version "+dash(b.FixedVersion)+" -> "+dash(a.FixedVersion))
	}
	if b.KEV != a.KEV {
		parts = append(parts, fmt.Sprintf("KEV %t -> %t", b.KEV, a.KEV))
	}
	return strings.Join(parts, ", ")
}

func historyCSV(w io.Writer, hs []historySnapshot) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"snapshot", "kind", "name", "digest", "scannedAt", "dbBuilt", "packages", "findings", "added", "resolved", "changed"})
	for _, h := range hs {
		var added, resolved, changed string
		if c := h.Changes; c != nil {
			added, resolved, changed = strconv.Itoa(len(c.Added)), strconv.Itoa(len(c.Resolved)), strconv.Itoa(len(c.Changed))
		}
		cw.Write([]string{strconv.FormatInt(h.ID, 10), h.Subject.Kind, subjectName(h.Subject), h.Subject.Digest, h.ScannedAt.Format(time.RFC3339),
			csvTime(h.DBBuilt), strconv.Itoa(h.Packages), strconv.Itoa(len(h.Findings)), added, resolved, changed})
	}
	cw.Flush()
	return cw.Error()
}

func stamp(t time.Time) string {
	if t.IsZero() {
		return "-"
	}
	return t.UTC().Format("2006-01-02 15:04")
}

func csvTime(t time.Time) string {
	if t.IsZero() {
		return ""
	}
	return t.UTC().Format(time.RFC3339)
}
