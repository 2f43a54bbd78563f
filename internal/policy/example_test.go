package policy_test

import (
	"context"
	"fmt"
	"time"

	"github.com/customs-scanner/customs/internal/policy"
	"github.com/customs-scanner/customs/internal/report"
)

func ExampleParsePolicy() {
	p, err := policy.ParsePolicy("policy.yaml", []byte(`rules:
  - name: exploited-or-fixable
    expr: finding.kev || (finding.severity >= HIGH && finding.fixAvailable && finding.epss > 0.1)
`))
	if err != nil {
		fmt.Println(err)
		return
	}
	findings := []report.Finding{
		{VulnerabilityID: "CVE-2024-1", Severity: "HIGH", Status: report.StatusFixAvailable, EPSS: &report.EPSS{Score: 0.3}},
		{VulnerabilityID: "CVE-2024-2", Severity: "HIGH", Status: report.StatusAffected},
		{VulnerabilityID: "CVE-2024-3", Severity: "LOW", KEV: &report.KEV{DateAdded: "2024-05-01"}},
	}
	matched, err := p.Eval(context.Background(), findings, policy.Context{Now: time.Now()})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, i := range matched[0] {
		fmt.Println(p.Rules[0].Name, findings[i].VulnerabilityID)
	}
	_, err = policy.ParsePolicy("policy.yaml", []byte("rules:\n  - name: typo\n    expr: finding.sevrity >= HIGH\n"))
	fmt.Println(err)
	// Output:
	// exploited-or-fixable CVE-2024-1
	// exploited-or-fixable CVE-2024-3
	// policy.yaml:3:18: rule "typo": undefined field 'sevrity'
}
