package cli

import (
	"github.com/spf13/cobra"
)

type sbomFlags struct {
	imageFlags
	out       *outputFlags
	showOwned bool
}

func newSBOMCmd(g *globals) *cobra.Command {
	f := &sbomFlags{}
	cmd := &cobra.Command{
		Use:   "sbom TARGET",
		Short: "List an image's packages as an SBOM (no vulnerability DB needed)",
		Long: `Build a software bill of materials for an image: every package with the layer that
brought it in, its licenses, PURL and CPEs, and the relationships between packages.
No vulnerability DB is opened. TARGET takes the same forms as for 'customs scan'.

Output: -o FORMAT[=FILE], repeatable, and --output FILE, as every command that prints a
report takes them (see docs/output.md); the default is cyclonedx-json, and -o table lists
the packages.`,
		Example: `  customs sbom docker-archive:alpine.tar
  customs sbom alpine.tar -o table
  customs sbom registry:ghcr.io/org/app:1.2 -o spdx-json=app.spdx.json -o cyclonedx-xml=app.cdx.xml`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			return f.walk.run(cmd, func() error { return runSBOM(cmd, g, f, args[0]) })
		},
	}
	fl := cmd.Flags()
	f.out = addOutputFlags(fl, "sbom", sbomFormats)
	f.imageFlags.add(fl)
	fl.BoolVar(&f.showOwned, "show-owned", false, "also list language packages whose files an OS package installed as top-level packages")
	return cmd
}

func runSBOM(cmd *cobra.Command, g *globals, f *sbomFlags, target string) error {
	outs, err := f.out.parse()
	if err != nil {
		return err
	}
	oo := outputOptions{Color: isTerminal(cmd.OutOrStdout()), Width: tableWidth(cmd.OutOrStdout()), Template: f.out.template, Packages: true}
	if err := checkOutputs(outs, oo); err != nil {
		return err
	}
	// DBPath stays empty: inventory only, no findings.
	opts, err := f.options(g)
	if err != nil {
		return err
	}
	opts.KeepOwned = f.showOwned
	r, _, err := f.scan(cmd, target, opts)
	if err != nil {
		return err
	}
	return writeReports(cmd.OutOrStdout(), outs, oo, r)
}
