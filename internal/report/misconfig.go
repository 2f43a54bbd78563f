package report

import (
	"cmp"
	"slices"

	"github.com/customs-scanner/customs/internal/vulndb"
)

// Misconfiguration is one failed check: of an image's configuration or its
// Dockerfile (customs scan --scanners config, customs audit IMAGE), or of
// how a workload runs its containers (customs audit: Kubernetes manifests,
// Compose files, docker inspect output, OCI config.json, the Docker
// Engine). Both kinds of check produce it, and --fail-on, the ignore file
// and every encoder read it.
type Misconfiguration struct {
	ID    string `json:"checkID"`
	Title string `json:"title"`
	// Severity is on the scale of vulnerabilities (vulndb.SeverityRank):
	// CRITICAL, HIGH, MEDIUM, LOW or NEGLIGIBLE. A check that is only
	// informational (CIS "confirm cgroup usage", a missing HEALTHCHECK) is
	// NEGLIGIBLE; customs audit called that "info" before schema 1.1.
	Severity    string   `json:"severity"`
	Evidence    []string `json:"evidence"`
	Remediation string   `json:"remediation"`
	// Target names where the check failed: the image, "Dockerfile", or the
	// file and object of a workload ("deploy.yaml#Deployment/web/container/app").
	Target string `json:"target"`
	// Impact is what an attacker who controls the container gains:
	// host-escape, privilege-escalation or hardening (the default).
	Impact string `json:"impact,omitempty"`
	// Standard and Profile name the benchmark the check comes from
	// ("CIS Docker Benchmark v1.6.0", "Level 1").
	Standard string `json:"standard,omitempty"`
	Profile  string `json:"profile,omitempty"`
	// Source is the file (or image) the workload was read from, Workload
	// and Container the object in it.
	Source    string `json:"source,omitempty"`
	Workload  string `json:"workload,omitempty"`
	Container string `json:"container,omitempty"`
	// PSSProfile ("baseline", "restricted") and PSSControl (the control's
	// name as the standard writes it, "Privileged Containers") are set for
	// Pod Security Standards checks.
	PSSProfile string `json:"pssProfile,omitempty"`
	PSSControl string `json:"pssControl,omitempty"`
}

// Finding presents the failed check as a finding of package type "config"
// (its check the ID, its target the package), as the gate, the ignore file
// and suppressed[] see it.
func (m Misconfiguration) Finding() Finding {
	return Finding{VulnerabilityID: m.ID, Aliases: []string{}, Title: m.Title, Severity: m.Severity, PackageType: "config",
		PackageName: m.Target, Status: StatusAffected}
}

// Impacts of a Misconfiguration, worst first.
const (
	// ImpactHostEscape: the container can take over the host (privileged,
	// a container runtime socket, host PID plus ptrace, the host's / or
	// /etc mounted, host devices, dangerous capabilities).
	ImpactHostEscape = "host-escape"
	// ImpactPrivilegeEscalation: root in the container, weaker isolation
	// (host network/PID/IPC, no seccomp/AppArmor/SELinux, setuid).
	ImpactPrivilegeEscalation = "privilege-escalation"
	// ImpactHardening: missing defence in depth (limits, read-only root,
	// ports); a check without an impact counts as hardening.
	ImpactHardening = "hardening"
)

// ImpactRank orders impacts worst first: host-escape 0,
// privilege-escalation 1, anything else (hardening) 2.
func ImpactRank(impact string) int {
	switch impact {
	case ImpactHostEscape:
		return 0
	case ImpactPrivilegeEscalation:
		return 1
	}
	return 2
}

// SortMisconfigurations orders failed checks by what an attacker gains
// (Impact), then severity (worst first), then where they are; it sorts a
// copy.
func SortMisconfigurations(ms []Misconfiguration) []Misconfiguration {
	out := slices.Clone(ms)
	slices.SortStableFunc(out, func(a, b Misconfiguration) int {
		ra, _ := vulndb.SeverityRank(a.Severity)
		rb, _ := vulndb.SeverityRank(b.Severity)
		return cmp.Or(
			cmp.Compare(ImpactRank(a.Impact), ImpactRank(b.Impact)),
			cmp.Compare(rb, ra),
			cmp.Compare(a.Source, b.Source),
			cmp.Compare(a.Workload, b.Workload),
			cmp.Compare(a.Container, b.Container),
			cmp.Compare(a.ID, b.ID),
			slices.Compare(a.Evidence, b.Evidence),
		)
	})
	return out
}

// AuditTarget is one argument of customs audit and the workloads read
// from it (0 for an image).
type AuditTarget struct {
	Target    string `json:"target"`
	Workloads int    `json:"workloads"`
}
