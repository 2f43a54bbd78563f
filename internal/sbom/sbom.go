// Package sbom reads an existing SBOM (CycloneDX 1.4–1.6 JSON, SPDX
// 2.2/2.3 JSON or tag-value, plain or wrapped in an in-toto attestation) into an
// inventory, so `customs scan sbom:FILE` matches it without the image.
// Packages are identified by their PURLs, the way customs' own extractors
// name them.
package sbom

import (
	"bytes"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	cdx "github.com/CycloneDX/cyclonedx-go"
	spdxjson "github.com/spdx/tools-golang/json"
	"github.com/spdx/tools-golang/spdx"
	spdxtv "github.com/spdx/tools-golang/tagvalue"

	"github.com/customs-scanner/customs/internal/ecosystem"
	"github.com/customs-scanner/customs/internal/inventory"
)

// MaxSize bounds an SBOM file.
const MaxSize = 512 << 20

// Document is what an SBOM says about its subject.
type Document struct {
	// Format is "cyclonedx" or "spdx", Version its spec version.
	Format, Version string
	// Name is the subject (the image) as the SBOM names it.
	Name     string
	OS       inventory.OS
	Packages []inventory.Package
	// Skipped counts components without a usable PURL.
	Skipped int
	// Unknown counts, by PURL type, components of types no ecosystem
	// declares: they are listed but cannot be matched.
	Unknown map[string]int
}

