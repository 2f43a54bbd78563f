package cli

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"strings"

	"github.com/spf13/cobra"

	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/report/table"
)

type explainFlags struct {
	imageFlags
	out *outputFlags
}

func newExplainCmd(g *globals) *cobra.Command {
	f := &explainFlags{}
	cmd := &cobra.Command{
		Use:   "explain REPORT.json|TARGET VULN-ID...",
		Short: "Show why findings matched: feed record, version comparison, layer, severity source, CVSS, KEV, EPSS",
		Long: `Explain the findings of one or more vulnerability IDs (or their aliases: the CVE of a
GHSA finds it): for each package they were found in, the status and the fix, every feed
record that matched with the version comparison made and its scheme, where the severity
came from, the CVSS vectors and scores, the KEV entry and EPSS score, where the package was
found and the layer and build step that brought it in; and findings a VEX statement, an
exception or the baseline suppressed, with why.

The first argument is a JSON report ('customs scan -o json', - for stdin), read as it is,
or a TARGET as for 'customs scan', scanned against the DB first; a scanned target also lists
the advisories that name a package but leave its version alone (not-affected), which
answers "why is this CVE not reported?".

Output: -o FORMAT[=FILE], repeatable, and --output FILE, as every command that prints a
report takes them (see docs/output.md); -o table (the default) prints the explanation, any
other format writes the report cut down to these findings.`,
		Example: `  customs explain report.json CVE-2023-5363
  customs scan app.tar -o json | customs explain - GHSA-jfh8-c2jp-5v3q
  customs explain docker-archive:app.tar CVE-2021-44228 CVE-2023-44487`,
		Args: cobra.MinimumNArgs(2),
		RunE: func(cmd *cobra.Command, args []string) error {
			return f.walk.run(cmd, func() error { return runExplain(cmd, g, f, args[0], args[1:]) })
		},
	}
	fl := cmd.Flags()
	f.out = addOutputFlags(fl, "explain", scanFormats)
	f.imageFlags.add(fl)
	return cmd
}

func runExplain(cmd *cobra.Command, g *globals, f *explainFlags, source string, ids []string) error {
	outs, err := f.out.parse()
	if err != nil {
		return err
	}
	stdout := cmd.OutOrStdout()
	oo := outputOptions{Color: isTerminal(stdout), Width: tableWidth(stdout), Template: f.out.template}
	if err := checkOutputs(outs, oo); err != nil {
		return err
	}
	var r *report.Report
	scanned := !isReport(source)
	if scanned {
		r, err = f.scanForExplain(cmd, g, source)
	} else {
		r, err = readReport(cmd.InOrStdin(), source)
		if err != nil && source != "-" {
			err = fmt.Errorf("%w; an SBOM is scanned when given as sbom:%s", err, source)
		}
	}
	if err != nil {
		return err
	}
	only := r.Only(ids...)
	e := table.Explain{IDs: ids, NotAffectedListed: scanned}
	return writeOutputs(stdout, outs, func(w io.Writer, o outputSpec) error {
		enc, err := explainEncoder(o, oo, e)
		if err != nil {
			return err
		}
		return enc.Encode(w, only)
	})
}

// explainEncoder is the explanation for -o table, else the format's
// encoder of the report cut down to the findings explained.
func explainEncoder(o outputSpec, oo outputOptions, e table.Explain) (reportEncoder, error) {
	if o.Format != formatTable {
		return newOutputEncoder(o, oo)
	}
	if o.Path == "" {
		e.Color, e.Width = oo.Color, oo.Width
	}
	return e, nil
}

// isReport tells a JSON report from a scan target: "-" (stdin), or a
// file that starts with "{". A target with a scheme (sbom:bom.json) is
// never a report.
func isReport(source string) bool {
	if source == "-" {
		return true
	}
	fh, err := os.Open(source)
	if err != nil {
		return false
	}
	defer fh.Close()
	if st, err := fh.Stat(); err != nil || !st.Mode().IsRegular() {
		return false
	}
	br := bufio.NewReader(fh)
	for {
		c, err := br.ReadByte()
		if err != nil {
			return false
		}
		switch c {
		case ' ', '\t', '\r', '\n':
			continue
		}
		return c == '{'
	}
}

// scanForExplain scans target for its vulnerabilities only, keeping the
// advisories that leave the installed version alone.
func (f *explainFlags) scanForExplain(cmd *cobra.Command, g *globals, target string) (*report.Report, error) {
	opts, err := f.options(g)
	if err != nil {
		return nil, err
	}
	if opts.DBPath, err = g.db(); err != nil {
		return nil, err
	}
	if _, err := os.Stat(opts.DBPath); errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("no vulnerability DB at %s to scan %s with: explain a saved report (customs scan -o json=report.json, then customs explain report.json ID), or get a DB with `customs db update` or `customs db pull`", opts.DBPath, strings.TrimSpace(target))
	}
	opts.IncludeNotAffected = true
	r, _, err := f.scan(cmd, target, opts)
	return r, err
}
