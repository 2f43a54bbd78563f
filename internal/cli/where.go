package cli

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"regexp"
	"slices"
	"strings"
	"text/tabwriter"

	"github.com/spf13/cobra"

	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/scan"
	"github.com/customs-scanner/customs/internal/store"
	"github.com/customs-scanner/customs/internal/version"
)

// storeSchemaVersion versions the JSON of where, spread and history
// (docs/store.md); it changes when a field changes meaning or goes away.
const storeSchemaVersion = 1

// storeFormats: the answers of the store's queries.
var storeFormats = []string{formatTable, formatJSON, formatCSV}

type whereFlags struct {
	out     *outputFlags
	version string
}

func newWhereCmd(g *globals) *cobra.Command {
	f := &whereFlags{}
	cmd := &cobra.Command{
		Use:   "where ID|PURL|NAME",
		Short: "Show which stored images and hosts a vulnerability affects, or which have a package",
		Long: `Answer from the store, without reading any image:

  customs where ID     every stored image and host the vulnerability affects now (their
                       current snapshot), through any of its aliases (CVE-, GHSA-, GO-, ...):
                       the package, installed and fixed version, status, the layer and the
                       step that created it, and the workloads that run the image
                       (recorded by audit --store)
  customs where PURL|NAME [--version RANGE]
                       every stored image and host that has the package (a PURL without a
                       version matches every version; a NAME matches a package or its
                       source package), in which versions, with their vulnerabilities

RANGE is comparisons separated by commas, such as '<3.0.15' or '>=1.2,<2', each checked
in the package's own version scheme: dpkg versions as dpkg compares them, apk versions
as apk does. An ID or package the store does not know answers "no match" (exit 0).

The store is --store DSN, else $CUSTOMS_STORE, else store in the config file.
Output: -o table (default), json or csv; see docs/store.md for the JSON.`,
		Example: `  customs where CVE-2023-5678 --store customs-store.db
  customs where openssl --version '<3.0.15' -o json
  customs where pkg:deb/debian/libssl3`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runWhere(cmd, g, f, args[0])
		},
	}
	fl := cmd.Flags()
	f.out = addOutputFlags(fl, "where", storeFormats)
	fl.StringVar(&f.version, "version", "", "with a PURL or NAME: only versions in `RANGE` ('<3.0.15', '>=1.2,<2'), compared in the package's own version scheme")
	return cmd
}

// vulnID matches vulnerability IDs (CVE-2024-1234, GHSA-xxxx-xxxx-xxxx,
// GO-2024-0001, PYSEC-2021-1, RUSTSEC-2020-0001, DSA-5532-1) as against
// package names: an upper-case prefix, a dash, and a rest with a digit.
var vulnID = regexp.MustCompile(`^[A-Z][A-Z0-9]*-[A-Za-z0-9._:-]*[0-9][A-Za-z0-9._:-]*$`)

// isVulnID reports whether where's argument is a vulnerability ID rather
// than a package.
func isVulnID(s string) bool { return vulnID.MatchString(s) }

// knownPrefixes are advisory ID prefixes where accepts in any case
// ("cve-2024-1234"); where asks the store with the prefix upper-cased.
var knownPrefixes = []string{"CVE", "GHSA", "GO", "PYSEC", "RUSTSEC", "OSV", "DSA", "DLA", "USN", "ALAS", "ALAS2", "RHSA", "ALSA", "RLSA", "MAL", "BIT", "RSEC", "UVI"}

// lowerIDRest is what follows a known prefix in an ID typed in lower
// case: a number (cve-2024-1234, go-2024-0001) or GHSA's three groups of
// four. A package such as go-md2man is not an ID.
var lowerIDRest = regexp.MustCompile(`^([0-9][0-9a-z._:-]*|[0-9a-z]{4}-[0-9a-z]{4}-[0-9a-z]{4})$`)

// canonicalID upper-cases the prefix of an advisory ID typed in lower
// case; anything else is returned as it is.
func canonicalID(s string) string {
	prefix, rest, ok := strings.Cut(s, "-")
	if !ok || !slices.Contains(knownPrefixes, strings.ToUpper(prefix)) || !lowerIDRest.MatchString(rest) {
		return s
	}
	return strings.ToUpper(prefix) + "-" + rest
}

