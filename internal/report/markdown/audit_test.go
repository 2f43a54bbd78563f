package markdown

import (
	"bytes"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/customs-scanner/customs/internal/golden"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/report/reporttest"
)

func TestAuditGolden(t *testing.T) {
	for _, tc := range []struct {
		name string
		r    func(testing.TB) *report.AuditReport
		file string
	}{
		{"sample", reporttest.AuditSample, "audit.md"},
		{"clean", func(t testing.TB) *report.AuditReport {
			r := reporttest.AuditSample(t)
			r.Findings = nil
			return r
		}, "audit-clean.md"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			var b bytes.Buffer
			if err := (AuditEncoder{}).Encode(&b, tc.r(t)); err != nil {
				t.Fatal(err)
			}
			golden.Check(t, filepath.Join("testdata", tc.file), b.Bytes())
		})
	}
}

// TestAuditShort: thousands of findings (a cluster's manifests) still
// make a comment under GitHub's 65536-character limit, and say how many
// were left out.
func TestAuditShort(t *testing.T) {
	r := reporttest.AuditSample(t)
	base := r.Findings
	r.Findings = nil
	for i := range 3000 {
		f := base[i%len(base)]
		f.Workload = fmt.Sprintf("Deployment/app-%d", i)
		r.Findings = append(r.Findings, f)
	}
	var b bytes.Buffer
	if err := (AuditEncoder{}).Encode(&b, r); err != nil {
		t.Fatal(err)
	}
	if b.Len() > 65536 {
		t.Errorf("comment is %d bytes, over GitHub's limit", b.Len())
	}
	if want := fmt.Sprintf("…and %d more", 3000-MaxFolded); !strings.Contains(b.String(), want) {
		t.Errorf("comment lacks %q", want)
	}
}
