package cli

import (
	"errors"
	"fmt"
	"io"
	"os"

	"github.com/spf13/cobra"

	"github.com/customs-scanner/customs/internal/report"
	jsonreport "github.com/customs-scanner/customs/internal/report/json"
)

// maxReport bounds the size of a JSON report convert reads.
const maxReport = 1 << 30

type convertFlags struct {
	out        *outputFlags
	dockerfile string
}

func newConvertCmd(_ *globals) *cobra.Command {
	f := &convertFlags{}
	cmd := &cobra.Command{
		Use:   "convert REPORT.json",
		Short: "Re-encode a saved JSON report in other formats, without rescanning",
		Long: `Read a report written by 'customs scan -o json' (or 'customs sbom -o json') and write
it in other formats. REPORT.json may be - for stdin.

Output: -o FORMAT[=FILE], repeatable, and --output FILE, as every command that prints a
report takes them; see docs/output.md.`,
		Example: `  customs convert report.json -o sarif=results.sarif --dockerfile Dockerfile
  customs convert report.json -o markdown -o cyclonedx-json=bom.json`,
		Args: cobra.ExactArgs(1),
		RunE: func(cmd *cobra.Command, args []string) error {
			outs, err := f.out.parse()
			if err != nil {
				return err
			}
			oo := outputOptions{Color: isTerminal(cmd.OutOrStdout()), Width: tableWidth(cmd.OutOrStdout()), Template: f.out.template, Dockerfile: f.dockerfile}
			if err := checkOutputs(outs, oo); err != nil {
				return err
			}
			r, err := readReport(cmd.InOrStdin(), args[0])
			if err != nil {
				return err
			}
			if args[0] != "-" {
				oo.Explain = args[0] // explaining the saved report needs no rescan
			}
			return writeReports(cmd.OutOrStdout(), outs, oo, r)
		},
	}
	fl := cmd.Flags()
	f.out = addOutputFlags(fl, "convert", scanFormats)
	fl.StringVar(&f.dockerfile, "dockerfile", "", "locate sarif results in this Dockerfile (path relative to the repository root)")
	return cmd
}

// readReport decodes a JSON report from path ("-" is stdin), refusing
// one larger than maxReport.
func readReport(stdin io.Reader, path string) (*report.Report, error) {
	rd := stdin
	if path != "-" {
		f, err := os.Open(path)
		if err != nil {
			return nil, fmt.Errorf("read report: %w", err)
		}
		defer f.Close()
		rd = f
	}
	lr := &io.LimitedReader{R: rd, N: maxReport + 1}
	r, err := jsonreport.Decode(lr)
	if lr.N <= 0 {
		return nil, fmt.Errorf("read report %s: larger than %d bytes", path, maxReport)
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	if r == nil {
		return nil, errors.New("read report: empty")
	}
	return r, nil
}
