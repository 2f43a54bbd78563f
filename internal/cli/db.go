package cli

import (
	stdjson "encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"os"
	"path/filepath"
	"runtime/debug"
	"slices"
	"strings"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"

	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/customs-scanner/customs/internal/vulndb/build"
	"github.com/customs-scanner/customs/internal/vulndb/sqlite"
	"github.com/customs-scanner/customs/internal/vulndb/update"
)

func newDBCmd(g *globals) *cobra.Command {
	cmd := &cobra.Command{
		Use:   "db",
		Short: "Build and inspect the vulnerability DB",
		Long: `The vulnerability DB is one SQLite file that works offline. Scans read it from --db,
$CUSTOMS_DB, or CACHE_DIR/db/customs.db.`,
	}
	cmd.AddCommand(newDBBuildCmd(g), newDBStatusCmd(g), newDBUpdateCmd(g),
		newDBKeygenCmd(g), newDBPushCmd(g), newDBPullCmd(g), newDBExportCmd(g), newDBImportCmd(g))
	return cmd
}

func newDBBuildCmd(g *globals) *cobra.Command {
	var sources []string
	var noReevaluate bool
	cmd := &cobra.Command{
		Use:   "build --source KIND=PATH [--source KIND=PATH ...]",
		Short: "Build the vulnerability DB from local copies of advisory feeds",
		Long: "Build the vulnerability DB from local copies of real advisory feeds, in their native formats.\n\n" +
			"Source kinds:\n  " + strings.Join(build.Kinds(), "\n  ") + `

The new DB is written beside the old one and renamed into place when complete, so scans
running meanwhile keep reading the old DB and a failed build leaves it untouched. A record
a feed cannot parse is skipped with a warning naming the feed and the record; the other
records and feeds still import.`,
		Example: `  customs db build --source alpine-secdb=secdb/v3.10 --source osv=osv/Go.zip
  customs db build --db ./customs.db --source debian-tracker=tracker.json`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			if len(sources) == 0 {
				return fmt.Errorf("no --source given; name at least one feed as KIND=PATH (see customs db build --help)")
			}
			var srcs []build.Source
			for _, s := range sources {
				src, err := build.ParseSource(s)
				if err != nil {
					return err
				}
				srcs = append(srcs, src)
			}
			path, err := g.db()
			if err != nil {
				return err
			}
			if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
				return fmt.Errorf("create DB directory: %w", err)
			}
			raiseMemoryLimit()
			start := time.Now()
			info, err := build.Build(cmd.Context(), path, srcs, g.logger())
			var partial *build.PartialError
			if err != nil && !errors.As(err, &partial) {
				return err
			}
			fmt.Fprintf(cmd.OutOrStdout(), "built %s in %s: %d advisories, %d affected packages from %d sources\n",
				path, time.Since(start).Round(time.Millisecond), info.Advisories, info.Affected, len(info.Sources))
			if err != nil {
				return err // a partial build is installed, and still an error
			}
			return reevaluateAfterDB(cmd, g, noReevaluate)
		},
	}
	cmd.Flags().StringArrayVar(&sources, "source", nil, "a feed as KIND=PATH (repeatable)")
	cmd.Flags().BoolVar(&noReevaluate, "no-reevaluate", false, "do not re-evaluate the store (--store) against the new DB")
	return cmd
}

func newDBStatusCmd(g *globals) *cobra.Command {
	var format string
	cmd := &cobra.Command{
		Use:   "status",
		Short: "Show the DB's sources, record counts, build time and schema version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			path, err := g.db()
			if err != nil {
				return err
			}
			db, err := sqlite.Open(cmd.Context(), path)
			if err != nil {
				return err
			}
			defer db.Close()
			info, err := db.Info(cmd.Context())
			if err != nil {
				return err
			}
			switch format {
			case "json":
				enc := stdjson.NewEncoder(cmd.OutOrStdout())
				enc.SetIndent("", "  ")
				return enc.Encode(info)
			case "table":
				cache, err := g.cache()
				if err != nil {
					return err
				}
				return printStatus(cmd.OutOrStdout(), info, feedStatusByPath(cache))
			}
			return fmt.Errorf("-o %q: unknown format; want table or json", format)
		},
	}
	cmd.Flags().StringVarP(&format, "format", "o", "table", "table or json")
	return cmd
}

func printStatus(w io.Writer, info vulndb.Info, feeds map[string]update.FeedStatus) error {
	fmt.Fprintf(w, "DB:             %s\n", info.Path)
	fmt.Fprintf(w, "Schema version: %d\n", info.SchemaVersion)
	fmt.Fprintf(w, "Built:          %s (%s ago)\n", info.Built.UTC().Format(time.RFC3339), time.Since(info.Built).Round(time.Second))
	fmt.Fprintf(w, "Advisories:     %d\n", info.Advisories)
	fmt.Fprintf(w, "Affected:       %d package records\n", info.Affected)
	fmt.Fprintf(w, "Ecosystems:     %s\n\n", ecosystemsColumn(info.Ecosystems))
	tw := tabwriter.NewWriter(w, 0, 4, 2, ' ', 0)
	fmt.Fprintln(tw, "SOURCE\tADVISORIES\tAFFECTED\tIMPORTED\tUPSTREAM\tPATH")
	for _, s := range info.Sources {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\n", s.Kind, s.Advisories, s.Affected, s.Imported.UTC().Format(time.RFC3339), upstreamColumn(feeds, s.Path), s.Path)
	}
	return tw.Flush()
}

// ecosystemsColumn lists the DB's ecosystems by name with how many
// packages each has advisories for: "2, packages with advisories in each:
// Go (1373), alpine:3.10 (239)".
func ecosystemsColumn(ecos map[string]int) string {
	if len(ecos) == 0 {
		return "none: the DB holds no package advisories, so a scan finds nothing"
	}
	var parts []string
	for _, e := range slices.Sorted(maps.Keys(ecos)) {
		parts = append(parts, fmt.Sprintf("%s (%d)", e, ecos[e]))
	}
	return fmt.Sprintf("%d, packages with advisories in each: %s", len(ecos), strings.Join(parts, ", "))
}

// buildMemoryLimit is the soft memory limit of DB builds.
const buildMemoryLimit = 512 << 20

// raiseMemoryLimit raises the soft memory limit cmd/customs sets for scans
// (unless GOMEMLIMIT chose one): a DB build holds hundreds of MB of live
// advisories, and under the scans' 80 MB the collector would run without a
// pause. A 500k-record OSV build: 77 s and 640 MB peak RSS at 80 MB, 47-50
// s and 875-890 MB at 512 MiB, 52 s and 920 MB with no limit (most of the
// rest is SQLite's sorter and page cache, outside the Go heap).
func raiseMemoryLimit() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(buildMemoryLimit)
	}
}
