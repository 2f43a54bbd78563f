// Package cli implements the customs command line: commands, flags and
// environment turned into typed options for each stage.
package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/customs-scanner/customs/internal/suggest"
)

// Version is the customs version, set at build time with -ldflags "-X ...cli.Version=...".
var Version = "0.1.0-dev"

// Exit codes.
const (
	ExitOK       = 0
	ExitFindings = 1 // --fail-on matched
	ExitError    = 2
)

// errFindings is returned by a command whose gate failed; it maps to exit 1.
type errFindings struct{ msg string }

func (e errFindings) Error() string { return e.msg }

// Main runs customs with args (without the program name) and returns the exit code.
func Main(ctx context.Context, args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	root, g := newRoot(stdout, stderr)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
	if perr := g.stopProfile(); perr != nil && err == nil {
		err = perr
	}
	if err == nil {
		return ExitOK
	}
	var ef errFindings
	if errors.As(err, &ef) {
		fmt.Fprintf(stderr, "customs: %s\n", ef.msg)
		return ExitFindings
	}
	fmt.Fprintf(stderr, "customs: error: %s\n", oneLine(err.Error()))
	return ExitError
}

func oneLine(s string) string {
	return strings.Join(strings.Fields(s), " ")
}

type globals struct {
	cacheDir string
	dbPath   string
	debug    bool
	quiet    bool
	store    string // --store, read by storeDSN()
	stderr   io.Writer

	configPath string // --config, read by config()

	cpuProfile string       // --cpuprofile (hidden)
	traceFile  string       // --trace (hidden)
	profiling  func() error // stops them; set while they are written
}

func newRoot(stdout, stderr io.Writer) (*cobra.Command, *globals) {
	g := &globals{stderr: stderr}
	root := &cobra.Command{
		Use:   "customs",
		Short: "Scan container images for vulnerable packages",
		Long: `customs opens a container image (a docker save archive, an OCI layout, a registry,
the local Docker Engine or an unpacked root filesystem), lists every package in it with
the layer that brought it in, and matches them against an offline vulnerability DB.

Quick start:
  customs db build --source alpine-secdb=testdata/feeds/alpine-secdb/v3.10
  customs scan docker-archive:testdata/images/alpine-310.tar.gz`,
		SilenceErrors: true,
		SilenceUsage:  true,
		Version:       Version,
	}
	root.PersistentFlags().StringVar(&g.cacheDir, "cache-dir", "", "cache directory for the layer cache and the default DB (default: the user cache dir + /customs)")
	root.PersistentFlags().StringVar(&g.configPath, "config", "", "config file (default: $CUSTOMS_CONFIG, else the user config dir + /customs/config.yaml)")
	root.PersistentFlags().StringVar(&g.dbPath, "db", "", "vulnerability DB file (default: $CUSTOMS_DB, else CACHE_DIR/db/customs.db)")
	root.PersistentFlags().BoolVar(&g.debug, "debug", false, "log debug information to stderr")
	root.PersistentFlags().StringVar(&g.store, "store", "", "the store scan and audit record into and where, spread and history read (default: $CUSTOMS_STORE, else store from the config file; see docs/store.md)")
	root.PersistentFlags().BoolVarP(&g.quiet, "quiet", "q", false, "print no progress and no warnings, only errors and the gate's verdict")
	g.profileFlags(root.PersistentFlags())
	root.PersistentPreRunE = func(cmd *cobra.Command, _ []string) error {
		if g.quiet {
			// Main still prints the error and --fail-on's verdict on
			// its own stderr.
			root.SetErr(io.Discard)
		}
		return g.startProfile()
	}
	root.AddCommand(newScanCmd(g), newSBOMCmd(g), newConvertCmd(g), newDBCmd(g), newVexCmd(time.Now), newVersionCmd(), newAuditCmd(g), newExplainCmd(g), newRecordCmd(g),
		newWhereCmd(g), newSpreadCmd(g), newHistoryCmd(g), newImagesCmd(g), newStoreCmd(g), newTokenCmd(g))
	root.AddCommand(newReevaluateCmd(g), newNotifyCmd(g), newDriftCmd(g), newServeCmd(g), newWorkerCmd(g))
	refuseUnknown(root)
	return root, g
}

