package cyclonedx

import (
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"

	"github.com/customs-scanner/customs/internal/report"
)

// A vulnerability's analysis is an impact-analysis (VEX) claim
// (CycloneDX 1.6 vulnerability.analysis: "an assessment of the impact
// and exploitability"). customs writes one only where someone made that
// claim: a VEX statement given with --vex or attached to the image, or an
// exception in the ignore file. What the scan itself decided (a fix
// exists, the distribution will not fix, the version is outside the
// affected ranges) is in affects[].versions[].status and the
// customs:finding:* properties; claiming "exploitable" for it would be a
// VEX statement nobody made, and Dependency-Track would triage on it.

// noteAnalysis is the analysis of a finding a VEX statement kept in the
// report: under_investigation is in_triage, affected is exploitable.
func noteAnalysis(n *report.VEXNote) *cdx.VulnerabilityAnalysis {
	if n == nil {
		return nil
	}
	var state cdx.ImpactAnalysisState
	switch n.Status {
	case "under_investigation":
		state = cdx.IASInTriage
	case "affected":
		state = cdx.IASExploitable
	default:
		return nil
	}
	return &cdx.VulnerabilityAnalysis{State: state, Justification: justification(n.Justification),
		Detail: vexDetail(n.Statement, n.ActionStatement, n.Justification, n.Source)}
}

// suppressedAnalysis is the analysis of a finding a VEX statement or an
// exception removed from the report; nil for the baseline, which says
// only that the finding is not new.
func suppressedAnalysis(s report.Suppression) *cdx.VulnerabilityAnalysis {
	switch s.By {
	case report.SuppressedByVEX:
		var state cdx.ImpactAnalysisState
		switch s.Status {
		case "not_affected":
			state = cdx.IASNotAffected
		case "fixed":
			state = cdx.IASResolved
		default:
			return nil
		}
		return &cdx.VulnerabilityAnalysis{State: state, Justification: justification(s.Justification),
			Detail: vexDetail(s.Reason, "", s.Justification, s.Source)}
	case report.SuppressedByException:
		// As customs vex --exceptions writes it: an exception in force is
		// a not_affected statement whose impact statement is its reason.
		d := "Exception: " + s.Reason
		var by []string
		if s.Owner != "" {
			by = append(by, "owner "+s.Owner)
		}
		if s.Expires != "" {
			by = append(by, "expires "+s.Expires)
		}
		if s.Source != "" {
			by = append(by, s.Source)
		}
		if len(by) > 0 {
			d += " (" + strings.Join(by, ", ") + ")"
		}
		return &cdx.VulnerabilityAnalysis{State: cdx.IASNotAffected, Detail: d}
	}
	return nil
}

// justifications map OpenVEX justification labels to CycloneDX's, the
// reverse of what customs reads from CycloneDX VEX (internal/vex).
// vulnerable_code_cannot_be_controlled_by_adversary has no counterpart;
// it stays in the detail.
var justifications = map[string]cdx.ImpactAnalysisJustification{
	"vulnerable_code_not_present":         cdx.IAJCodeNotPresent,
	"vulnerable_code_not_in_execute_path": cdx.IAJCodeNotReachable,
	"component_not_present":               cdx.IAJRequiresDependency,
	"inline_mitigations_already_exist":    cdx.IAJProtectedByMitigatingControl,
}

// cdxJustifications are CycloneDX's own labels, which a CycloneDX VEX
// document read with --vex passes through.
var cdxJustifications = []cdx.ImpactAnalysisJustification{
	cdx.IAJCodeNotPresent, cdx.IAJCodeNotReachable, cdx.IAJRequiresConfiguration, cdx.IAJRequiresDependency,
	cdx.IAJRequiresEnvironment, cdx.IAJProtectedByCompiler, cdx.IAJProtectedAtRuntime, cdx.IAJProtectedAtPerimeter,
	cdx.IAJProtectedByMitigatingControl,
}

func justification(j string) cdx.ImpactAnalysisJustification {
	if m, ok := justifications[j]; ok {
		return m
	}
	for _, c := range cdxJustifications {
		if string(c) == j {
			return c
		}
	}
	return ""
}

// vexDetail is the analysis detail: the statement, the action, a
// justification CycloneDX has no label for, and where the statement came
// from.
func vexDetail(statement, action, just, source string) string {
	var parts []string
	if statement = strings.TrimSpace(statement); statement != "" {
		parts = append(parts, statement)
	}
	if action = strings.TrimSpace(action); action != "" {
		parts = append(parts, "Action: "+action)
	}
	if just != "" && justification(just) == "" && just != statement {
		parts = append(parts, "Justification: "+just)
	}
	if source != "" {
		parts = append(parts, "Source: "+source)
	}
	return strings.Join(parts, ". ")
}
