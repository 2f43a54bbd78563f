package policy

import (
	"math"
	"time"

	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/vulndb"
)

// Input is the finding as CEL rules see it (the variable `finding`); the
// cel tags are the field names, documented in docs/policy.md.
type Input struct {
	ID      string   `cel:"id"`
	Aliases []string `cel:"aliases"`
	// Severity is the rank of the severity: UNKNOWN 0 ... CRITICAL 5, so
	// rules compare it with the constants of the same names.
	Severity       int64   `cel:"severity"`
	SeverityName   string  `cel:"severityName"`
	CVSS           CVSS    `cel:"cvss"`
	Status         string  `cel:"status"`
	FixAvailable   bool    `cel:"fixAvailable"`
	FixedVersion   string  `cel:"fixedVersion"`
	KEV            bool    `cel:"kev"`
	EPSS           float64 `cel:"epss"`
	EPSSPercentile float64 `cel:"epssPercentile"`
	PackageType    string  `cel:"packageType"`
	PackageName    string  `cel:"packageName"`
	PackageVersion string  `cel:"packageVersion"`
	PURL           string  `cel:"purl"`
	Path           string  `cel:"path"`
	Layer          string  `cel:"layer"`
	// LayerIndex is the 0-based index of the package's layer, -1 when unknown.
	LayerIndex int64 `cel:"layerIndex"`
	// BaseImage is true when the package's layer is one of the first
	// --base-image-layers layers.
	BaseImage bool `cel:"baseImage"`
	// AgeDays is the number of whole days since the advisory was
	// published, -1 when the date is unknown.
	AgeDays int64 `cel:"ageDays"`
}

// CVSS is the highest-scoring CVSS assessment of a finding.
type CVSS struct {
	Score   float64 `cel:"score"`
	Vector  string  `cel:"vector"`
	Version string  `cel:"version"`
	Source  string  `cel:"source"`
}

// Context is what the evaluation knows beyond the finding itself.
type Context struct {
	// Now is the clock for ageDays.
	Now time.Time
	// BaseImageLayers is how many of the image's bottom layers belong to the
	// base image; 0 means unknown, and baseImage is then always false.
	BaseImageLayers int
	// Layers are the image's layers, bottom first (report.Target.Layers).
	Layers []report.Layer
}

// NewInput builds the CEL view of f.
func NewInput(f report.Finding, c Context) Input {
	in := Input{
		ID: f.VulnerabilityID, Aliases: append([]string{}, f.Aliases...),
		SeverityName: f.Severity, Status: f.Status,
		FixAvailable: f.Status == report.StatusFixAvailable || (f.FixedVersion != "" && f.Status != report.StatusNotAffected),
		FixedVersion: f.FixedVersion, KEV: f.KEV != nil,
		PackageType: f.PackageType, PackageName: f.PackageName, PackageVersion: f.PackageVersion,
		PURL: f.PURL, Path: f.Path, Layer: f.Layer, LayerIndex: -1, AgeDays: -1,
	}
	if r, ok := vulndb.SeverityRank(f.Severity); ok {
		in.Severity = int64(r)
	}
	best := -1.0
	for _, c := range f.CVSS {
		if c.Score > best {
			best = c.Score
			in.CVSS = CVSS{Score: c.Score, Vector: c.Vector, Version: c.Version, Source: c.Source}
		}
	}
	if f.EPSS != nil {
		in.EPSS, in.EPSSPercentile = f.EPSS.Score, f.EPSS.Percentile
	}
	for i, l := range c.Layers {
		if f.Layer != "" && l.DiffID == f.Layer {
			in.LayerIndex = int64(i)
			in.BaseImage = i < c.BaseImageLayers
			break
		}
	}
	if !f.Published.IsZero() && !c.Now.IsZero() {
		in.AgeDays = int64(math.Floor(c.Now.Sub(f.Published).Hours() / 24))
		if in.AgeDays < 0 {
			in.AgeDays = 0
		}
	}
	return in
}
