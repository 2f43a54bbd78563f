// Package sarif encodes a report as a SARIF 2.1.0 log shaped for GitHub
// code scanning (https://docs.github.com/en/code-security/code-scanning/integrating-with-code-scanning/sarif-support-for-code-scanning):
// one rule per vulnerability, one result per affected package, located in
// the Dockerfile when one is given.
package sarif

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"

	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/vulndb"
)

// SchemaURI is the SARIF 2.1.0 (errata 01) schema the log declares.
const SchemaURI = "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json"

// Encoder writes a SARIF log. When Dockerfile names a file, results are
// located in it, at the instruction that created the package's layer
// (else the last FROM line); the path is written as given, relative to
// the repository root the log is uploaded for. Otherwise results point at
// the file in the image the package was found in.
type Encoder struct {
	Dockerfile string
}

// Encode writes r to w.
func (e Encoder) Encode(w io.Writer, r *report.Report) error {
	var ins []Instruction
	if e.Dockerfile != "" {
		data, err := os.ReadFile(e.Dockerfile)
		if err != nil {
			return fmt.Errorf("read dockerfile %s: %w", e.Dockerfile, err)
		}
		ins = ParseDockerfile(data)
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(build(r, e.Dockerfile, ins)); err != nil {
		return fmt.Errorf("encode sarif: %w", err)
	}
	return nil
}

type log struct {
	Schema  string `json:"$schema"`
	Version string `json:"version"`
	Runs    []run  `json:"runs"`
}

type run struct {
	Tool    tool     `json:"tool"`
	Results []result `json:"results"`
	// AutomationDetails.ID separates analyses of different images in one repository.
	AutomationDetails *automation `json:"automationDetails,omitempty"`
}

type automation struct {
	ID string `json:"id"`
}

type tool struct {
	Driver driver `json:"driver"`
}

type driver struct {
	Name           string `json:"name"`
	Version        string `json:"version,omitempty"`
	InformationURI string `json:"informationUri"`
	Rules          []rule `json:"rules"`
}

type text struct {
	Text string `json:"text"`
}

type help struct {
	Text     string `json:"text"`
	Markdown string `json:"markdown"`
}

type rule struct {
	ID                   string         `json:"id"`
	Name                 string         `json:"name"`
	ShortDescription     text           `json:"shortDescription"`
	FullDescription      text           `json:"fullDescription"`
	HelpURI              string         `json:"helpUri,omitempty"`
	Help                 help           `json:"help"`
	DefaultConfiguration config         `json:"defaultConfiguration"`
	Properties           ruleProperties `json:"properties"`
}

type config struct {
	Level string `json:"level"`
}

type ruleProperties struct {
	SecuritySeverity string   `json:"security-severity,omitempty"`
	Precision        string   `json:"precision"`
	Tags             []string `json:"tags"`
}

type result struct {
	RuleID              string            `json:"ruleId"`
	RuleIndex           int               `json:"ruleIndex"`
	Level               string            `json:"level"`
	Message             text              `json:"message"`
	Locations           []location        `json:"locations"`
	PartialFingerprints map[string]string `json:"partialFingerprints"`
	// Properties are resultProperties, or workloadProperties for a
	// failed check of a workload.
	Properties any `json:"properties"`
}

type resultProperties struct {
	PackageName    string `json:"packageName"`
	PackageVersion string `json:"packageVersion"`
	PURL           string `json:"purl,omitempty"`
	Status         string `json:"status"`
	FixedVersion   string `json:"fixedVersion,omitempty"`
	Severity       string `json:"severity"`
	Layer          string `json:"layer,omitempty"`
	CreatedBy      string `json:"createdBy,omitempty"`
	Path           string `json:"path,omitempty"`
}

// location is where a result is: a file, and for a failed check of a
// workload the workload and container (its file is absent when the
// workload was read from stdin).
type location struct {
	PhysicalLocation *physical         `json:"physicalLocation,omitempty"`
	LogicalLocations []logicalLocation `json:"logicalLocations,omitempty"`
	Message          *text             `json:"message,omitempty"`
}

type physical struct {
	ArtifactLocation artifact `json:"artifactLocation"`
	Region           region   `json:"region"`
}

type artifact struct {
	URI string `json:"uri"`
}

type region struct {
	StartLine int `json:"startLine"`
}

// fingerprintKey names the partial fingerprint customs computes, so
// GitHub keeps an alert's identity across runs.
const fingerprintKey = "customsFinding/v1"

func build(r *report.Report, dockerfile string, ins []Instruction) log {
	findings := make([]report.Finding, 0, len(r.Findings))
	for _, f := range r.Findings {
		if f.Status != report.StatusNotAffected {
			findings = append(findings, f)
		}
	}
	slices.SortStableFunc(findings, func(a, b report.Finding) int {
		if c := strings.Compare(a.VulnerabilityID, b.VulnerabilityID); c != 0 {
			return c
		}
		if c := strings.Compare(a.PackageName, b.PackageName); c != 0 {
			return c
		}
		return strings.Compare(a.PackageID, b.PackageID)
	})
	byID := map[string][]report.Finding{}
	var ids []string
	for _, f := range findings {
		if _, ok := byID[f.VulnerabilityID]; !ok {
			ids = append(ids, f.VulnerabilityID)
		}
		byID[f.VulnerabilityID] = append(byID[f.VulnerabilityID], f)
	}
	rules := make([]rule, 0, len(ids))
	index := map[string]int{}
	for i, id := range ids {
		index[id] = i
		rules = append(rules, makeRule(id, byID[id]))
	}
	uri := ""
	if dockerfile != "" {
		uri = strings.TrimPrefix(filepath.ToSlash(filepath.Clean(dockerfile)), "./")
	}
	results := make([]result, 0, len(findings))
	for _, f := range findings {
		results = append(results, makeResult(f, index[f.VulnerabilityID], uri, ins))
	}
	rules, results = addAudit(r, rules, results, uri, ins)
	auto := "customs/" + r.Target.Ref + "/"
	if len(r.Targets) > 0 {
		auto = "customs-audit/" // customs audit: one analysis of many files
	}
	name := r.Tool.Name
	if name == "" {
		name = "customs"
	}
	return log{
		Schema:  SchemaURI,
		Version: "2.1.0",
		Runs: []run{{
			Tool: tool{Driver: driver{
				Name:           name,
				Version:        r.Tool.Version,
				InformationURI: "https://github.com/customs-scanner/customs",
				Rules:          rules,
			}},
			Results:           results,
			AutomationDetails: &automation{ID: auto},
		}},
	}
}

func makeRule(id string, fs []report.Finding) rule {
	f := fs[0]
	title := f.Title
	if title == "" {
		title = id
	}
	worst := ""
	for _, x := range fs {
		if rank(x.Severity) > rank(worst) {
			worst = x.Severity
		}
	}
	full := title
	if len(f.Aliases) > 0 {
		full += " (aliases: " + strings.Join(f.Aliases, ", ") + ")"
	}
	var tb, md strings.Builder
	fmt.Fprintf(&tb, "%s: %s\nSeverity: %s\n", id, title, worst)
	fmt.Fprintf(&md, "**%s**: %s\n\nSeverity: **%s**\n\n| Package | Installed | Fixed in | Status |\n| --- | --- | --- | --- |\n", id, mdEscape(title), worst)
	for _, x := range fs {
		fixed := x.FixedVersion
		if fixed == "" {
			fixed = "no fix"
		}
		if x.FixedVersion != "" {
			fmt.Fprintf(&tb, "Package %s %s: fixed in %s (%s)\n", x.PackageName, x.PackageVersion, fixed, x.Status)
		} else {
			fmt.Fprintf(&tb, "Package %s %s: no fix (%s)\n", x.PackageName, x.PackageVersion, x.Status)
		}
		fmt.Fprintf(&md, "| %s | %s | %s | %s |\n", mdEscape(x.PackageName), mdEscape(x.PackageVersion), mdEscape(fixed), x.Status)
	}
	u := report.AdvisoryURL(id)
	if u != "" {
		fmt.Fprintf(&tb, "%s\n", u)
		fmt.Fprintf(&md, "\n[%s](%s)\n", id, u)
	}
	tags := []string{"security", "vulnerability", strings.ToLower(worst)}
	if f.PackageType != "" {
		tags = append(tags, f.PackageType)
	}
	for _, x := range fs {
		if x.KEV != nil {
			tags = append(tags, "known-exploited")
			break
		}
	}
	return rule{
		ID:                   id,
		Name:                 ruleName(id),
		ShortDescription:     text{Text: title},
		FullDescription:      text{Text: full},
		HelpURI:              u,
		Help:                 help{Text: tb.String(), Markdown: md.String()},
		DefaultConfiguration: config{Level: level(worst)},
		Properties: ruleProperties{
			SecuritySeverity: securitySeverity(fs, worst),
			Precision:        "very-high",
			Tags:             tags,
		},
	}
}

func makeResult(f report.Finding, idx int, dockerfile string, ins []Instruction) result {
	var msg strings.Builder
	verb := "is affected by"
	if f.Status == report.StatusUndetermined {
		verb = "may be affected by"
	}
	fmt.Fprintf(&msg, "%s %s %s %s (%s)", f.PackageName, f.PackageVersion, verb, f.VulnerabilityID, f.Severity)
	switch {
	case f.FixedVersion != "":
		fmt.Fprintf(&msg, "; fixed in %s", f.FixedVersion)
	case f.Status == report.StatusUndetermined:
		msg.WriteString("; could not be decided")
	default:
		fmt.Fprintf(&msg, "; no fix (%s)", f.Status)
	}
	msg.WriteString(".")
	if f.Layer != "" {
		fmt.Fprintf(&msg, " Layer %s", report.ShortDigest(f.Layer))
		if f.CreatedBy != "" {
			fmt.Fprintf(&msg, " (%s)", clip(strings.TrimSpace(f.CreatedBy), 80))
		}
		msg.WriteString(".")
	}
	if f.Path != "" {
		fmt.Fprintf(&msg, " Found in /%s.", strings.TrimPrefix(f.Path, "/"))
	}
	loc := location{}
	if dockerfile != "" {
		loc.PhysicalLocation = &physical{ArtifactLocation: artifact{URI: dockerfile}, Region: region{StartLine: lineFor(ins, f.CreatedBy)}}
	} else {
		p := strings.TrimPrefix(f.Path, "/")
		if p == "" {
			p = "image"
		}
		loc.PhysicalLocation = &physical{ArtifactLocation: artifact{URI: p}, Region: region{StartLine: 1}}
	}
	lvl := level(f.Severity)
	if f.Status == report.StatusUndetermined {
		lvl = "note"
	}
	return result{
		RuleID:              f.VulnerabilityID,
		RuleIndex:           idx,
		Level:               lvl,
		Message:             text{Text: msg.String()},
		Locations:           []location{loc},
		PartialFingerprints: fingerprint(f.VulnerabilityID, f.PURL, f.PackageName, f.Path),
		Properties: resultProperties{
			PackageName:    f.PackageName,
			PackageVersion: f.PackageVersion,
			PURL:           f.PURL,
			Status:         f.Status,
			FixedVersion:   f.FixedVersion,
			Severity:       f.Severity,
			Layer:          f.Layer,
			CreatedBy:      f.CreatedBy,
			Path:           f.Path,
		},
	}
}

// securitySeverity is GitHub's numeric severity: the highest CVSS score
// known for the vulnerability, else a score inside the band of the
// textual severity (GitHub: >= 9.0 critical, 7.0-8.9 high, 4.0-6.9
// medium, 0.1-3.9 low), else empty.
func securitySeverity(fs []report.Finding, worst string) string {
	best := -1.0
	for _, f := range fs {
		for _, c := range f.CVSS {
			best = max(best, c.Score)
		}
	}
	if best >= 0 {
		return strconv.FormatFloat(best, 'f', 1, 64)
	}
	if rank(worst) <= 0 {
		return "" // unknown
	}
	return bandScore(worst)
}

// rank orders severities as vulndb does, -1 for anything else (an empty
// severity never becomes the worst).
func rank(s string) int {
	if r, ok := vulndb.SeverityRank(strings.ToUpper(s)); ok {
		return r
	}
	return -1
}

// level maps a severity to a SARIF level: critical and high are errors,
// medium warnings, the rest notes.
func level(sev string) string {
	switch strings.ToUpper(sev) {
	case "CRITICAL", "HIGH":
		return "error"
	case "MEDIUM":
		return "warning"
	}
	return "note"
}

// ruleName is a PascalCase identifier for the rule ("Cve202312345").
func ruleName(id string) string {
	var b strings.Builder
	up := true
	for _, r := range id {
		switch {
		case r >= 'a' && r <= 'z', r >= 'A' && r <= 'Z':
			if up {
				b.WriteString(strings.ToUpper(string(r)))
			} else {
				b.WriteString(strings.ToLower(string(r)))
			}
			up = false
		case r >= '0' && r <= '9':
			b.WriteRune(r)
		default:
			up = true
		}
	}
	return b.String()
}

func mdEscape(s string) string {
	return strings.NewReplacer("|", `\|`, "*", `\*`, "_", `\_`, "<", "&lt;", ">", "&gt;", "`", "\\`").Replace(s)
}

func clip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return report.CutUTF8(s, n-3) + "..."
}

