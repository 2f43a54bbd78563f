// Package json encodes a report as the versioned customs JSON document
// described in docs/report-schema.md.
package json

import (
	stdjson "encoding/json"
	"fmt"
	"io"

	"github.com/customs-scanner/customs/internal/report"
)

// Encoder writes indented JSON.
type Encoder struct{}

// Encode writes r to w.
func (Encoder) Encode(w io.Writer, r *report.Report) error {
	enc := stdjson.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(r); err != nil {
		return fmt.Errorf("encode json report: %w", err)
	}
	return nil
}

// Decode reads a report written by Encode. A report of another major schema
// version is refused.
func Decode(rd io.Reader) (*report.Report, error) {
	var r report.Report
	if err := stdjson.NewDecoder(rd).Decode(&r); err != nil {
		return nil, fmt.Errorf("decode json report: %w", err)
	}
	if r.SchemaVersion == "" || r.SchemaVersion[0] != report.SchemaVersion[0] {
		return nil, fmt.Errorf("decode json report: schema version %q is not supported (want %s.x)", r.SchemaVersion, report.SchemaVersion[:1])
	}
	return &r, nil
}
