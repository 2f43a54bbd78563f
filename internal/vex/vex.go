// Package vex reads VEX documents (OpenVEX, CycloneDX VEX, CSAF VEX) into
// one statement model and applies them to a scan report: not_affected and
// fixed remove a finding, under_investigation and affected annotate it.
package vex

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"time"
)

// Statuses, in OpenVEX terms (https://github.com/openvex/spec/blob/main/OPENVEX-SPEC.md#status-labels).
const (
	NotAffected        = "not_affected"
	Affected           = "affected"
	Fixed              = "fixed"
	UnderInvestigation = "under_investigation"
)

// Formats.
const (
	FormatOpenVEX   = "openvex"
	FormatCycloneDX = "cyclonedx"
	FormatCSAF      = "csaf"
)

// maxSize bounds a VEX document read from disk.
const maxSize = 64 << 20

// Document is a VEX document reduced to its statements.
type Document struct {
	Format     string
	Source     string
	Statements []Statement
}

// Statement says what the status of one vulnerability is in some products.
type Statement struct {
	// Vulnerability is the ID; Aliases are other IDs for it.
	Vulnerability string
	Aliases       []string
	Products      []Product
	Status        string
	// Justification is an OpenVEX justification label (or the source
	// format's own label when it has no OpenVEX equivalent).
	Justification string
	// Impact is the impact statement, Action the action statement.
	Impact, Action string
	// Timestamp orders conflicting statements: the latest wins.
	Timestamp time.Time
	// Source is "file#n" naming the statement.
	Source string
}

// Product is a product a statement is about: a package PURL, or an image
// (pkg:oci PURL, digest, or repository with tag or digest) with the
// packages inside it the statement is about as Subcomponents.
type Product struct {
	ID            string
	Subcomponents []string
}

// Load reads a VEX document from file (see Parse).
func Load(file string) (*Document, error) {
	f, err := os.Open(file)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	data, err := io.ReadAll(io.LimitReader(f, maxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", file, err)
	}
	return Parse(file, data)
}

// Parse detects the format of a VEX document and parses it.
func Parse(name string, data []byte) (*Document, error) {
	if len(data) > maxSize {
		return nil, fmt.Errorf("vex %s: larger than %d bytes", name, maxSize)
	}
	var probe struct {
		Context   json.RawMessage `json:"@context"`
		BOMFormat string          `json:"bomFormat"`
		Document  *struct {
			CSAFVersion string `json:"csaf_version"`
		} `json:"document"`
	}
	if err := json.Unmarshal(data, &probe); err != nil {
		return nil, fmt.Errorf("vex %s%s: %w", name, at(data, err), err)
	}
	var (
		d   *Document
		err error
	)
	switch {
	case bytes.Contains(probe.Context, []byte("openvex")):
		d, err = parseOpenVEX(name, data)
	case probe.BOMFormat == "CycloneDX":
		d, err = parseCycloneDX(name, data)
	case probe.Document != nil && probe.Document.CSAFVersion != "":
		d, err = parseCSAF(name, data)
	default:
		return nil, fmt.Errorf("vex %s: not an OpenVEX, CycloneDX or CSAF document", name)
	}
	if err != nil {
		return nil, fmt.Errorf("vex %s%s: %w", name, at(data, err), err)
	}
	d.Source = name
	return d, nil
}

// at names the line and column of a JSON decoding error (":3:17"), or ""
// when the error does not say where it is.
func at(data []byte, err error) string {
	var off int64 = -1
	var se *json.SyntaxError
	var te *json.UnmarshalTypeError
	switch {
	case errors.As(err, &se):
		off = se.Offset
	case errors.As(err, &te):
		off = te.Offset
	}
	if off < 0 || off > int64(len(data)) {
		return ""
	}
	before := data[:off]
	line := 1 + bytes.Count(before, []byte{'\n'})
	col := int(off) - bytes.LastIndexByte(before, '\n')
	return fmt.Sprintf(":%d:%d", line, col)
}

func parseTime(s string) time.Time {
	t, err := time.Parse(time.RFC3339, s)
	if err != nil {
		return time.Time{}
	}
	return t
}
