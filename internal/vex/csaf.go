package vex

import (
	"encoding/json"
	"fmt"
	"sort"
)

// CSAF 2.0 (https://docs.oasis-open.org/csaf/csaf/v2.0/csaf-v2.0.html): the
// product tree maps product IDs to PURLs; vulnerabilities[].product_status
// lists product IDs per status, flags give justifications and threats of
// category impact give impact statements.
type csafDoc struct {
	Document struct {
		Tracking struct {
			CurrentReleaseDate string `json:"current_release_date"`
		} `json:"tracking"`
	} `json:"document"`
	ProductTree struct {
		Branches         []csafBranch          `json:"branches"`
		FullProductNames []csafFullProductName `json:"full_product_names"`
		Relationships    []struct {
			FullProductName  csafFullProductName `json:"full_product_name"`
			ProductReference string              `json:"product_reference"`
		} `json:"relationships"`
	} `json:"product_tree"`
	Vulnerabilities []struct {
		CVE string `json:"cve"`
		IDs []struct {
			Text string `json:"text"`
		} `json:"ids"`
		ProductStatus map[string][]string `json:"product_status"`
		Flags         []struct {
			Label      string   `json:"label"`
			ProductIDs []string `json:"product_ids"`
		} `json:"flags"`
		Threats []struct {
			Category   string   `json:"category"`
			Details    string   `json:"details"`
			ProductIDs []string `json:"product_ids"`
		} `json:"threats"`
		Remediations []struct {
			Category   string   `json:"category"`
			Details    string   `json:"details"`
			ProductIDs []string `json:"product_ids"`
		} `json:"remediations"`
	} `json:"vulnerabilities"`
}

type csafBranch struct {
	Product  *csafFullProductName `json:"product"`
	Branches []csafBranch         `json:"branches"`
}

type csafFullProductName struct {
	ProductID string `json:"product_id"`
	Helper    *struct {
		PURL string `json:"purl"`
	} `json:"product_identification_helper"`
}

// csafStatuses maps product_status keys to OpenVEX statuses. Affected comes
// last: when one document says a package is both affected (on one platform)
// and not affected (on another), the later statement, affected, wins, since
// customs cannot tell the platforms apart.
var csafStatuses = []struct{ key, status string }{
	{"fixed", Fixed}, {"first_fixed", Fixed},
	{"known_not_affected", NotAffected},
	{"under_investigation", UnderInvestigation},
	{"known_affected", Affected}, {"first_affected", Affected}, {"last_affected", Affected},
}

func parseCSAF(name string, data []byte) (*Document, error) {
	var doc csafDoc
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("csaf: %w", err)
	}
	purls := map[string]string{}
	add := func(p csafFullProductName) {
		if p.Helper != nil && p.Helper.PURL != "" {
			purls[p.ProductID] = p.Helper.PURL
		}
	}
	var walk func([]csafBranch, int)
	walk = func(bs []csafBranch, depth int) {
		if depth > 64 {
			return
		}
		for _, b := range bs {
			if b.Product != nil {
				add(*b.Product)
			}
			walk(b.Branches, depth+1)
		}
	}
	walk(doc.ProductTree.Branches, 0)
	for _, p := range doc.ProductTree.FullProductNames {
		add(p)
	}
	for _, r := range doc.ProductTree.Relationships {
		if _, ok := purls[r.FullProductName.ProductID]; ok {
			continue
		}
		if p, ok := purls[r.ProductReference]; ok {
			purls[r.FullProductName.ProductID] = p
		}
	}
	d := &Document{Format: FormatCSAF}
	ts := parseTime(doc.Document.Tracking.CurrentReleaseDate)
	for i, v := range doc.Vulnerabilities {
		id := v.CVE
		var aliases []string
		for _, x := range v.IDs {
			if id == "" {
				id = x.Text
			} else if x.Text != "" && x.Text != id {
				aliases = append(aliases, x.Text)
			}
		}
		if id == "" {
			return nil, fmt.Errorf("csaf vulnerability %d: no cve or ids", i)
		}
		just, impact, action := map[string]string{}, map[string]string{}, map[string]string{}
		for _, f := range v.Flags {
			for _, p := range f.ProductIDs {
				just[p] = f.Label
			}
		}
		for _, t := range v.Threats {
			if t.Category != "impact" {
				continue
			}
			for _, p := range t.ProductIDs {
				impact[p] = t.Details
			}
		}
		for _, r := range v.Remediations {
			for _, p := range r.ProductIDs {
				action[p] = r.Category + ": " + r.Details
			}
		}
		for _, s := range csafStatuses {
			// One statement per (justification, impact, action) group.
			groups := map[[3]string][]Product{}
			for _, pid := range v.ProductStatus[s.key] {
				purl, ok := purls[pid]
				if !ok {
					continue // no PURL: nothing customs can match it to
				}
				k := [3]string{just[pid], impact[pid], action[pid]}
				groups[k] = append(groups[k], Product{ID: purl})
			}
			keys := make([][3]string, 0, len(groups))
			for k := range groups {
				keys = append(keys, k)
			}
			sort.Slice(keys, func(a, b int) bool {
				return keys[a][0]+"\x00"+keys[a][1]+"\x00"+keys[a][2] < keys[b][0]+"\x00"+keys[b][1]+"\x00"+keys[b][2]
			})
			for _, k := range keys {
				d.Statements = append(d.Statements, Statement{
					Vulnerability: id, Aliases: aliases, Products: groups[k], Status: s.status,
					Justification: k[0], Impact: k[1], Action: k[2], Timestamp: ts,
					Source: fmt.Sprintf("%s#%d", name, i),
				})
			}
		}
	}
	return d, nil
}
