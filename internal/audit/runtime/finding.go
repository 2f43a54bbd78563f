package runtime

import (
	"cmp"
	"slices"
	"strings"
)

// Severity of a finding, lowercase: critical, high, medium, low, info.
type Severity string

// Severities, worst first.
const (
	Critical Severity = "critical"
	High     Severity = "high"
	Medium   Severity = "medium"
	Low      Severity = "low"
	Info     Severity = "info"
)

// Rank orders severities: info 0 ... critical 4; -1 for an unknown name.
func (s Severity) Rank() int {
	switch Severity(strings.ToLower(string(s))) {
	case Critical:
		return 4
	case High:
		return 3
	case Medium:
		return 2
	case Low:
		return 1
	case Info:
		return 0
	}
	return -1
}

// Impact says what an attacker who controls the container gains; findings
// are ranked by it before severity.
type Impact int

// Impacts, worst first.
const (
	// HostEscape: the container can take over the host (privileged, a
	// container runtime socket, host PID plus ptrace, the host's / or /etc
	// mounted, host devices, dangerous capabilities).
	HostEscape Impact = 1
	// PrivilegeEscalation: root in the container, weaker isolation (host
	// network/PID/IPC, no seccomp/AppArmor/SELinux, setuid escalation).
	PrivilegeEscalation Impact = 2
	// Hardening: missing defence in depth (limits, read-only root, ports).
	Hardening Impact = 3
)

// String names the impact as it appears in output.
func (i Impact) String() string {
	switch i {
	case HostEscape:
		return "host-escape"
	case PrivilegeEscalation:
		return "privilege-escalation"
	}
	return "hardening"
}

// MarshalText writes the impact name.
func (i Impact) MarshalText() ([]byte, error) { return []byte(i.String()), nil }

// Standards findings cite.
const (
	StandardPSS     = "Kubernetes Pod Security Standards"
	StandardCIS     = "CIS Docker Benchmark v1.6.0"
	StandardCustoms = "customs"
)

// Finding is one broken control in one workload (and container).
type Finding struct {
	ID          string   `json:"checkID"`
	Title       string   `json:"title"`
	Severity    Severity `json:"severity"`
	Impact      Impact   `json:"impact"`
	Standard    string   `json:"standard"`
	Profile     string   `json:"profile"`
	Source      string   `json:"source"`
	Workload    string   `json:"workload"`
	Container   string   `json:"container,omitempty"`
	Evidence    string   `json:"evidence"`
	Remediation string   `json:"remediation"`
	// Target names where the check failed: the file and object
	// ("deploy.yaml#Deployment/web/container/app") or the container.
	Target string `json:"target"`
	// PSSProfile ("baseline", "restricted") and PSSControl (the control's
	// name as the standard writes it, "Privileged Containers") are set for
	// Pod Security Standards checks.
	PSSProfile string `json:"pssProfile,omitempty"`
	PSSControl string `json:"pssControl,omitempty"`
}

// Sort orders findings by what an attacker gains (Impact), then severity,
// then where they are; it sorts a copy.
func Sort(fs []Finding) []Finding {
	out := slices.Clone(fs)
	slices.SortStableFunc(out, func(a, b Finding) int {
		return cmp.Or(
			cmp.Compare(a.Impact, b.Impact),
			cmp.Compare(b.Severity.Rank(), a.Severity.Rank()),
			cmp.Compare(a.Source, b.Source),
			cmp.Compare(a.Workload, b.Workload),
			cmp.Compare(a.Container, b.Container),
			cmp.Compare(a.ID, b.ID),
			cmp.Compare(a.Evidence, b.Evidence),
		)
	})
	return out
}
