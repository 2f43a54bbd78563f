package sarif

import (
	"encoding/json"
	"fmt"
	"io"
	"net/url"
	"path/filepath"
	"strings"

	"github.com/customs-scanner/customs/internal/report"
)

// AuditEncoder writes the report of customs audit as a SARIF 2.1.0 log:
// one rule per check, one result per finding, located in the manifest,
// Compose file or inspect output it was read from, with the workload and
// container as the logical location.
type AuditEncoder struct{}

type auditLog struct {
	Schema  string     `json:"$schema"`
	Version string     `json:"version"`
	Runs    []auditRun `json:"runs"`
}

type auditRun struct {
	Tool              tool          `json:"tool"`
	Results           []auditResult `json:"results"`
	AutomationDetails *automation   `json:"automationDetails,omitempty"`
}

type auditResult struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             text              `json:"message"`
	Locations           []auditLocation   `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	Properties          auditProperties   `json:"properties"`
}

type auditLocation struct {
	PhysicalLocation *physical         `json:"physicalLocation,omitempty"`
	LogicalLocations []logicalLocation `json:"logicalLocations,omitempty"`
}

type logicalLocation struct {
	Name               string `json:"name"`
	FullyQualifiedName string `json:"fullyQualifiedName"`
	Kind               string `json:"kind"`
}

type auditProperties struct {
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

// Encode writes r to w.
func (AuditEncoder) Encode(w io.Writer, r *report.AuditReport) error {
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(buildAudit(r)); err != nil {
		return fmt.Errorf("encode sarif: %w", err)
	}
	return nil
}

func buildAudit(r *report.AuditReport) auditLog {
	var rules []rule
	index := map[string]int{}
	results := make([]auditResult, 0, len(r.Findings))
	for _, f := range r.Findings {
		i, ok := index[f.ID]
		if !ok {
			i = len(rules)
			index[f.ID] = i
			rules = append(rules, auditRule(f))
		}
		results = append(results, auditResultOf(f, i))
	}
	if rules == nil {
		rules = []rule{}
	}
	name := r.Tool.Name
	if name == "" {
		name = "customs"
	}
	return auditLog{
		Schema:  SchemaURI,
		Version: "2.1.0",
		Runs: []auditRun{{
			Tool: tool{Driver: driver{
				Name:           name,
				Version:        r.Tool.Version,
				InformationURI: "https://github.com/customs-scanner/customs",
				Rules:          rules,
			}},
			Results:           results,
			AutomationDetails: &automation{ID: "customs-audit/"},
		}},
	}
}

// auditRule describes a check from its first finding; every finding of a
// check has the same title, severity and remediation.
func auditRule(f report.AuditFinding) rule {
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

func auditResultOf(f report.AuditFinding, idx int) auditResult {
	where := f.Workload
	if f.Container != "" {
		where += " container " + f.Container
	}
	msg := fmt.Sprintf("%s: %s (%s).", f.Title, f.Evidence, where)
	fq := f.Workload
	if f.Container != "" {
		fq += "/" + f.Container
	}
	loc := auditLocation{LogicalLocations: []logicalLocation{{Name: fq, FullyQualifiedName: f.Target, Kind: "resource"}}}
	if uri := sourceURI(f.Source); uri != "" {
		loc.PhysicalLocation = &physical{ArtifactLocation: artifact{URI: uri}, Region: region{StartLine: 1}}
	}
	return auditResult{
		RuleID:              f.ID,
		RuleIndex:           idx,
		Level:               level(f.Severity),
		Message:             text{Text: msg},
		Locations:           []auditLocation{loc},
		PartialFingerprints: fingerprint(f.ID, f.Target, f.Evidence),
		Properties: auditProperties{Severity: f.Severity, Impact: f.Impact, Standard: f.Standard, Profile: f.Profile,
			PSSProfile: f.PSSProfile, PSSControl: f.PSSControl, Workload: f.Workload, Container: f.Container, Target: f.Target, Evidence: f.Evidence},
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

// auditScore is GitHub's security-severity of an audit finding: a score
// inside its severity's band; none for info.
func auditScore(sev string) string {
	if strings.EqualFold(sev, "info") {
		return ""
	}
	return bandScore(sev)
}
