package vex

import (
	"encoding/json"
	"fmt"
	"strings"
)

// CycloneDX VEX (https://cyclonedx.org/docs/1.6/json/#vulnerabilities):
// vulnerabilities[].analysis.state with affects[].ref naming components.
type cdxDoc struct {
	Metadata struct {
		Timestamp string        `json:"timestamp"`
		Component *cdxComponent `json:"component"`
	} `json:"metadata"`
	Components      []cdxComponent `json:"components"`
	Vulnerabilities []struct {
		ID         string `json:"id"`
		References []struct {
			ID string `json:"id"`
		} `json:"references"`
		Updated  string `json:"updated"`
		Analysis *struct {
			State         string   `json:"state"`
			Justification string   `json:"justification"`
			Response      []string `json:"response"`
			Detail        string   `json:"detail"`
		} `json:"analysis"`
		Affects []struct {
			Ref string `json:"ref"`
		} `json:"affects"`
	} `json:"vulnerabilities"`
}

type cdxComponent struct {
	BOMRef     string         `json:"bom-ref"`
	PURL       string         `json:"purl"`
	Components []cdxComponent `json:"components"`
}

// cdxStates maps analysis.state to OpenVEX status.
var cdxStates = map[string]string{
	"resolved":               Fixed,
	"resolved_with_pedigree": Fixed,
	"exploitable":            Affected,
	"in_triage":              UnderInvestigation,
	"false_positive":         NotAffected,
	"not_affected":           NotAffected,
}

// cdxJustifications maps analysis.justification to OpenVEX labels where
// one fits; the others are kept as CycloneDX wrote them.
var cdxJustifications = map[string]string{
	"code_not_present":                "vulnerable_code_not_present",
	"code_not_reachable":              "vulnerable_code_not_in_execute_path",
	"requires_dependency":             "component_not_present",
	"protected_by_mitigating_control": "inline_mitigations_already_exist",
}

func parseCycloneDX(name string, data []byte) (*Document, error) {
	var doc cdxDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("cyclonedx: %w", err)
	}
	refs := map[string]string{}
	var walk func([]cdxComponent, int)
	walk = func(cs []cdxComponent, depth int) {
		if depth > 64 {
			return
		}
		for _, c := range cs {
			if c.BOMRef != "" && c.PURL != "" {
				refs[c.BOMRef] = c.PURL
			}
			walk(c.Components, depth+1)
		}
	}
	if doc.Metadata.Component != nil {
		walk([]cdxComponent{*doc.Metadata.Component}, 0)
	}
	walk(doc.Components, 0)
	d := &Document{Format: FormatCycloneDX}
	docTime := parseTime(doc.Metadata.Timestamp)
	for i, v := range doc.Vulnerabilities {
		if v.Analysis == nil || v.Analysis.State == "" {
			continue // a plain vulnerability listing, not a VEX statement
		}
		status, ok := cdxStates[v.Analysis.State]
		if !ok {
			return nil, fmt.Errorf("cyclonedx vulnerability %d: unknown analysis state %q", i, v.Analysis.State)
		}
		if v.ID == "" {
			return nil, fmt.Errorf("cyclonedx vulnerability %d: no id", i)
		}
		st := Statement{
			Vulnerability: v.ID, Status: status, Impact: v.Analysis.Detail,
			Justification: v.Analysis.Justification, Timestamp: docTime, Source: fmt.Sprintf("%s#%d", name, i),
		}
		if j, ok := cdxJustifications[st.Justification]; ok {
			st.Justification = j
		}
		if t := parseTime(v.Updated); !t.IsZero() {
			st.Timestamp = t
		}
		if len(v.Analysis.Response) > 0 {
			st.Action = "response: " + strings.Join(v.Analysis.Response, ", ")
		}
		for _, r := range v.References {
			if r.ID != "" {
				st.Aliases = append(st.Aliases, r.ID)
			}
		}
		for _, a := range v.Affects {
			ref := a.Ref
			// A BOM-Link (urn:cdx:serial/version#bom-ref) names a component
			// of another BOM; its fragment is the bom-ref.
			if strings.HasPrefix(ref, "urn:cdx:") {
				if i := strings.IndexByte(ref, '#'); i >= 0 {
					ref = ref[i+1:]
				}
			}
			if p, ok := refs[ref]; ok {
				ref = p
			}
			if ref != "" {
				st.Products = append(st.Products, Product{ID: ref})
			}
		}
		d.Statements = append(d.Statements, st)
	}
	return d, nil
}
