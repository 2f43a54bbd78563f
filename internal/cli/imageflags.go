package cli

import (
	"path/filepath"

	"github.com/spf13/cobra"
	"github.com/spf13/pflag"

	"github.com/customs-scanner/customs/internal/image"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/scan"
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
	opts := scan.Options{
		Image:   image.Options{Platform: f.platform, Insecure: f.insecure},
		Logger:  g.logger(),
		Version: Version,
	}
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

// scan runs the scan with a progress bar when stderr is a terminal.
func (f *imageFlags) scan(cmd *cobra.Command, target string, opts scan.Options) (*report.Report, error) {
	var bar *progress
	if !f.noProgress && isTerminal(cmd.ErrOrStderr()) {
		bar = newProgress(cmd.ErrOrStderr())
		opts.Progress = bar.event
	}
	r, err := scan.Scan(cmd.Context(), target, opts)
	if bar != nil {
		bar.done()
	}
	if err == nil {
		reportSkipped(cmd.ErrOrStderr(), r, !f.walk.walkAll)
	}
	return r, err
}
