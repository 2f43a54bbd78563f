// Package cli is a front end that decides about findings itself, which
// TestFrontEndViolations must catch. It is never built.
package cli

import (
	pol "example.test/tree/policy"
	"example.test/tree/report"
	"example.test/tree/vex"
)

func gate(r *report.Report, data []byte) error {
	exs, err := pol.ParseExceptions("ignore.yaml", data) // loading: allowed
	if err != nil {
		return err
	}
	pol.ApplyExceptions(r, exs) // deciding: scan's
	d, err := vex.Parse("a.vex.json", data)
	if err != nil {
		return err
	}
	vex.Apply(r, d)
	return nil
}

func shadowed(vex fmt.Stringer) string {
	return vex.String() // a parameter, not the package
}
