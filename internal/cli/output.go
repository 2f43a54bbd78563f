package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strings"

	"github.com/spf13/pflag"

	"github.com/customs-scanner/customs/internal/atomicfile"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/report/cyclonedx"
	jsonreport "github.com/customs-scanner/customs/internal/report/json"
	"github.com/customs-scanner/customs/internal/report/markdown"
	"github.com/customs-scanner/customs/internal/report/sarif"
	"github.com/customs-scanner/customs/internal/report/spdx"
	"github.com/customs-scanner/customs/internal/report/table"
	reporttemplate "github.com/customs-scanner/customs/internal/report/template"
)

// Output format names, a contract with users' scripts (docs/output.md).
const (
	formatTable         = "table"
	formatJSON          = "json"
	formatCycloneDXJSON = "cyclonedx-json"
	formatCycloneDXXML  = "cyclonedx-xml"
	formatSPDXJSON      = "spdx-json"
	formatSPDXTagValue  = "spdx-tag-value"
	formatSARIF         = "sarif"
	formatMarkdown      = "markdown"
	formatTemplate      = "template"
	formatCSV           = "csv"
)

// allFormats are every format any command writes; --output refuses a bare
// one of these names, which is a format given to the wrong flag.
var allFormats = []string{formatTable, formatJSON, formatCycloneDXJSON, formatCycloneDXXML, formatSPDXJSON,
	formatSPDXTagValue, formatSARIF, formatMarkdown, formatTemplate, formatCSV}

// The formats each kind of command writes, its default first.
var (
	// scanFormats: a report with findings (scan, convert).
	scanFormats = []string{formatTable, formatJSON, formatCycloneDXJSON, formatCycloneDXXML, formatSPDXJSON,
		formatSPDXTagValue, formatSARIF, formatMarkdown, formatTemplate}
	// sbomFormats: an inventory without findings; SARIF and Markdown have
	// nothing to say about one.
	sbomFormats = []string{formatCycloneDXJSON, formatCycloneDXXML, formatSPDXJSON, formatSPDXTagValue, formatTable, formatJSON, formatTemplate}
	// auditFormats: customs audit's runtime-configuration findings.
	auditFormats = []string{formatTable, formatJSON, formatSARIF, formatMarkdown}
)

// outputDoc is where every command's help sends users for the output flags.
const outputDoc = "docs/output.md"

// outputFlags are the output flags of every command that prints a report
// (scan, sbom, convert, audit, and the ones to come): -o FORMAT[=FILE],
// repeatable; --output FILE for the -o given without a file; --template
// for -o template. Each command declares the formats it writes.
//
// A command adds them with addOutputFlags(fl, name, itsFormats), calls
// parse before it starts its work (so a wrong flag costs no scan), and
// ends with writeOutputs and an encode function over its own report
// (writeReports for a scan report).
type outputFlags struct {
	// command names the command in messages ("sbom").
	command string
	// formats are the formats the command writes, the default first.
	formats []string

	specs    []string // -o
	file     string   // --output
	template string   // --template
}

// addOutputFlags registers the output flags of command on fl; formats are
// what it writes, the first the default.
func addOutputFlags(fl *pflag.FlagSet, command string, formats []string) *outputFlags {
	f := &outputFlags{command: command, formats: formats}
	fl.StringArrayVarP(&f.specs, "format", "o", []string{formats[0]},
		"write the report as `FORMAT[=FILE]`: to stdout, or to FILE (written atomically; FILE - is stdout); repeat for several outputs (see "+outputDoc+"). FORMAT: "+f.formatList())
	fl.StringVar(&f.file, "output", "", "write the output given as plain -o FORMAT to `FILE` instead of stdout (a file, not a format: -o picks the format)")
	if slices.Contains(formats, formatTemplate) {
		fl.StringVar(&f.template, "template", "", "template `FILE|TEXT` for -o template (Go text/template over the report)")
	}
	return f
}

func (f *outputFlags) formatList() string {
	names := slices.Clone(f.formats)
	for i, n := range names {
		if n == formatTemplate {
			names[i] = "template (with --template)"
		}
	}
	return strings.Join(names, ", ")
}

// outputSpec is one requested output: a format and the file it goes to
// ("" means stdout).
type outputSpec struct {
	Format string
	Path   string
}

// parse turns the flags into outputs. "FORMAT" writes to --output FILE or,
// when that is empty, to stdout; "FORMAT=FILE" writes to FILE ("FORMAT=-"
// is stdout). At most one output may go to stdout and no two to the same
// file. A bare format name given to --output ("--output json", which
// audit's --output once meant) is an error that says to use -o: write
// ./json for a file of that name.
func (f *outputFlags) parse() ([]outputSpec, error) {
	if name := strings.ToLower(strings.TrimSpace(f.file)); slices.Contains(allFormats, name) {
		return nil, fmt.Errorf("--output %s: --output takes a FILE, and %q is a format name; use -o %s (or --output ./%s for a file of that name)", f.file, f.file, name, f.file)
	}
	specs := f.specs
	if len(specs) == 0 {
		specs = []string{f.formats[0]}
	}
	outs := make([]outputSpec, 0, len(specs))
	seen := map[string]string{}
	for _, s := range specs {
		format, path, hasPath := strings.Cut(strings.TrimSpace(s), "=")
		format = strings.ToLower(strings.TrimSpace(format))
		if err := f.checkFormat(s, format, hasPath); err != nil {
			return nil, err
		}
		switch {
		case !hasPath:
			path = f.file
		case path == "":
			return nil, fmt.Errorf("-o %q: empty file name after =", s)
		case path == "-":
			path = ""
		}
		key := "stdout"
		if path != "" {
			key = filepath.Clean(path)
		}
		if prev, ok := seen[key]; ok {
			if key == "stdout" {
				return nil, fmt.Errorf("-o %s and -o %s both write to stdout; give one of them =FILE", prev, s)
			}
			return nil, fmt.Errorf("-o %s and -o %s both write to %s", prev, s, path)
		}
		seen[key] = s
		outs = append(outs, outputSpec{Format: format, Path: path})
	}
	return outs, nil
}

