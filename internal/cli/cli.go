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
	"strings"
	"time"

	"github.com/spf13/cobra"
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
	root := newRoot(stdout, stderr)
	root.SetArgs(args)
	root.SetIn(stdin)
	root.SetOut(stdout)
	root.SetErr(stderr)
	err := root.ExecuteContext(ctx)
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
	stderr   io.Writer

	configPath string // --config, read by config()
}

func newRoot(stdout, stderr io.Writer) *cobra.Command {
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
	root.AddCommand(newScanCmd(g), newSBOMCmd(g), newConvertCmd(g), newDBCmd(g), newVexCmd(time.Now), newVersionCmd(), newAuditCmd(g))
	return root
}

func (g *globals) logger() *slog.Logger {
	level := slog.LevelWarn
	if g.debug {
		level = slog.LevelDebug
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
