package runtime

import (
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/vulndb"
)

// Severities of the checks, on the report's scale (vulndb.SeverityRank).
// The CIS benchmark's informational checks are NEGLIGIBLE ("info" before
// report schema 1.1).
const (
	Critical = vulndb.SeverityCritical
	High     = vulndb.SeverityHigh
	Medium   = vulndb.SeverityMedium
	Low      = vulndb.SeverityLow
	Info     = vulndb.SeverityNegligible
)

// Impacts of the checks, worst first (see report.ImpactRank).
const (
	HostEscape          = report.ImpactHostEscape
	PrivilegeEscalation = report.ImpactPrivilegeEscalation
	Hardening           = report.ImpactHardening
)

// Standards findings cite.
const (
	StandardPSS     = "Kubernetes Pod Security Standards"
	StandardCIS     = "CIS Docker Benchmark v1.6.0"
	StandardCustoms = "customs"
)
