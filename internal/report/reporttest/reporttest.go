// Package reporttest holds the sample report the encoder tests share, so
// each encoder renders the same scan (see testdata/README.md).
package reporttest

import (
	"bytes"
	_ "embed"
	"testing"

	"github.com/customs-scanner/customs/internal/report"
	jsonreport "github.com/customs-scanner/customs/internal/report/json"
)

//go:embed testdata/sample.report.json
var sample []byte

//go:embed testdata/audit.report.json
var auditSample []byte

// Sample returns a fresh copy of the sample report: a real scan of
// testdata/images/alpine-310.tar.gz with findings added by hand.
func Sample(t testing.TB) *report.Report {
	t.Helper()
	r, err := jsonreport.Decode(bytes.NewReader(sample))
	if err != nil {
		t.Fatal(err)
	}
	return r
}

// AuditSample returns a fresh copy of the sample audit report: the real
// output of customs audit on a Compose file and a Pod.
func AuditSample(t testing.TB) *report.Report {
	t.Helper()
	r, err := jsonreport.Decode(bytes.NewReader(auditSample))
	if err != nil {
		t.Fatal(err)
	}
	return r
}
