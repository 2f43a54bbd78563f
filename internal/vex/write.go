package vex

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"strings"
	"time"

	"go.yaml.in/yaml/v3"
)

// Justifications are the OpenVEX justification labels for not_affected.
var Justifications = []string{
	"component_not_present",
	"vulnerable_code_not_present",
	"vulnerable_code_not_in_execute_path",
	"vulnerable_code_cannot_be_controlled_by_adversary",
	"inline_mitigations_already_exist",
}

// Decision is one triage decision, the input of `customs vex`.
type Decision struct {
	Vulnerability   string   `yaml:"vulnerability" json:"vulnerability"`
	Products        []string `yaml:"products" json:"products"`
	Subcomponents   []string `yaml:"subcomponents,omitempty" json:"subcomponents,omitempty"`
	Status          string   `yaml:"status" json:"status"`
	Justification   string   `yaml:"justification,omitempty" json:"justification,omitempty"`
	ImpactStatement string   `yaml:"impact_statement,omitempty" json:"impact_statement,omitempty"`
	ActionStatement string   `yaml:"action_statement,omitempty" json:"action_statement,omitempty"`
}

// ParseDecisions reads triage decisions from YAML or JSON: a list of
// decisions, or a mapping with the list under "decisions". Unknown keys are
// errors naming their line.
func ParseDecisions(name string, data []byte) ([]Decision, error) {
	if len(data) > maxSize {
		return nil, fmt.Errorf("%s: larger than %d bytes", name, maxSize)
	}
	var wrapped struct {
		Decisions []Decision `yaml:"decisions"`
	}
	var list []Decision
	dec := yaml.NewDecoder(bytes.NewReader(data))
	dec.KnownFields(true)
	trimmed := strings.TrimSpace(string(data))
	var err error
	if strings.HasPrefix(trimmed, "-") || strings.HasPrefix(trimmed, "[") {
		err = dec.Decode(&list)
	} else {
		err = dec.Decode(&wrapped)
		list = wrapped.Decisions
	}
	if err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if len(list) == 0 {
		return nil, fmt.Errorf("%s: no decisions", name)
	}
	for i, d := range list {
		if err := d.check(); err != nil {
			return nil, fmt.Errorf("%s: decision %d (%s): %w", name, i+1, d.Vulnerability, err)
		}
	}
	return list, nil
}

// check enforces the OpenVEX rules for a statement.
func (d Decision) check() error {
	switch {
	case d.Vulnerability == "":
		return fmt.Errorf("no vulnerability")
	case len(d.Products) == 0:
		return fmt.Errorf("no products")
	case !openVEXStatuses[d.Status]:
		return fmt.Errorf("status %q: want not_affected, affected, fixed or under_investigation", d.Status)
	case d.Status == NotAffected && d.Justification == "" && d.ImpactStatement == "":
		return fmt.Errorf("not_affected needs a justification or an impact_statement")
	case d.Status == Affected && d.ActionStatement == "":
		return fmt.Errorf("affected needs an action_statement")
	case d.Justification != "" && d.Status != NotAffected:
		return fmt.Errorf("justification is only for not_affected")
	}
	if d.Justification != "" {
		ok := false
		for _, j := range Justifications {
			ok = ok || j == d.Justification
		}
		if !ok {
			return fmt.Errorf("justification %q: want one of %s", d.Justification, strings.Join(Justifications, ", "))
		}
	}
	return nil
}

// WriteOpenVEX renders decisions as an OpenVEX v0.2.0 document. Its @id is
// id, or when id is empty derived from its statements, so the same
// decisions give the same @id.
func WriteOpenVEX(decisions []Decision, author, id string, now time.Time) ([]byte, error) {
	if author == "" {
		return nil, fmt.Errorf("openvex: an author is required")
	}
	doc := openVEXDoc{
		Context: "https://openvex.dev/ns/v0.2.0", Author: author,
		Timestamp: now.UTC().Format(time.RFC3339), Version: 1, Tooling: "customs",
	}
	for _, d := range decisions {
		if err := d.check(); err != nil {
			return nil, fmt.Errorf("openvex: %s: %w", d.Vulnerability, err)
		}
		s := openVEXStatement{
			Vulnerability: openVEXVuln{Name: d.Vulnerability}, Status: d.Status,
			Justification: d.Justification, ImpactStatement: d.ImpactStatement, ActionStatement: d.ActionStatement,
		}
		var subs []openVEXComponent
		for _, c := range d.Subcomponents {
			subs = append(subs, openVEXComponent{ID: c})
		}
		for _, p := range d.Products {
			s.Products = append(s.Products, openVEXProduct{ID: p, Subcomponents: subs})
		}
		doc.Statements = append(doc.Statements, s)
	}
	doc.ID = id
	if id == "" {
		body, err := json.Marshal(doc.Statements)
		if err != nil {
			return nil, fmt.Errorf("openvex: %w", err)
		}
		sum := sha256.Sum256(body)
		doc.ID = "https://openvex.dev/docs/public/vex-" + hex.EncodeToString(sum[:])
	}
	out, err := json.MarshalIndent(doc, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("openvex: %w", err)
	}
	return append(out, '\n'), nil
}
