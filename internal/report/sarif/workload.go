package sarif

// The failed checks of workloads (customs audit): located in the file and
// object they were read from.

import (
	"fmt"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/customs-scanner/customs/internal/report"
)

type logicalLocation struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

// workloadProperties are the properties of a failed check of a workload.
type workloadProperties struct {
	Severity   string `json:"severity"`
	Impact     string `json:"impact"`
	Standard   string `json:"standard"`
	Profile    string `json:"profile,omitempty"`
	PSSProfile string `json:"pssProfile,omitempty"`
	PSSControl string `json:"pssControl,omitempty"`
	Workload   string `json:"workload"`
	Container  string `json:"container,omitempty"`
	Target     string `json:"target"`
	Evidence   string `json:"evidence"`
}

// workloadRule describes a check from its first finding; every finding of a
// check has the same title, severity and remediation.
func workloadRule(f report.Misconfiguration) rule {
	full := f.Title
	if std := strings.TrimSpace(f.Standard + " " + f.Profile); std != "" {
		full += " (" + std + ")"
	}
	if f.PSSControl != "" {
		full += ", control " + f.PSSControl
	}
	tags := []string{"security", "configuration", f.Impact}
	if f.PSSProfile != "" {
		tags = append(tags, "pss-"+f.PSSProfile)
	}
	return rule{
		ID:                   f.ID,
		Name:                 ruleName(f.ID),
		ShortDescription:     text{Text: f.Title},
		FullDescription:      text{Text: full},
		Help:                 help{Text: f.Remediation, Markdown: mdEscape(f.Remediation)},
		DefaultConfiguration: config{Level: level(f.Severity)},
		Properties:           ruleProperties{SecuritySeverity: auditScore(f.Severity), Precision: "very-high", Tags: tags},
	}
}

func workloadResult(f report.Misconfiguration, idx int) result {
	evidence := strings.Join(f.Evidence, "; ")
	where := f.Workload
	if f.Container != "" {
		where += " container " + f.Container
	}
	msg := fmt.Sprintf("%s: %s (%s).", f.Title, evidence, where)
	fq := f.Workload
	if f.Container != "" {
		fq += "/" + f.Container
	}
	loc := location{LogicalLocations: []logicalLocation{{Name: fq, FullyQualifiedName: f.Target, Kind: "resource"}}}
	if uri := sourceURI(f.Source); uri != "" {
		loc.PhysicalLocation = &physical{ArtifactLocation: artifact{URI: uri}, Region: region{StartLine: 1}}
	}
	return result{
		RuleID:              f.ID,
		RuleIndex:           idx,
		Level:               level(f.Severity),
		Message:             text{Text: msg},
		Locations:           []location{loc},
		PartialFingerprints: fingerprint(f.ID, f.Target, evidence),
		Properties: workloadProperties{Severity: f.Severity, Impact: f.Impact, Standard: f.Standard, Profile: f.Profile,
			PSSProfile: f.PSSProfile, PSSControl: f.PSSControl, Workload: f.Workload, Container: f.Container, Target: f.Target, Evidence: evidence},
	}
}

// sourceURI is the artifact URI of the file a finding was read from: a
// relative reference for a relative path, a file URI for an absolute one,
// nothing for stdin ("-"), which has no file.
func sourceURI(src string) string {
	switch {
	case src == "" || src == "-":
		return ""
	case filepath.IsAbs(src):
		return (&url.URL{Scheme: "file", Path: filepath.ToSlash(src)}).String()
	}
	return (&url.URL{Path: strings.TrimPrefix(filepath.ToSlash(filepath.Clean(src)), "./")}).String()
}

// auditScore is GitHub's security-severity of a failed check of a
// workload: a score inside its severity's band; none for a NEGLIGIBLE
// (informational) one.
func auditScore(sev string) string {
	if rank(sev) <= 1 {
		return ""
	}
	return bandScore(sev)
}