func runWhere(cmd *cobra.Command, g *globals, f *whereFlags, arg string) error {
	outs, err := f.out.parse()
	if err != nil {
		return err
	}
	var rng version.Constraint
	if f.version != "" {
		if rng, err = version.ParseConstraint(f.version); err != nil {
			return fmt.Errorf("--version: %w", err)
		}
	}
	if f.version == "" {
		arg = canonicalID(arg)
	}
	byID := isVulnID(arg) && f.version == "" && !strings.HasPrefix(arg, "pkg:")
	st, err := g.openStore(cmd.Context())
	if err != nil {
		return err
	}
	defer st.Close()
	if byID {
		ms, err := st.Where(cmd.Context(), arg)
		if err != nil {
			return err
		}
		if ms == nil {
			ms = []store.Match{}
		}
		doc := whereIDDoc{SchemaVersion: storeSchemaVersion, Query: whereQuery{ID: arg}, Matches: ms}
		return writeStoreOutputs(cmd.OutOrStdout(), outs, doc,
			func(w io.Writer) error { return whereIDCSV(w, ms) },
			func(w io.Writer) error { return whereIDTable(w, arg, ms) })
	}
	q := store.PackageQuery{Name: arg}
	if strings.HasPrefix(arg, "pkg:") {
		q = store.PackageQuery{PURL: arg}
	}
	hs, err := st.Holders(cmd.Context(), q)
	if err != nil {
		return err
	}
	if rng != nil {
		if hs, err = inRange(cmd.ErrOrStderr(), hs, rng); err != nil {
			return err
		}
	}
	if hs == nil {
		hs = []store.Holding{}
	}
	doc := wherePackageDoc{SchemaVersion: storeSchemaVersion, Query: whereQuery{Package: arg, Version: f.version}, Matches: hs}
	return writeStoreOutputs(cmd.OutOrStdout(), outs, doc,
		func(w io.Writer) error { return wherePackageCSV(w, hs) },
		func(w io.Writer) error { return wherePackageTable(w, arg, hs) })
}

// inRange keeps the holdings whose version is in rng, compared in their
// package type's scheme. A package whose type has no scheme, or whose
// version the scheme cannot read, is left out with a warning; a bound the
// scheme cannot read is an error.
func inRange(stderr io.Writer, hs []store.Holding, rng version.Constraint) ([]store.Holding, error) {
	ecos := scan.Ecosystems()
	var out []store.Holding
	skipped := map[string]bool{}
	for _, h := range hs {
		d, ok := ecos.Lookup(h.PackageType)
		if !ok || d.Scheme == nil {
			skipped[h.PackageType+" "+h.PackageVersion] = true
			continue
		}
		if _, err := d.Scheme.Parse(h.PackageVersion); err != nil {
			skipped[h.PackageType+" "+h.PackageVersion] = true
			continue
		}
		in, err := rng.Contains(d.Scheme, h.PackageVersion)
		if err != nil {
			return nil, fmt.Errorf("--version %s: %w", rng, err)
		}
		if in {
			out = append(out, h)
		}
	}
	if len(skipped) > 0 {
		fmt.Fprintf(stderr, "customs: warning: --version: %d version(s) not compared, their scheme cannot read them\n", len(skipped))
	}
	return out, nil
}

type whereQuery struct {
	ID      string `json:"id,omitempty"`
	Package string `json:"package,omitempty"`
	Version string `json:"version,omitempty"`
}

// whereIDDoc is customs where ID -o json.
type whereIDDoc struct {
	SchemaVersion int           `json:"schemaVersion"`
	Query         whereQuery    `json:"query"`
	Matches       []store.Match `json:"matches"`
}

// wherePackageDoc is customs where PURL|NAME -o json.
type wherePackageDoc struct {
	SchemaVersion int             `json:"schemaVersion"`
	Query         whereQuery      `json:"query"`
	Matches       []store.Holding `json:"matches"`
}

// writeStoreOutputs writes a store query's answer in each of outs
// (storeFormats): doc as JSON, else what csv or table writes.
func writeStoreOutputs(stdout io.Writer, outs []outputSpec, doc any, csv, table func(io.Writer) error) error {
	return writeOutputs(stdout, outs, func(w io.Writer, o outputSpec) error {
		switch o.Format {
		case formatJSON:
			return encodeJSON(w, doc)
		case formatCSV:
			return csv(w)
		}
		return table(w)
	})
}

func encodeJSON(w io.Writer, v any) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	return enc.Encode(v)
}

