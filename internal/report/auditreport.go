package report

// AuditSchemaVersion versions the JSON of AuditReport; fields are only
// added within a major version.
const AuditSchemaVersion = "1.0"

// AuditReport is what customs audit prints: how containers are (or will
// be) run, checked against the Kubernetes Pod Security Standards and the
// CIS Docker Benchmark, and an image's configuration and secrets. The
// encoders of report/sarif, report/markdown and report/json write it.
type AuditReport struct {
	SchemaVersion string        `json:"schemaVersion"`
	Tool          Tool          `json:"tool"`
	Targets       []AuditTarget `json:"targets"`
	Summary       AuditSummary  `json:"summary"`
	// Findings are ranked by what an attacker in the container gains
	// (Impact), then by severity.
	Findings []AuditFinding `json:"misconfigurations"`
}

// AuditTarget is one argument of customs audit and the workloads read
// from it.
type AuditTarget struct {
	Target    string `json:"target"`
	Workloads int    `json:"workloads"`
}

// AuditSummary counts findings by severity and by impact.
type AuditSummary struct {
	BySeverity map[string]int `json:"bySeverity"`
	ByImpact   map[string]int `json:"byImpact"`
}

// Impacts of an AuditFinding, worst first.
const (
	ImpactHostEscape          = "host-escape"
	ImpactPrivilegeEscalation = "privilege-escalation"
	ImpactHardening           = "hardening"
)

// AuditFinding is one broken control in one workload (and container).
type AuditFinding struct {
	ID string `json:"checkID"`
	// Title says what is wrong; Severity is lowercase: critical, high,
	// medium, low, info.
	Title    string `json:"title"`
	Severity string `json:"severity"`
	// Impact is what an attacker who controls the container gains:
	// host-escape, privilege-escalation or hardening.
	Impact    string `json:"impact"`
	Standard  string `json:"standard"`
	Profile   string `json:"profile"`
	Source    string `json:"source"`
	Workload  string `json:"workload"`
	Container string `json:"container,omitempty"`
	Evidence  string `json:"evidence"`
	// Remediation says how to fix it.
	Remediation string `json:"remediation"`
	// Target names where the check failed: the file and object
	// ("deploy.yaml#Deployment/web/container/app") or the container.
	Target string `json:"target"`
	// PSSProfile ("baseline", "restricted") and PSSControl (the control's
	// name as the standard writes it) are set for Pod Security Standards
	// checks.
	PSSProfile string `json:"pssProfile,omitempty"`
	PSSControl string `json:"pssControl,omitempty"`
}
