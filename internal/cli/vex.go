package cli

import (
	"fmt"
	"io"
	"os"
	"time"

	"github.com/spf13/cobra"

	"github.com/customs-scanner/customs/internal/atomicfile"
	"github.com/customs-scanner/customs/internal/policy"
	"github.com/customs-scanner/customs/internal/vex"
)

type vexFlags struct {
	decisions  string
	exceptions string
	products   []string
	author     string
	id         string
	output     string
}

// newVexCmd is `customs vex`: write an OpenVEX document from triage
// decisions or from an exceptions file. now is the clock.
func newVexCmd(now func() time.Time) *cobra.Command {
	f := &vexFlags{}
	cmd := &cobra.Command{
		Use:   "vex",
		Short: "Write an OpenVEX document from triage decisions or an exceptions file",
		Long: `Write an OpenVEX v0.2.0 document (https://openvex.dev) that scans of this and other tools
can consume with --vex.

--decisions FILE is YAML or JSON: a list (or "decisions:" list) of
  {vulnerability, products, subcomponents, status, justification, impact_statement, action_statement}
with OpenVEX statuses (not_affected, affected, fixed, under_investigation) and justifications.

--exceptions FILE is a --ignore-file: each exception that has not expired becomes a
not_affected statement whose impact statement is the exception's reason. Its purl is the
product, or a subcomponent of each --product (an image: pkg:oci/..., repo:tag or
repo@digest) when --product is given.`,
		Example: `  customs vex --decisions triage.yaml --author "Platform Security <sec@example.com>" --output app.vex.json
  customs vex --exceptions .customsignore.yaml --product ghcr.io/org/app:1.2 --author sec@example.com`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error {
			return runVex(cmd.OutOrStdout(), cmd.ErrOrStderr(), f, now())
		},
	}
	fl := cmd.Flags()
	fl.StringVar(&f.decisions, "decisions", "", "triage decisions, YAML or JSON")
	fl.StringVar(&f.exceptions, "exceptions", "", "exceptions file (as for scan --ignore-file)")
	fl.StringArrayVar(&f.products, "product", nil, "product the statements are about (repeatable); with --exceptions, exception PURLs become its subcomponents")
	fl.StringVar(&f.author, "author", "", "author of the document (required)")
	fl.StringVar(&f.id, "id", "", "@id of the document (default: derived from its statements)")
	fl.StringVar(&f.output, "output", "", "write the document to FILE instead of stdout")
	return cmd
}

func runVex(stdout, stderr io.Writer, f *vexFlags, now time.Time) error {
	if (f.decisions == "") == (f.exceptions == "") {
		return fmt.Errorf("give one of --decisions or --exceptions")
	}
	var ds []vex.Decision
	if f.decisions != "" {
		data, err := os.ReadFile(f.decisions)
		if err != nil {
			return fmt.Errorf("--decisions: %w", err)
		}
		if ds, err = vex.ParseDecisions(f.decisions, data); err != nil {
			return fmt.Errorf("--decisions: %w", err)
		}
		if len(f.products) > 0 {
			return fmt.Errorf("--product is for --exceptions; decisions name their own products")
		}
	} else {
		data, err := readDoc(f.exceptions)
		var exs []policy.Exception
		if err == nil {
			exs, err = policy.ParseExceptions(f.exceptions, data)
		}
		if err != nil {
			return fmt.Errorf("--exceptions: %w", err)
		}
		var skipped []string
		if ds, skipped, err = exceptionDecisions(exs, f.products, now); err != nil {
			return err
		}
		for _, s := range skipped {
			fmt.Fprintf(stderr, "customs: vex: skipped %s\n", s)
		}
	}
	out, err := vex.WriteOpenVEX(ds, f.author, f.id, now)
	if err != nil {
		return err
	}
	if f.output == "" {
		_, err := stdout.Write(out)
		return err
	}
	err = atomicfile.Write(f.output, 0o644, func(w io.Writer) error {
		_, err := w.Write(out)
		return err
	})
	if err != nil {
		return fmt.Errorf("write %s: %w", f.output, err)
	}
	return nil
}

// exceptionDecisions turns the exceptions that have not expired into
// not_affected decisions. Expired exceptions and exceptions limited to a
// path (VEX cannot say "only at this path") are skipped, and returned as
// messages.
func exceptionDecisions(exs []policy.Exception, products []string, now time.Time) (out []vex.Decision, skipped []string, err error) {
	for _, e := range exs {
		if e.Expired(now) {
			skipped = append(skipped, fmt.Sprintf("exception %s (%s): expired on %s", e.ID, e.Source, e.ExpiresString()))
			continue
		}
		if e.Path != "" {
			skipped = append(skipped, fmt.Sprintf("exception %s (%s): limited to path %s, which VEX cannot express", e.ID, e.Source, e.Path))
			continue
		}
		d := vex.Decision{Vulnerability: e.ID, Status: vex.NotAffected, ImpactStatement: e.Reason}
		switch {
		case len(products) > 0:
			d.Products = products
			if e.PURL != "" {
				d.Subcomponents = []string{e.PURL}
			}
		case e.PURL != "" && e.PURL[len(e.PURL)-1] != '/':
			d.Products = []string{e.PURL}
		default:
			return nil, nil, fmt.Errorf("exception %s (%s) has no purl: give the image with --product", e.ID, e.Source)
		}
		out = append(out, d)
	}
	if len(out) == 0 {
		return nil, skipped, fmt.Errorf("no exception can be written as VEX: nothing to write")
	}
	return out, skipped, nil
}