// checkFormat says why format is not one the command writes, with a hint
// when the value looks like a file name.
func (f *outputFlags) checkFormat(spec, format string, hasPath bool) error {
	switch {
	case slices.Contains(f.formats, format):
		return nil
	case slices.Contains(allFormats, format):
		return fmt.Errorf("-o %q: customs %s does not write %s; want one of %s", spec, f.command, format, strings.Join(f.formats, ", "))
	case !hasPath && strings.ContainsAny(format, "./\\"):
		return fmt.Errorf("-o %q: unknown format %q; -o takes a FORMAT, or FORMAT=FILE to write to a file (-o json=%s); want one of %s", spec, format, spec, strings.Join(f.formats, ", "))
	}
	return fmt.Errorf("-o %q: unknown format %q; want one of %s", spec, format, strings.Join(f.formats, ", "))
}

// writeOutputs writes every output with encode: to stdout, or to a file
// through atomicfile, so a failed encoding never leaves a truncated
// report and a reader never sees half of one. Every output is attempted;
// the errors are joined.
func writeOutputs(stdout io.Writer, outs []outputSpec, encode func(w io.Writer, o outputSpec) error) error {
	var errs []error
	for _, o := range outs {
		if err := writeOutput(stdout, o, encode); err != nil {
			errs = append(errs, fmt.Errorf("-o %s: %w", o.Format, err))
		}
	}
	return errors.Join(errs...)
}

func writeOutput(stdout io.Writer, o outputSpec, encode func(w io.Writer, o outputSpec) error) error {
	if o.Path == "" {
		return encode(stdout, o)
	}
	var encErr error
	err := atomicfile.Write(o.Path, 0o644, func(w io.Writer) error {
		encErr = encode(w, o)
		return encErr
	})
	if err != nil && err != encErr {
		return fmt.Errorf("write %s: %w", o.Path, err)
	}
	return err
}

// outputOptions carries what some report encoders need beyond the report.
type outputOptions struct {
	// Color lets the table use ANSI colours when it goes to stdout.
	Color bool
	// Width is the width of stdout's terminal (see tableWidth); a table
	// written to a file takes table.DefaultWidth.
	Width int
	// Explain is what the table's customs explain hint names: the saved
	// report convert read, or "" for the report's target.
	Explain string
	// Template is --template: a file, or template text (format template).
	Template string
	// Dockerfile is --dockerfile: where sarif results are located.
	Dockerfile string
	// Packages makes -o table list the packages (an SBOM has no findings).
	Packages bool
}

// reportEncoder is what every report/* encoder of a scan report implements.
type reportEncoder interface {
	Encode(w io.Writer, r *report.Report) error
}

// newOutputEncoder returns the encoder of a scan report for one output.
func newOutputEncoder(o outputSpec, opts outputOptions) (reportEncoder, error) {
	switch o.Format {
	case formatTable:
		if opts.Packages {
			return table.Packages{}, nil
		}
		enc := table.Encoder{Color: opts.Color && o.Path == "", Explain: opts.Explain}
		if o.Path == "" {
			enc.Width = opts.Width
		}
		return enc, nil
	case formatJSON:
		return jsonreport.Encoder{}, nil
	case formatCycloneDXJSON:
		return cyclonedx.Encoder{}, nil
	case formatCycloneDXXML:
		return cyclonedx.Encoder{XML: true}, nil
	case formatSPDXJSON:
		return spdx.Encoder{}, nil
	case formatSPDXTagValue:
		return spdx.Encoder{TagValue: true}, nil
	case formatSARIF:
		return sarif.Encoder{Dockerfile: opts.Dockerfile}, nil
	case formatMarkdown:
		return markdown.Encoder{}, nil
	case formatTemplate:
		if opts.Template == "" {
			return nil, errors.New("-o template needs --template FILE or --template TEXT")
		}
		return reporttemplate.Load(opts.Template)
	}
	return nil, fmt.Errorf("-o %q: unknown format", o.Format)
}

// checkOutputs builds every encoder once, so a bad --template or a missing
// --dockerfile fails before a scan starts rather than after it.
func checkOutputs(outs []outputSpec, opts outputOptions) error {
	for _, o := range outs {
		if _, err := newOutputEncoder(o, opts); err != nil {
			return err
		}
		if o.Format == formatSARIF && opts.Dockerfile != "" {
			if _, err := os.Stat(opts.Dockerfile); err != nil {
				return fmt.Errorf("--dockerfile: %w", err)
			}
		}
	}
	return nil
}

// writeReports encodes the scan report r once per output.
func writeReports(stdout io.Writer, outs []outputSpec, opts outputOptions, r *report.Report) error {
	return writeOutputs(stdout, outs, func(w io.Writer, o outputSpec) error {
		enc, err := newOutputEncoder(o, opts)
		if err != nil {
			return err
		}
		return enc.Encode(w, r)
	})
}
