package npm

import (
	"encoding/json"
	"fmt"
	"strings"

	"github.com/customs-scanner/customs/internal/inventory"
)

// manifest is the part of an installed package.json that is read. License
// and author come in several historical shapes, so they are decoded by hand.
type manifest struct {
	Name     string          `json:"name"`
	Version  string          `json:"version"`
	License  json.RawMessage `json:"license,omitempty"`
	Licenses json.RawMessage `json:"licenses,omitempty"`
	Author   json.RawMessage `json:"author,omitempty"`
}

// compact is what Prepare keeps of a manifest. It is itself a package.json,
// so Extract reads prepared and raw content alike.
type compact struct {
	Name     string   `json:"name"`
	Version  string   `json:"version"`
	Licenses []string `json:"licenses,omitempty"`
	Author   string   `json:"author,omitempty"`
}

// compactManifest turns a package.json into compact JSON, or nil when it
// does not name an installable package.
func compactManifest(content []byte) ([]byte, error) {
	m, ok, err := readManifest(content)
	if err != nil || !ok {
		return nil, err
	}
	return json.Marshal(compact{Name: m.Name, Version: m.Version, Licenses: licenses(m), Author: author(m.Author)})
}

func readManifest(content []byte) (manifest, bool, error) {
	if len(content) > maxFileSize {
		return manifest{}, false, fmt.Errorf("package.json larger than %d bytes", maxFileSize)
	}
	var m manifest
	if err := json.Unmarshal(content, &m); err != nil {
		return manifest{}, false, fmt.Errorf("parse package.json: %w", err)
	}
	m.Name, m.Version = strings.TrimSpace(m.Name), strings.TrimSpace(m.Version)
	if m.Name == "" || m.Version == "" {
		return m, false, nil // a project or a private marker file, not a package
	}
	if !validName(m.Name) {
		return m, false, fmt.Errorf("parse package.json: invalid package name %q", m.Name)
	}
	return m, true, nil
}

// parseManifest reads an installed package's package.json (raw or as
// Prepare left it). ok is false for manifests without name or version.
func parseManifest(content []byte) (inventory.Package, bool, error) {
	m, ok, err := readManifest(content)
	if err != nil || !ok {
		return inventory.Package{}, false, err
	}
	p := inventory.Package{
		Name: m.Name, Version: m.Version, Type: "npm", Ecosystem: "npm",
		PURL: purl(m.Name, m.Version), Licenses: licenses(m),
	}
	if a := author(m.Author); a != "" {
		p.Metadata = Metadata{Author: a}
	}
	return p, true, nil
}

// licenses reads "license": "MIT", "license": {"type": "MIT"} (deprecated),
// "licenses": [{"type": "MIT"}, ...] or "licenses": ["MIT"] (older still),
// and the compact form's "licenses": ["MIT"].
func licenses(m manifest) []string {
	var out []string
	add := func(s string) {
		if s = strings.TrimSpace(s); s != "" {
			out = append(out, s)
		}
	}
	addAny := func(raw json.RawMessage) {
		var s string
		if json.Unmarshal(raw, &s) == nil {
			add(s)
			return
		}
		var o struct {
			Type string `json:"type"`
		}
		if json.Unmarshal(raw, &o) == nil {
			add(o.Type)
		}
	}
	if len(m.License) > 0 {
		addAny(m.License)
	}
	var list []json.RawMessage
	if len(m.Licenses) > 0 && json.Unmarshal(m.Licenses, &list) == nil {
		for _, l := range list {
			addAny(l)
		}
	} else if len(m.Licenses) > 0 {
		addAny(m.Licenses)
	}
	return out
}

// author reads "author": "Name <mail> (url)" or {"name": ...}.
func author(raw json.RawMessage) string {
	if len(raw) == 0 {
		return ""
	}
	var s string
	if json.Unmarshal(raw, &s) == nil {
		return strings.TrimSpace(s)
	}
	var o struct {
		Name  string `json:"name"`
		Email string `json:"email"`
	}
	if json.Unmarshal(raw, &o) != nil {
		return ""
	}
	a := strings.TrimSpace(o.Name)
	if o.Email != "" {
		a = strings.TrimSpace(a + " <" + o.Email + ">")
	}
	return a
}
