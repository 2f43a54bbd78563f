package cli

import (
	"encoding/csv"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/customs-scanner/customs/internal/service"
	"github.com/customs-scanner/customs/internal/store"
)

type spreadFlags struct {
	out      *outputFlags
	upstream bool
}

func newSpreadCmd(g *globals) *cobra.Command {
	f := &spreadFlags{}
	cmd := &cobra.Command{
		Use:   "spread NAME|PURL",
		Short: "Show the fleet's versions of a package: how many images and hosts have each, and what each is vulnerable to",
		Long: `Answer from the store, without reading any image: each distinct version of the package
(a NAME matches a package or its source package, so openssl finds libssl3 too) across every
stored image's and host's current snapshot, how many images and hosts have it, and which
vulnerabilities affect it.

--upstream groups a distribution's revisions of one upstream version: Debian's
3.0.15-1~deb12u1 and Alpine's 3.0.15-r0 are both 3.0.15. Versions are ordered by the
package's own version scheme.

The store is --store DSN, else $CUSTOMS_STORE, else store in the config file.
Output: -o table (default), json or csv; see docs/store.md for the JSON.`,
		Example: `  customs spread openssl --store customs-store.db
  customs spread openssl --upstream -o json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSpread(cmd, g, f, args[0])
		},
	}
	fl := cmd.Flags()
	f.out = addOutputFlags(fl, "spread", storeFormats)
	fl.BoolVar(&f.upstream, "upstream", false, "group distribution revisions of one upstream version (3.0.15-1~deb12u1 and 3.0.15-r0 are 3.0.15)")
	return cmd
}

// spreadDoc is customs spread -o json.
type spreadDoc struct {
	SchemaVersion int                   `json:"schemaVersion"`
	Query         spreadQuery           `json:"query"`
	Versions      []store.VersionSpread `json:"versions"`
}

type spreadQuery struct {
	Package  string `json:"package"`
	Upstream bool   `json:"upstream"`
}

func runSpread(cmd *cobra.Command, g *globals, f *spreadFlags, arg string) error {
	outs, err := f.out.parse()
	if err != nil {
		return err
	}
	st, err := g.openStore(cmd.Context())
	if err != nil {
		return err
	}
	defer st.Close()
	// The table and CSV print counts: the holders are read only for JSON.
	subjects := slices.ContainsFunc(outs, func(o outputSpec) bool { return o.Format == formatJSON })
	vs, err := service.Spread(cmd.Context(), st, arg, f.upstream, subjects)
	if err != nil {
		return err
	}
	doc := spreadDoc{SchemaVersion: storeSchemaVersion, Query: spreadQuery{Package: arg, Upstream: f.upstream}, Versions: vs}
	return writeStoreOutputs(cmd.OutOrStdout(), outs, doc,
		func(w io.Writer) error { return spreadCSV(w, vs) },
		func(w io.Writer) error { return spreadTable(w, arg, vs) })
}

func spreadTable(w io.Writer, arg string, vs []store.VersionSpread) error {
	if len(vs) == 0 {
		_, err := fmt.Fprintf(w, "no match: no stored image or host has %s\n", arg)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "VERSION\tIMAGES\tHOSTS\tVULNERABILITIES\tVERSIONS")
	for _, v := range vs {
		versions := ""
		if len(v.Versions) > 1 || (len(v.Versions) == 1 && v.Versions[0] != v.Version) {
			versions = strings.Join(v.Versions, " ")
		}
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\n", v.Version, v.Images, v.Hosts, dash(vulnSummary(v.Vulnerabilities)), versions)
	}
	return tw.Flush()
}

func spreadCSV(w io.Writer, vs []store.VersionSpread) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"version", "versions", "images", "hosts", "vulnerabilities"})
	for _, v := range vs {
		cw.Write([]string{v.Version, strings.Join(v.Versions, " "), strconv.Itoa(v.Images), strconv.Itoa(v.Hosts), findingIDs(v.Vulnerabilities)})
	}
	cw.Flush()
	return cw.Error()
}

// vulnSummary lists vulnerability IDs with their severity, each once.
func vulnSummary(fs []store.Finding) string {
	var out []string
	seen := map[string]bool{}
	for _, f := range fs {
		if !seen[f.VulnerabilityID] {
			seen[f.VulnerabilityID] = true
			out = append(out, f.VulnerabilityID+" ("+strings.ToLower(f.Severity)+")")
		}
	}
	return strings.Join(out, ", ")
}
