package cli

import (
	"context"
	"errors"
	"fmt"
	"io"
	"slices"
	"strings"
	"time"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/customs-scanner/customs/internal/policy"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/scan"
)

// walkFlags choose what a scan reads and for how long: the flags Trivy
// users know as --skip-dirs, --skip-files and --timeout.
type walkFlags struct {
	skipDirs, skipFiles []string
	walkAll             bool
	timeout             time.Duration
}

func (w *walkFlags) add(fl *pflag.FlagSet) {
	fl.StringSliceVar(&w.skipDirs, "skip-dirs", nil, "pass over directories matching these globs, relative to the image or directory root (comma-separated or repeated; ** spans directories: **/node_modules); nothing under them is read, and the report lists them under skipped")
	fl.StringSliceVar(&w.skipFiles, "skip-files", nil, "pass over files matching these globs, as --skip-dirs (**/*.pem, /etc/shadow)")
	fl.BoolVar(&w.walkAll, "no-default-skips", false, "for dir: and rootfs: targets, also walk the runtime storage, caches and runtime state skipped by default (docs/skips.md); pseudo, memory-backed and network mounts stay skipped")
	fl.DurationVar(&w.timeout, "timeout", 0, "stop the whole command after this long (e.g. 90s, 10m) and exit 2; 0 means no limit")
}

// apply checks the patterns and sets them in opts.
func (w *walkFlags) apply(opts *scan.Options) error {
	for _, fl := range []struct {
		name     string
		patterns []string
	}{{"--skip-dirs", w.skipDirs}, {"--skip-files", w.skipFiles}} {
		for _, p := range fl.patterns {
			if err := scan.CheckSkip(p); err != nil {
				return fmt.Errorf("%s: %w", fl.name, err)
			}
		}
	}
	if w.timeout < 0 {
		return fmt.Errorf("--timeout %s: want a positive duration, or 0 for no limit", w.timeout)
	}
	opts.SkipDirs, opts.SkipFiles = w.skipDirs, w.skipFiles
	opts.Image.WalkAll = w.walkAll
	return nil
}

// errTimeout is the cause of a context ended by --timeout.
var errTimeout = errors.New("--timeout")

// run runs fn with cmd's context ended after --timeout, and turns the
// errors that ending causes, whatever wraps them, into one clear error.
func (w *walkFlags) run(cmd *cobra.Command, fn func() error) error {
	if w.timeout <= 0 {
		return fn()
	}
	ctx, cancel := context.WithTimeoutCause(cmd.Context(), w.timeout, errTimeout)
	defer cancel()
	cmd.SetContext(ctx)
	err := fn()
	if err != nil && errors.Is(context.Cause(ctx), errTimeout) {
		return fmt.Errorf("did not finish within --timeout %s; raise it, or scan less (--skip-dirs, --skip-files, --scanners)", w.timeout)
	}
	return err
}

// reportSkipped prints one line on what the scan passed over; the JSON
// report lists every path under skipped.
// defaults says whether the default skips applied (no --no-default-skips).
func reportSkipped(w io.Writer, r *report.Report, defaults bool) {
	if len(r.Skipped) == 0 {
		return
	}
	var dirs, files []string
	byDefault := false
	for _, s := range r.Skipped {
		if s.Directory {
			dirs = append(dirs, s.Path)
		} else {
			files = append(files, s.Path)
		}
		byDefault = byDefault || defaults && !strings.HasPrefix(s.Reason, "--skip-")
	}
	names := slices.Concat(dirs, files) // directories say more
	more := ""
	if len(names) > maxSkippedNames {
		more = fmt.Sprintf(" and %d more", len(names)-maxSkippedNames)
		names = names[:maxSkippedNames]
	}
	hint := ""
	if byDefault {
		hint = ", --no-default-skips walks the default ones"
	}
	fmt.Fprintf(w, "customs: skipped %d directories and %d files without reading them (%s%s); -o json lists them under skipped with the reason%s\n",
		len(dirs), len(files), strings.Join(names, ", "), more, hint)
}

// maxSkippedNames bounds the paths named in the skipped line.
const maxSkippedNames = 8

// severityFilter is --severity: the severities a report keeps.
type severityFilter []string

func (s *severityFilter) add(fl *pflag.FlagSet) {
	fl.StringSliceVar((*[]string)(s), "severity", nil, "report only findings, secrets and misconfigurations of these severities, comma-separated (unknown, negligible or info, low, medium, high, critical); --fail-on and --policy see only these (default: all)")
}

// check normalises the list to the names of the one severity scale
// (policy.Severity: upper case, info is NEGLIGIBLE) and refuses others.
func (s severityFilter) check() error {
	for i, v := range s {
		name, ok := policy.Severity(strings.TrimSpace(v))
		if !ok {
			return fmt.Errorf("--severity %q: want a comma-separated list of unknown, negligible, low, medium, high, critical, info", v)
		}
		s[i] = name
	}
	return nil
}
