package cli

import (
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/scan"
	"github.com/customs-scanner/customs/internal/target"
)

// imageFlags are the flags scan and sbom share: how the image is read.
// (Where the report goes is outputFlags.)
type imageFlags struct {
	platform                      string
	insecure, noCache, noProgress bool
	walk                          walkFlags
}

func (f *imageFlags) add(fl *pflag.FlagSet) {
	fl.StringVar(&f.platform, "platform", "", "platform of a multi-arch image, as os/arch[/variant] (default linux/amd64)")
	fl.BoolVar(&f.insecure, "insecure", false, "allow plain-HTTP registries")
	fl.BoolVar(&f.noCache, "no-cache", false, "do not read or write the layer cache")
	fl.BoolVar(&f.noProgress, "no-progress", false, "do not show progress on a terminal")
	f.walk.add(fl)
}

// options starts the scan options of the command: image access, the layer
// cache, logging.
func (f *imageFlags) options(g *globals) (scan.Options, error) {
	opts := scan.Options{Logger: g.logger(), Version: Version}
	opts.Image.Platform, opts.Image.Insecure = f.platform, f.insecure
	if err := f.walk.apply(&opts); err != nil {
		return opts, err
	}
	if !f.noCache {
		cacheDir, err := g.cache()
		if err != nil {
			return opts, err
		}
		opts.CacheDir = filepath.Join(cacheDir, "layers")
	}
	return opts, nil
}

// scan runs the pipeline on target with a progress bar when stderr is a
// terminal, and prints the skipped line. The events it returns hold what
// the scan told for a person, for the caller to print after it.
func (f *imageFlags) scan(cmd *cobra.Command, ref string, opts scan.Options) (*report.Report, *events, error) {
	ev := &events{}
	if !f.noProgress && isTerminal(cmd.ErrOrStderr()) {
		ev.bar = newProgress(cmd.ErrOrStderr())
	}
	opts.Handler = ev
	r, err := scan.Run(cmd.Context(), target.Parse(ref), opts)
	if ev.bar != nil {
		ev.bar.done()
	}
	if err == nil {
		reportSkipped(cmd.ErrOrStderr(), r, !f.walk.walkAll)
	}
	return r, ev, err
}
