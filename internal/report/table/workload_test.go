package table

import (
	"path/filepath"
	"testing"

	"github.com/customs-scanner/customs/internal/golden"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/report/reporttest"
)

// TestAuditGolden: the table of customs audit groups the failed checks by
// impact, lists the secrets of an image argument, then each check's
// remediation and the counts; with nothing found it says how many
// workloads were read.
func TestAuditGolden(t *testing.T) {
	withSecret := reporttest.AuditSample(t)
	withSecret.Secrets = []report.Secret{{Rule: "private-key", Severity: "CRITICAL", Source: "file", Path: "srv/app/tls/key.pem", Line: 2,
		Match: "-----BEGIN EC PRIVATE KEY----- MHcC****", StillPresent: true}}
	clean := reporttest.AuditSample(t)
	clean.Misconfigurations = []report.Misconfiguration{}
	for _, tc := range []struct {
		file string
		r    *report.Report
	}{
		{"audit.golden", reporttest.AuditSample(t)},
		{"audit-secret.golden", withSecret},
		{"audit-clean.golden", clean},
	} {
		t.Run(tc.file, func(t *testing.T) {
			golden.Check(t, filepath.Join("testdata", tc.file), []byte(encode(t, Encoder{}, tc.r)))
		})
	}
}