// Load reads the SBOM at path. Packages are named and given an advisory
// namespace by the descriptor of their PURL type in ecos.
func Load(path string, ecos ecosystem.List) (*Document, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("read SBOM: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, MaxSize+1))
	if err != nil {
		return nil, fmt.Errorf("read SBOM %s: %w", path, err)
	}
	if len(b) > MaxSize {
		return nil, fmt.Errorf("read SBOM %s: larger than %d bytes", path, MaxSize)
	}
	d, err := Decode(b, ecos)
	if err != nil {
		return nil, fmt.Errorf("read SBOM %s: %w", path, err)
	}
	return d, nil
}

// Decode detects the format of b and reads it, as Load does.
func Decode(b []byte, ecos ecosystem.List) (*Document, error) {
	b = unwrapInToto(b)
	var probe struct {
		BOMFormat   string `json:"bomFormat"`
		SpecVersion string `json:"specVersion"`
		SPDXVersion string `json:"spdxVersion"`
	}
	if bytes.HasPrefix(bytes.TrimSpace(b), []byte("SPDXVersion:")) {
		doc, err := spdxtv.Read(bytes.NewReader(b))
		if err != nil {
			return nil, fmt.Errorf("decode SPDX tag-value: %w", err)
		}
		return fromSPDX(doc, ecos), nil
	}
	if err := json.Unmarshal(b, &probe); err != nil {
		return nil, errors.New("not an SBOM (CycloneDX JSON, SPDX JSON or SPDX tag-value expected)")
	}
	switch {
	case probe.BOMFormat == "CycloneDX":
		return decodeCycloneDX(b, ecos)
	case strings.HasPrefix(probe.SPDXVersion, "SPDX-2."):
		return decodeSPDX(b, ecos)
	}
	return nil, errors.New("neither CycloneDX (bomFormat) nor SPDX 2.x (spdxVersion) JSON")
}

// unwrapInToto returns the predicate of an in-toto statement (a DSSE
// envelope line or a bare statement) whose predicate is an SBOM, else b.
func unwrapInToto(b []byte) []byte {
	var env struct {
		PayloadType string `json:"payloadType"`
		Payload     string `json:"payload"`
	}
	if json.Unmarshal(bytes.TrimSpace(firstLine(b)), &env) == nil && env.Payload != "" {
		if p, err := base64.StdEncoding.DecodeString(env.Payload); err == nil {
			b = p
		}
	}
	var st struct {
		Type      string          `json:"_type"`
		Predicate json.RawMessage `json:"predicate"`
	}
	if json.Unmarshal(b, &st) == nil && strings.Contains(st.Type, "in-toto") && len(st.Predicate) > 0 {
		return st.Predicate
	}
	return b
}

func firstLine(b []byte) []byte {
	if i := bytes.IndexByte(b, '\n'); i >= 0 && len(bytes.TrimSpace(b[i:])) == 0 {
		return b[:i]
	}
	return b
}

func decodeCycloneDX(b []byte, ecos ecosystem.List) (*Document, error) {
	var bom cdx.BOM
	if err := cdx.NewBOMDecoder(bytes.NewReader(b), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
		return nil, fmt.Errorf("decode CycloneDX: %w", err)
	}
	d := &Document{Format: "cyclonedx", Version: bom.SpecVersion.String()}
	if bom.Metadata != nil && bom.Metadata.Component != nil {
		d.Name = bom.Metadata.Component.Name
	}
	var comps []cdx.Component
	var walk func(cs *[]cdx.Component)
	walk = func(cs *[]cdx.Component) {
		if cs == nil {
			return
		}
		for _, c := range *cs {
			comps = append(comps, c)
			walk(c.Components)
		}
	}
	walk(bom.Components)
	for _, c := range comps {
		if c.Type == cdx.ComponentTypeOS {
			d.OS = inventory.OS{Family: strings.ToLower(c.Name), Version: c.Version}
		}
	}
	for _, c := range comps {
		if c.PackageURL == "" {
			if c.Type != cdx.ComponentTypeOS {
				d.Skipped++
			}
			continue
		}
		props := map[string]string{}
		if c.Properties != nil {
			for _, p := range *c.Properties {
				props[p.Name] = p.Value
			}
		}
		p, ok := fromPURL(c.PackageURL, d.OS, ecos, hints{srcName: props["aquasecurity:trivy:SrcName"], srcVersion: props["aquasecurity:trivy:SrcVersion"], srcRelease: props["aquasecurity:trivy:SrcRelease"], srcEpoch: props["aquasecurity:trivy:SrcEpoch"]})
		if !ok {
			d.Skipped++
			continue
		}
		if c.Licenses != nil {
			for _, l := range *c.Licenses {
				switch {
				case l.Expression != "":
					p.Licenses = append(p.Licenses, l.Expression)
				case l.License != nil && l.License.ID != "":
					p.Licenses = append(p.Licenses, l.License.ID)
				case l.License != nil && l.License.Name != "":
					p.Licenses = append(p.Licenses, l.License.Name)
				}
			}
		}
		if c.CPE != "" {
			p.CPEs = []string{c.CPE}
		}
		d.Packages = append(d.Packages, p)
	}
	finish(d, ecos)
	return d, nil
}

func decodeSPDX(b []byte, ecos ecosystem.List) (*Document, error) {
	doc, err := spdxjson.Read(bytes.NewReader(b))
	if err != nil {
		return nil, fmt.Errorf("decode SPDX: %w", err)
	}
	return fromSPDX(doc, ecos), nil
}

// fromSPDX reads an SPDX document of either encoding.
func fromSPDX(doc *spdx.Document, ecos ecosystem.List) *Document {
	d := &Document{Format: "spdx", Version: doc.SPDXVersion, Name: doc.DocumentName}
	for _, p := range doc.Packages {
		if p == nil {
			continue
		}
		// Trivy names the OS as a package without a PURL.
		if strings.HasPrefix(string(p.PackageSPDXIdentifier), "OperatingSystem") {
			d.OS = inventory.OS{Family: strings.ToLower(p.PackageName), Version: p.PackageVersion}
		}
	}
	for _, p := range doc.Packages {
		if p == nil {
			continue
		}
		purl := ""
		var cpes []string
		for _, ref := range p.PackageExternalReferences {
			if ref == nil {
				continue
			}
			switch ref.RefType {
			case "purl":
				purl = ref.Locator
			case "cpe23Type", "cpe22Type":
				cpes = append(cpes, ref.Locator)
			}
		}
		if purl == "" {
			if !strings.HasPrefix(string(p.PackageSPDXIdentifier), "OperatingSystem") && !strings.HasPrefix(string(p.PackageSPDXIdentifier), "ContainerImage") {
				d.Skipped++
			}
			continue
		}
		h := hints{}
		// "built package from: NAME VERSION" (SPDX 3.2.x sourceInfo, as
		// Trivy and Syft write it).
		if rest, ok := strings.CutPrefix(p.PackageSourceInfo, "built package from: "); ok {
			if name, ver, ok := strings.Cut(strings.TrimSpace(rest), " "); ok {
				h.srcName, h.srcVersion = name, ver
			}
		}
		for _, a := range p.PackageAttributionTexts {
			k, v, _ := strings.Cut(a, ": ")
			switch k {
			case "SrcName":
				h.srcName = v
			case "SrcVersion":
				h.srcVersion = v
			}
		}
		pkg, ok := fromPURL(purl, d.OS, ecos, h)
		if !ok {
			d.Skipped++
			continue
		}
		if l := p.PackageLicenseDeclared; l != "" && l != "NOASSERTION" && l != "NONE" {
			pkg.Licenses = []string{l}
		}
		pkg.CPEs = cpes
		d.Packages = append(d.Packages, pkg)
	}
	finish(d, ecos)
	return d
}

// finish gives every package a location naming the SBOM and an ID, counts
// those of unknown types, and sorts them.
func finish(d *Document, ecos ecosystem.List) {
	for i := range d.Packages {
		if _, ok := ecos.Lookup(d.Packages[i].Type); !ok {
			if d.Unknown == nil {
				d.Unknown = map[string]int{}
			}
			d.Unknown[d.Packages[i].Type]++
		}
		d.Packages[i].Locations = []inventory.Location{{Path: "sbom:" + d.Packages[i].PURL}}
		d.Packages[i].FoundBy = "sbom/" + d.Format
		d.Packages[i].SetID()
	}
	inventory.Sort(d.Packages)
}
