package cli

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

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

// outputFormats are the -o format names, a contract with users' scripts.
var outputFormats = []string{
	"table", "json", "cyclonedx-json", "cyclonedx-xml", "spdx-json", "spdx-tag-value", "sarif", "markdown", "template",
}

// outputFormatsHelp is the -o flag's usage text.
const outputFormatsHelp = "output FORMAT, or FORMAT=FILE; repeat for several outputs. FORMAT: table, json, cyclonedx-json, cyclonedx-xml, spdx-json, spdx-tag-value, sarif, markdown, template (with --template)"

// outputSpec is one requested output: a format and the file it goes to
// ("" means stdout).
type outputSpec struct {
	Format string
	Path   string
}

// outputOptions carries what some encoders need beyond the report.
type outputOptions struct {
	// Color lets the table use ANSI colours when it goes to stdout.
	Color bool
	// Template is --template: a file, or template text (format template).
	Template string
	// Dockerfile is --dockerfile: where sarif results are located.
	Dockerfile string
}

// reportEncoder is what every report/* encoder implements.
type reportEncoder interface {
	Encode(w io.Writer, r *report.Report) error
}

// parseOutputs turns -o values into outputs. "FORMAT" writes to output
// (--output FILE) or, when that is empty, to stdout; "FORMAT=FILE" writes
// to FILE ("FORMAT=-" is stdout). At most one output may go to stdout and
// no two to the same file.
func parseOutputs(specs []string, output string) ([]outputSpec, error) {
	if len(specs) == 0 {
		specs = []string{"table"}
	}
	outs := make([]outputSpec, 0, len(specs))
	seen := map[string]string{}
	for _, s := range specs {
		format, path, hasPath := strings.Cut(strings.TrimSpace(s), "=")
		format = strings.ToLower(strings.TrimSpace(format))
		if !isFormat(format) {
			return nil, fmt.Errorf("-o %q: unknown format %q; want one of %s", s, format, strings.Join(outputFormats, ", "))
		}
		switch {
		case !hasPath:
			path = output
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

func isFormat(f string) bool {
	for _, x := range outputFormats {
		if x == f {
			return true
		}
	}
	return false
}

// newOutputEncoder returns the encoder for one output.
func newOutputEncoder(o outputSpec, opts outputOptions) (reportEncoder, error) {
	switch o.Format {
	case "table":
		return table.Encoder{Color: opts.Color && o.Path == ""}, nil
	case "json":
		return jsonreport.Encoder{}, nil
	case "cyclonedx-json":
		return cyclonedx.Encoder{}, nil
	case "cyclonedx-xml":
		return cyclonedx.Encoder{XML: true}, nil
	case "spdx-json":
		return spdx.Encoder{}, nil
	case "spdx-tag-value":
		return spdx.Encoder{TagValue: true}, nil
	case "sarif":
		return sarif.Encoder{Dockerfile: opts.Dockerfile}, nil
	case "markdown":
		return markdown.Encoder{}, nil
	case "template":
		if opts.Template == "" {
			return nil, errors.New("-o template needs --template FILE or --template TEXT")
		}
		return reporttemplate.Load(opts.Template)
	}
	return nil, fmt.Errorf("-o %q: unknown format; want one of %s", o.Format, strings.Join(outputFormats, ", "))
}

// checkOutputs builds every encoder once, so a bad --template or a missing
// --dockerfile fails before a scan starts rather than after it.
func checkOutputs(outs []outputSpec, opts outputOptions) error {
	for _, o := range outs {
		if _, err := newOutputEncoder(o, opts); err != nil {
			return err
		}
		if o.Format == "sarif" && opts.Dockerfile != "" {
			if _, err := os.Stat(opts.Dockerfile); err != nil {
				return fmt.Errorf("--dockerfile: %w", err)
			}
		}
	}
	return nil
}

// writeOutputs encodes r once per output. A file is written to a temporary
// name beside it and renamed into place, so a failed encoding never leaves
// a truncated report. Every output is attempted; the errors are joined.
func writeOutputs(stdout io.Writer, outs []outputSpec, opts outputOptions, r *report.Report) error {
	var errs []error
	for _, o := range outs {
		enc, err := newOutputEncoder(o, opts)
		if err != nil {
			errs = append(errs, err)
			continue
		}
		if err := writeOutput(stdout, o.Path, enc, r); err != nil {
			errs = append(errs, fmt.Errorf("-o %s: %w", o.Format, err))
		}
	}
	return errors.Join(errs...)
}

func writeOutput(stdout io.Writer, path string, enc reportEncoder, r *report.Report) error {
	if path == "" {
		return enc.Encode(stdout, r)
	}
	var encErr error
	err := atomicfile.Write(path, 0o644, func(w io.Writer) error {
		encErr = enc.Encode(w, r)
		return encErr
	})
	if err != nil && err != encErr {
		return fmt.Errorf("write %s: %w", path, err)
	}
	return err
}