// addAudit adds secrets and failed checks: one rule per secret rule or
// check, one result per finding. A check of a workload (customs audit) is
// located in the file and object it was read from.
func addAudit(r *report.Report, rules []rule, results []result, dockerfile string, ins []Instruction) ([]rule, []result) {
	index := map[string]int{}
	ruleFor := func(id, title, sev, remediation, tag string) int {
		if i, ok := index[id]; ok {
			return i
		}
		index[id] = len(rules)
		rules = append(rules, rule{
			ID: id, Name: id,
			ShortDescription:     text{Text: title},
			FullDescription:      text{Text: title},
			Help:                 help{Text: remediation, Markdown: remediation},
			DefaultConfiguration: config{Level: level(sev)},
			Properties:           ruleProperties{SecuritySeverity: bandScore(sev), Precision: "high", Tags: []string{"security", tag}},
		})
		return index[id]
	}
	for _, s := range r.Secrets {
		id := "secret/" + s.Rule
		i := ruleFor(id, "Secret in the image: "+s.Rule, s.Severity, "Remove the secret from the build (build secrets, not files, ENV or ARG), rotate it, and rebuild without the layer that holds it.", "secret")
		state := "present in the final image"
		if !s.StillPresent {
			state = "deleted by a later layer but still in layer " + report.ShortDigest(s.Layer)
		}
		line := max(s.Line, 1)
		uri := strings.TrimPrefix(s.Path, "/")
		if dockerfile != "" && s.CreatedBy != "" {
			uri, line = dockerfile, lineFor(ins, s.CreatedBy)
		}
		results = append(results, result{
			RuleID: id, RuleIndex: i, Level: level(s.Severity),
			Message:             text{Text: fmt.Sprintf("%s secret %s in /%s:%d (%s).", s.Rule, s.Match, strings.TrimPrefix(s.Path, "/"), s.Line, state)},
			Locations:           []location{{PhysicalLocation: &physical{ArtifactLocation: artifact{URI: uri}, Region: region{StartLine: line}}}},
			PartialFingerprints: fingerprint(id, s.Path, s.Layer, fmt.Sprint(s.Line)),
			Properties:          resultProperties{Severity: s.Severity, Layer: s.Layer, CreatedBy: s.CreatedBy, Path: s.Path},
		})
	}
	for _, m := range r.Misconfigurations {
		if m.Workload != "" {
			i, ok := index[m.ID]
			if !ok {
				i = len(rules)
				index[m.ID] = i
				rules = append(rules, workloadRule(m))
			}
			results = append(results, workloadResult(m, i))
			continue
		}
		i := ruleFor(m.ID, m.Title, m.Severity, m.Remediation, "configuration")
		uri := "image"
		if dockerfile != "" {
			uri = dockerfile
		}
		results = append(results, result{
			RuleID: m.ID, RuleIndex: i, Level: level(m.Severity),
			Message:             text{Text: m.Title + ": " + strings.Join(m.Evidence, "; ")},
			Locations:           []location{{PhysicalLocation: &physical{ArtifactLocation: artifact{URI: uri}, Region: region{StartLine: 1}}}},
			PartialFingerprints: fingerprint(m.ID, strings.Join(m.Evidence, "\n")),
			Properties:          resultProperties{Severity: m.Severity},
		})
	}
	return rules, results
}

// fingerprint is a result's partialFingerprints: a hash of what
// identifies it, stable across runs.
func fingerprint(parts ...string) map[string]string {
	sum := sha256.Sum256([]byte(strings.Join(parts, "\x00")))
	return map[string]string{fingerprintKey: hex.EncodeToString(sum[:16])}
}

// bandScore is a security-severity for findings without a CVSS score.
func bandScore(sev string) string {
	switch strings.ToUpper(sev) {
	case "CRITICAL":
		return "9.0"
	case "HIGH":
		return "7.0"
	case "MEDIUM":
		return "4.0"
	}
	return "0.1"
}