func whereIDTable(w io.Writer, id string, ms []store.Match) error {
	if len(ms) == 0 {
		_, err := fmt.Fprintf(w, "no match: no stored image or host is affected by %s\n", id)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tSUBJECT\tPACKAGE\tINSTALLED\tFIXED\tSTATUS\tSEVERITY\tVULNERABILITY\tLAYER\tCREATED BY\tRUNNING IN")
	for _, m := range ms {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", m.Subject.Kind, subjectName(m.Subject), m.PackageName, m.PackageVersion,
			dash(m.FixedVersion), m.Status, m.Severity, m.VulnerabilityID, dash(report.ShortDigest(m.Layer)), dash(clip(m.CreatedBy, 40)), placements(m.RunningIn))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d finding(s) of %s in %d subject(s)\n", len(ms), id, countSubjects(ms, func(m store.Match) store.Subject { return m.Subject }))
	return err
}

func whereIDCSV(w io.Writer, ms []store.Match) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"kind", "name", "digest", "packageName", "packageVersion", "purl", "vulnerabilityID", "status", "fixedVersion", "severity", "layer", "createdBy", "runningIn"})
	for _, m := range ms {
		cw.Write([]string{m.Subject.Kind, subjectName(m.Subject), m.Subject.Digest, m.PackageName, m.PackageVersion, m.PURL, m.VulnerabilityID,
			m.Status, m.FixedVersion, m.Severity, m.Layer, m.CreatedBy, placements(m.RunningIn)})
	}
	cw.Flush()
	return cw.Error()
}

func wherePackageTable(w io.Writer, arg string, hs []store.Holding) error {
	if len(hs) == 0 {
		_, err := fmt.Fprintf(w, "no match: no stored image or host has %s\n", arg)
		return err
	}
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "KIND\tSUBJECT\tPACKAGE\tVERSION\tTYPE\tVULNERABILITIES\tLAYER\tCREATED BY\tRUNNING IN")
	for _, h := range hs {
		fmt.Fprintf(tw, "%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\t%s\n", h.Subject.Kind, subjectName(h.Subject), h.PackageName, h.PackageVersion, h.PackageType,
			dash(findingIDs(h.Findings)), dash(report.ShortDigest(h.Layer)), dash(clip(h.CreatedBy, 40)), placements(h.RunningIn))
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	_, err := fmt.Fprintf(w, "%d package(s) in %d subject(s)\n", len(hs), countSubjects(hs, func(h store.Holding) store.Subject { return h.Subject }))
	return err
}

func wherePackageCSV(w io.Writer, hs []store.Holding) error {
	cw := csv.NewWriter(w)
	cw.Write([]string{"kind", "name", "digest", "packageName", "packageVersion", "packageType", "purl", "vulnerabilities", "layer", "createdBy", "runningIn"})
	for _, h := range hs {
		cw.Write([]string{h.Subject.Kind, subjectName(h.Subject), h.Subject.Digest, h.PackageName, h.PackageVersion, h.PackageType, h.PURL,
			findingIDs(h.Findings), h.Layer, h.CreatedBy, placements(h.RunningIn)})
	}
	cw.Flush()
	return cw.Error()
}

// subjectName names a subject in a table: its name, else its digest.
func subjectName(s store.Subject) string {
	if s.Name != "" {
		return s.Name
	}
	return s.Digest
}

func countSubjects[T any](xs []T, of func(T) store.Subject) int {
	seen := map[[2]string]bool{}
	for _, x := range xs {
		s := of(x)
		seen[[2]string{s.Kind, s.Digest}] = true
	}
	return len(seen)
}

// placements names where an image runs: "k8s Deployment/shop/web[app]".
func placements(ps []store.Placement) string {
	var out []string
	for _, p := range ps {
		name := p.Kind + "/" + p.Name
		if p.Namespace != "" {
			name = p.Kind + "/" + p.Namespace + "/" + p.Name
		}
		if p.Container != "" && p.Container != p.Name {
			name += "[" + p.Container + "]"
		}
		out = append(out, p.Runtime+" "+name)
	}
	return strings.Join(out, ", ")
}

// findingIDs lists the vulnerability IDs of fs, each once, in order.
func findingIDs(fs []store.Finding) string {
	var ids []string
	seen := map[string]bool{}
	for _, f := range fs {
		if !seen[f.VulnerabilityID] {
			seen[f.VulnerabilityID] = true
			ids = append(ids, f.VulnerabilityID)
		}
	}
	return strings.Join(ids, " ")
}

func clip(s string, n int) string {
	s = strings.Join(strings.Fields(s), " ")
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

func dash(s string) string {
	if s == "" {
		return "-"
	}
	return s
}