// refuseUnknown makes every command that only groups subcommands fail on an
// unknown one, with a suggestion, instead of printing its help and
// exiting 0 (cobra's default below the root), and makes a mistyped flag
// suggest the nearest one.
func refuseUnknown(c *cobra.Command) {
	c.SuggestionsMinimumDistance = 2
	if c.HasSubCommands() && c.Run == nil && c.RunE == nil {
		c.Args = cobra.ArbitraryArgs
		c.RunE = func(cmd *cobra.Command, args []string) error {
			if len(args) == 0 {
				return cmd.Help()
			}
			msg := fmt.Sprintf("unknown command %q for %q", args[0], cmd.CommandPath())
			if s := cmd.SuggestionsFor(args[0]); len(s) > 0 {
				msg += "; did you mean " + strings.Join(s, " or ") + "?"
			}
			return fmt.Errorf("%s (see %s --help)", msg, cmd.CommandPath())
		}
	}
	if !c.HasParent() {
		c.SetFlagErrorFunc(flagError)
	}
	for _, sub := range c.Commands() {
		refuseUnknown(sub)
	}
}

// flagError adds the nearest flag name to pflag's "unknown flag" errors.
func flagError(cmd *cobra.Command, err error) error {
	msg := err.Error()
	var name string
	switch {
	case strings.HasPrefix(msg, "unknown flag: --"):
		name = strings.TrimPrefix(msg, "unknown flag: --")
	case strings.HasPrefix(msg, "unknown shorthand flag: "):
		// "unknown shorthand flag: 'x' in -xyz": a long flag written with one dash.
		_, name, _ = strings.Cut(msg, " in -")
	default:
		return err
	}
	var names []string
	cmd.Flags().VisitAll(func(f *pflag.Flag) { names = append(names, f.Name) })
	out := fmt.Sprintf("unknown flag --%s", name)
	if strings.HasPrefix(msg, "unknown shorthand") {
		out = fmt.Sprintf("unknown flag -%s", name)
	}
	if slices.Contains(names, name) { // -fail-on for --fail-on
		return fmt.Errorf("%s; did you mean --%s?", out, name)
	}
	if near, ok := suggest.Closest(name, names, suggest.MaxTypos(len(name))); ok {
		return fmt.Errorf("%s; did you mean --%s?", out, near)
	}
	if owners := flagOwners(cmd.Root(), name); len(owners) > 0 {
		return fmt.Errorf("%s: it is a flag of %s; give it after the command name", out, strings.Join(owners, ", "))
	}
	return fmt.Errorf("%s (see %s --help)", out, cmd.CommandPath())
}

// flagOwners lists the commands under c that have a local flag name, for a
// flag given before its command ("customs --skip-db scan").
func flagOwners(c *cobra.Command, name string) []string {
	var out []string
	if c.LocalNonPersistentFlags().Lookup(name) != nil {
		out = append(out, c.CommandPath())
	}
	for _, sub := range c.Commands() {
		out = append(out, flagOwners(sub, name)...)
	}
	return out
}

func (g *globals) logger() *slog.Logger {
	level := slog.LevelWarn
	if g.debug {
		level = slog.LevelDebug
	} else if g.quiet {
		level = slog.LevelError
	}
	return slog.New(slog.NewTextHandler(g.stderr, &slog.HandlerOptions{Level: level}))
}

// cache returns the cache directory.
func (g *globals) cache() (string, error) {
	if g.cacheDir != "" {
		return g.cacheDir, nil
	}
	if d := os.Getenv("CUSTOMS_CACHE_DIR"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("find the user cache directory: %w; set --cache-dir", err)
	}
	return filepath.Join(d, "customs"), nil
}

// db returns the DB path.
func (g *globals) db() (string, error) {
	if g.dbPath != "" {
		return g.dbPath, nil
	}
	if p := os.Getenv("CUSTOMS_DB"); p != "" {
		return p, nil
	}
	c, err := g.cache()
	if err != nil {
		return "", err
	}
	return filepath.Join(c, "db", "customs.db"), nil
}

func newVersionCmd() *cobra.Command {
	return &cobra.Command{
		Use:   "version",
		Short: "Print the customs version",
		Args:  cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			fmt.Fprintf(cmd.OutOrStdout(), "customs %s\n", Version)
			return nil
		},
	}
}
