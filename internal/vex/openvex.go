package vex

import (
	"encoding/json"
	"fmt"
	"strings"
)

// OpenVEX v0.2.0 (https://github.com/openvex/spec/blob/main/OPENVEX-SPEC.md);
// only the fields customs reads and writes.
type openVEXDoc struct {
	Context    string             `json:"@context"`
	ID         string             `json:"@id"`
	Author     string             `json:"author"`
	Role       string             `json:"role,omitempty"`
	Timestamp  string             `json:"timestamp"`
	Version    int                `json:"version"`
	Tooling    string             `json:"tooling,omitempty"`
	Statements []openVEXStatement `json:"statements"`
}

type openVEXStatement struct {
	Vulnerability   openVEXVuln      `json:"vulnerability"`
	Timestamp       string           `json:"timestamp,omitempty"`
	Products        []openVEXProduct `json:"products"`
	Status          string           `json:"status"`
	Justification   string           `json:"justification,omitempty"`
	ImpactStatement string           `json:"impact_statement,omitempty"`
	ActionStatement string           `json:"action_statement,omitempty"`
	StatusNotes     string           `json:"status_notes,omitempty"`
}

type openVEXVuln struct {
	ID      string   `json:"@id,omitempty"`
	Name    string   `json:"name,omitempty"`
	Aliases []string `json:"aliases,omitempty"`
}

type openVEXProduct struct {
	ID            string             `json:"@id,omitempty"`
	Identifiers   map[string]string  `json:"identifiers,omitempty"`
	Hashes        map[string]string  `json:"hashes,omitempty"`
	Subcomponents []openVEXComponent `json:"subcomponents,omitempty"`
}

type openVEXComponent struct {
	ID          string            `json:"@id,omitempty"`
	Identifiers map[string]string `json:"identifiers,omitempty"`
}

func (c openVEXComponent) ids() []string {
	var out []string
	if c.ID != "" {
		out = append(out, c.ID)
	}
	if p := c.Identifiers["purl"]; p != "" && p != c.ID {
		out = append(out, p)
	}
	return out
}

var openVEXStatuses = map[string]bool{NotAffected: true, Affected: true, Fixed: true, UnderInvestigation: true}

func parseOpenVEX(name string, data []byte) (*Document, error) {
	var doc openVEXDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("openvex: %w", err)
	}
	d := &Document{Format: FormatOpenVEX}
	docTime := parseTime(doc.Timestamp)
	for i, s := range doc.Statements {
		if !openVEXStatuses[s.Status] {
			return nil, fmt.Errorf("openvex statement %d: unknown status %q", i, s.Status)
		}
		st := Statement{
			Vulnerability: vulnID(s.Vulnerability), Aliases: s.Vulnerability.Aliases,
			Status: s.Status, Justification: s.Justification, Impact: s.ImpactStatement, Action: s.ActionStatement,
			Timestamp: docTime, Source: fmt.Sprintf("%s#%d", name, i),
		}
		if t := parseTime(s.Timestamp); !t.IsZero() {
			st.Timestamp = t
		}
		if st.Vulnerability == "" {
			return nil, fmt.Errorf("openvex statement %d: no vulnerability", i)
		}
		if id := lastSegment(s.Vulnerability.ID); id != "" && id != st.Vulnerability {
			st.Aliases = append(st.Aliases, id)
		}
		for _, p := range s.Products {
			var subs []string
			for _, c := range p.Subcomponents {
				subs = append(subs, c.ids()...)
			}
			for _, id := range (openVEXComponent{ID: p.ID, Identifiers: p.Identifiers}).ids() {
				st.Products = append(st.Products, Product{ID: id, Subcomponents: subs})
			}
		}
		d.Statements = append(d.Statements, st)
	}
	return d, nil
}

// vulnID is the vulnerability's name, else the last path segment of its
// @id (an IRI such as https://nvd.nist.gov/vuln/detail/CVE-2023-38545).
func vulnID(v openVEXVuln) string {
	if v.Name != "" {
		return v.Name
	}
	return lastSegment(v.ID)
}

func lastSegment(s string) string {
	return s[strings.LastIndex(s, "/")+1:]
}
