// Package harbor is Harbor's pluggable scanner API v1.2 over the scanning
// service: GET /metadata, POST /scan and GET /scan/{scan_request_id}/report
// under /api/v1, with the request, report and error MIME types of the spec
// (testdata/scanner-adapter-openapi-v1.2.yaml, from
// goharbor/pluggable-scanner-spec). It translates Harbor's requests into the
// service's jobs and customs' reports into Harbor's; it decides nothing
// about findings.
package harbor

import (
	"encoding/json"
	"time"
)

// The MIME types of the spec (its Capabilities table and its operations).
const (
	MIMEMetadata10 = "application/vnd.scanner.adapter.metadata+json; version=1.0"
	MIMEMetadata11 = "application/vnd.scanner.adapter.metadata+json; version=1.1"

	MIMEScanRequest10 = "application/vnd.scanner.adapter.scan.request+json; version=1.0"
	MIMEScanRequest11 = "application/vnd.scanner.adapter.scan.request+json; version=1.1"
	MIMEScanResponse  = "application/vnd.scanner.adapter.scan.response+json; version=1.0"
	MIMEError         = "application/vnd.scanner.adapter.error+json; version=1.0"

	// MIMEVulnReport10 is the legacy ("harbor native") report, also the
	// answer to a report request without an Accept header.
	MIMEVulnReport10 = "application/vnd.scanner.adapter.vuln.report.harbor+json; version=1.0"
	// MIMEVulnReport11 is the current vulnerability report, whose items
	// carry preferred_cvss, cwe_ids and vendor_attributes.
	MIMEVulnReport11 = "application/vnd.security.vulnerability.report; version=1.1"
	// MIMERawReport is the vendor's own report: customs' JSON report
	// (docs/report-schema.md). Served when asked for, not advertised, so
	// Harbor does not store a second, larger copy of every report.
	MIMERawReport  = "application/vnd.scanner.adapter.vuln.report.raw"
	MIMESBOMReport = "application/vnd.security.sbom.report+json; version=1.0"

	// The artifacts customs scans: image manifests.
	MIMEOCIManifest    = "application/vnd.oci.image.manifest.v1+json"
	MIMEDockerManifest = "application/vnd.docker.distribution.manifest.v2+json"

	// The SBOM formats of the sbom capability (sbom_media_type).
	MediaTypeSPDX      = "application/spdx+json"
	MediaTypeCycloneDX = "application/vnd.cyclonedx+json"
)

// The capability types (ScannerCapability.type).
const (
	CapabilityVulnerability = "vulnerability"
	CapabilitySBOM          = "sbom"
)

// The conventional metadata properties (ScannerProperties).
const (
	PropScannerType   = "harbor.scanner-adapter/scanner-type"
	PropDBUpdatedAt   = "harbor.scanner-adapter/vulnerability-database-updated-at"
	PropDBSchema      = "customs/vulnerability-database-schema"
	PropDBSources     = "customs/vulnerability-database-sources"
	PropRefreshAfter  = "customs/refresh-after-seconds"
	scannerTypeOSPkgs = "os-package-vulnerability"
)

// Scanner is the spec's Scanner: who wrote a report.
type Scanner struct {
	Name    string `json:"name"`
	Vendor  string `json:"vendor"`
	Version string `json:"version"`
}

// Capability is the spec's ScannerCapability.
type Capability struct {
	Type                 string         `json:"type,omitempty"`
	ConsumesMIMETypes    []string       `json:"consumes_mime_types"`
	ProducesMIMETypes    []string       `json:"produces_mime_types"`
	AdditionalAttributes map[string]any `json:"additional_attributes,omitempty"`
}

// Metadata is the spec's ScannerAdapterMetadata.
type Metadata struct {
	Scanner      Scanner           `json:"scanner"`
	Capabilities []Capability      `json:"capabilities"`
	Properties   map[string]string `json:"properties,omitempty"`
}

// Registry is where the artifact is pulled from; Authorization is a whole
// HTTP Authorization value ("Basic …" or "Bearer …").
type Registry struct {
	URL           string `json:"url"`
	Authorization string `json:"authorization,omitempty"`
}

// Artifact is the spec's Artifact.
type Artifact struct {
	Repository string `json:"repository,omitempty"`
	Digest     string `json:"digest,omitempty"`
	Tag        string `json:"tag,omitempty"`
	MIMEType   string `json:"mime_type,omitempty"`
}

// EnabledCapability is one item of ScanRequest.enabled_capabilities (v1.2).
type EnabledCapability struct {
	Type              string      `json:"type"`
	ProducesMIMETypes []string    `json:"produces_mime_types,omitempty"`
	Parameters        *Parameters `json:"parameters,omitempty"`
}

// Parameters are the spec's SbomParameters.
type Parameters struct {
	SBOMMediaTypes []string `json:"sbom_media_types,omitempty"`
}

// ScanRequest is the body of POST /scan.
type ScanRequest struct {
	Registry            *Registry           `json:"registry"`
	Artifact            *Artifact           `json:"artifact"`
	EnabledCapabilities []EnabledCapability `json:"enabled_capabilities,omitempty"`
}

// ScanResponse is the answer to POST /scan.
type ScanResponse struct {
	ID string `json:"id"`
}

// Severity names of the spec's Severity.
const (
	SeverityUnknown  = "Unknown"
	SeverityLow      = "Low"
	SeverityMedium   = "Medium"
	SeverityHigh     = "High"
	SeverityCritical = "Critical"
)

// VulnerabilityReport is the spec's HarborVulnerabilityReport, the body of
// both vulnerability report MIME types.
type VulnerabilityReport struct {
	GeneratedAt     time.Time           `json:"generated_at"`
	Artifact        Artifact            `json:"artifact"`
	Scanner         Scanner             `json:"scanner"`
	Severity        string              `json:"severity"`
	Vulnerabilities []VulnerabilityItem `json:"vulnerabilities"`
}

// VulnerabilityItem is the spec's VulnerabilityItem. PreferredCVSS, CWEIDs
// and VendorAttributes are the 1.1 report's; the 1.0 report leaves them out.
type VulnerabilityItem struct {
	ID               string         `json:"id"`
	Package          string         `json:"package"`
	Version          string         `json:"version"`
	FixVersion       string         `json:"fix_version,omitempty"`
	Severity         string         `json:"severity"`
	Description      string         `json:"description,omitempty"`
	Links            []string       `json:"links,omitempty"`
	PreferredCVSS    *CVSSDetails   `json:"preferred_cvss,omitempty"`
	CWEIDs           []string       `json:"cwe_ids,omitempty"`
	VendorAttributes map[string]any `json:"vendor_attributes,omitempty"`
}

// CVSSDetails is the spec's CVSSDetails.
type CVSSDetails struct {
	ScoreV3  *float64 `json:"score_v3,omitempty"`
	ScoreV2  *float64 `json:"score_v2,omitempty"`
	VectorV3 string   `json:"vector_v3,omitempty"`
	VectorV2 string   `json:"vector_v2,omitempty"`
}

// SBOMReport is the spec's HarborSbomReport.
type SBOMReport struct {
	GeneratedAt      time.Time       `json:"generated_at"`
	Artifact         Artifact        `json:"artifact"`
	Scanner          Scanner         `json:"scanner"`
	VendorAttributes map[string]any  `json:"vendor_attributes,omitempty"`
	MediaType        string          `json:"media_type"`
	SBOM             json.RawMessage `json:"sbom"`
}

// ErrorResponse is the spec's ErrorResponse, the body of every error.
type ErrorResponse struct {
	Error struct {
		Message string `json:"message"`
	} `json:"error"`
}
