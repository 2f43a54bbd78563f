package cli

import (
	"path/filepath"

	"github.com/spf13/cobra"

	"github.com/customs-scanner/customs/internal/image"
	"github.com/customs-scanner/customs/internal/scan"
)

type sbomFlags struct {
	outputs    []string
	output     string
	template   string
	platform   string
	insecure   bool
	noCache    bool
	noProgress bool
	showOwned  bool
}

func newSBOMCmd(g *globals) *cobra.Command {
	f := &sbomFlags{}
	cmd := &cobra.Command{
		Use:   "sbom TARGET",
		Short: "List an image's packages as an SBOM (no vulnerability DB needed)",
		Long: `Build a software bill of materials for an image: every package with the layer that
brought it in, its licenses, PURL and CPEs, and the relationships between packages.
No vulnerability DB is opened. TARGET takes the same forms as for 'customs scan'.`,
		Example: `  customs sbom docker-archive:alpine.tar
  customs sbom registry:ghcr.io/org/app:1.2 -o spdx-json=app.spdx.json -o cyclonedx-xml=app.cdx.xml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return runSBOM(cmd, g, f, args[0])
		},
	}
	fl := cmd.Flags()
	fl.StringArrayVarP(&f.outputs, "format", "o", []string{"cyclonedx-json"}, outputFormatsHelp)
	fl.StringVar(&f.output, "output", "", "write the output given as plain -o FORMAT to FILE instead of stdout")
	fl.StringVar(&f.template, "template", "", "template FILE or TEXT for -o template (Go text/template over the report)")
	fl.StringVar(&f.platform, "platform", "", "platform of a multi-arch image, as os/arch[/variant] (default linux/amd64)")
	fl.BoolVar(&f.insecure, "insecure", false, "allow plain-HTTP registries")
	fl.BoolVar(&f.noCache, "no-cache", false, "do not read or write the layer cache")
	fl.BoolVar(&f.noProgress, "no-progress", false, "do not show progress on a terminal")
	fl.BoolVar(&f.showOwned, "show-owned", false, "also list language packages whose files an OS package installed as top-level packages")
	return cmd
}

func runSBOM(cmd *cobra.Command, g *globals, f *sbomFlags, target string) error {
	outs, err := parseOutputs(f.outputs, f.output)
	if err != nil {
		return err
	}
	oo := outputOptions{Color: isTerminal(cmd.OutOrStdout()), Template: f.template}
	if err := checkOutputs(outs, oo); err != nil {
		return err
	}
	opts := scan.Options{
		// DBPath stays empty: inventory only, no findings.
		Image:     image.Options{Platform: f.platform, Insecure: f.insecure},
		KeepOwned: f.showOwned,
		Logger:    g.logger(),
		Version:   Version,
	}
	if !f.noCache {
		cacheDir, err := g.cache()
		if err != nil {
			return err
		}
		opts.CacheDir = filepath.Join(cacheDir, "layers")
	}
	var bar *progress
	if !f.noProgress && isTerminal(cmd.ErrOrStderr()) {
		bar = newProgress(cmd.ErrOrStderr())
		opts.Progress = bar.event
	}
	r, err := scan.Scan(cmd.Context(), target, opts)
	if bar != nil {
		bar.done()
	}
	if err != nil {
		return err
	}
	return writeOutputs(cmd.OutOrStdout(), outs, oo, r)
}
