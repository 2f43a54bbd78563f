package store

import (
	"context"
	"time"

	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/report"
)

// Fleet answers the dashboard's questions about the whole store in one
// query each, without reading every subject (docs/dashboard.md).
type Fleet interface {
	// Overview counts the subjects and their current snapshots' findings.
	Overview(ctx context.Context) (Overview, error)
	// Trend returns the findings by severity of the fleet as it stood at
	// each of points times, evenly spaced from since to until: at each,
	// every subject counts with its last snapshot recorded by then.
	Trend(ctx context.Context, since, until time.Time, points int) ([]TrendPoint, error)
	// Deliveries lists up to limit notifications in state (Pending,
	// Delivered, Failed; "" for all), newest first, after cursor ("" starts
	// at the newest); next is the cursor of the following page, "" after
	// the last.
	Deliveries(ctx context.Context, state, cursor string, limit int) (page []Delivery, next string, err error)
	// KindPage is SubjectsPage over the subjects of one kind (KindImage,
	// KindHost).
	KindPage(ctx context.Context, kind, cursor string, limit int) (page []SubjectSummary, next string, err error)
	// Running returns the placements that run the image whose manifest
	// digest (or image ID) is digest, by digest or by one of its
	// references; none for a host or a digest the store does not hold.
	Running(ctx context.Context, digest string) ([]Placement, error)
	// Find returns up to limit subjects (FindMax when limit is not in
	// 1..FindMax) that q names, most recently seen first: by manifest
	// digest, image ID or machine-id, whole or a prefix of at least
	// FindPrefix hex digits (with or without "sha256:"); by host name or
	// image name; by a reference (normalised as Resolve does), or a
	// repository without tag or digest (every image seen under it).
	Find(ctx context.Context, q string, limit int) ([]Subject, error)
	// HolderCount counts the images and hosts whose current snapshot
	// holds a package q selects (as Holders selects them).
	HolderCount(ctx context.Context, q PackageQuery) (Holders, error)
	// Holds says whether some current snapshot holds a package q selects.
	Holds(ctx context.Context, q PackageQuery) (bool, error)
	// Exposure counts what Where(id) returns without reading it all: the
	// findings, the images and hosts they are in, how many of those
	// images run in a recorded workload, and their fixed versions and
	// severities; it lists the workloads that run those images (at most
	// ExposureWorkloads), and up to limit of Where's matches from offset
	// on, in Where's order (reading the subjects and workloads of those
	// only).
	Exposure(ctx context.Context, id string, offset, limit int) (Exposure, error)
	// SpreadOf is Querier.Spread, listing at most perVersion subjects of
	// each group (all when perVersion is 0; the first by kind, name and
	// digest; Kind, Digest and Name only). key is called as Spread calls
	// it.
	SpreadOf(ctx context.Context, q PackageQuery, key func(Holding) string, perVersion int) ([]VersionSpread, error)
	// ReportHead is Report without the snapshot's packages and findings
	// (Report.Packages, Owned and Findings nil): what an image's page
	// shows beside one page of each (FindingPage, PackagePage), without
	// decoding thousands of them.
	ReportHead(ctx context.Context, name string) (*StoredReport, error)
	// HistoryPage is History newest first, a page at a time: up to limit
	// snapshots from offset on, and the one just older than the last of
	// them (nil when none), to compare it with; each with its findings.
	// total counts every snapshot.
	HistoryPage(ctx context.Context, name string, offset, limit int) (page []Snapshot, older *Snapshot, total int, err error)
	// FindingPage returns up to limit of a snapshot's findings from
	// offset on, most severe first, then by package name and
	// vulnerability ID, as the report had them (Report's Findings);
	// those of the packages of layer (a DiffID) when layer is not "".
	FindingPage(ctx context.Context, snapshot int64, layer string, offset, limit int) (FindingPage, error)
	// PackagePage returns up to limit of a snapshot's packages (not the
	// owned ones) from offset on, by name, version and ID, as Report's
	// Packages has them; those of layer when layer is not "".
	PackagePage(ctx context.Context, snapshot int64, layer string, offset, limit int) (PackagePage, error)
}

// FindingPage is one page of a snapshot's findings, with counts of all
// (of the layer asked for).
type FindingPage struct {
	Findings []report.Finding
	Total    int
	// ByLayer counts the findings by the DiffID of their package's layer;
	// BySeverity by severity as recorded.
	ByLayer    map[string]int
	BySeverity map[string]int
}

// PackagePage is one page of a snapshot's packages, with counts of all
// (of the layer asked for).
type PackagePage struct {
	Packages []inventory.Package
	Total    int
	ByLayer  map[string]int
}

// Holders counts the subjects holding a package.
type Holders struct {
	Images int `json:"images"`
	Hosts  int `json:"hosts"`
}

// Exposure is the fleet's exposure to one vulnerability.
type Exposure struct {
	// Findings counts the matches (a subject may hold several affected
	// packages); Images and Hosts the subjects; Running the images that
	// run in a recorded workload (Placer).
	Findings int `json:"findings"`
	Images   int `json:"images"`
	Hosts    int `json:"hosts"`
	Running  int `json:"running"`
	// Fixes are the distinct fixed versions, sorted; Severities the
	// distinct severities as the findings give them.
	Fixes      []string `json:"fixes"`
	Severities []string `json:"severities"`
	// Workloads are the containers that run an affected image, sorted by
	// runtime, source, namespace, kind, name and container; WorkloadsTotal
	// counts them all.
	Workloads      []Workload `json:"workloads"`
	WorkloadsTotal int        `json:"workloadsTotal"`
	// Matches are the page of Where's matches asked for.
	Matches []Match `json:"matches"`
}

// ExposureWorkloads bounds Exposure.Workloads.
const ExposureWorkloads = 500

// Workload is a placement with the stored image it runs (Kind, Digest and
// Name only).
type Workload struct {
	Placement Placement `json:"placement"`
	Subject   Subject   `json:"subject"`
}

// FindMax is the most subjects Find returns; FindPrefix the fewest hex
// digits of a digest prefix it looks up.
const (
	FindMax    = 100
	FindPrefix = 6
)

// DeliveryPageMax is the largest page Deliveries returns.
const DeliveryPageMax = 500

// Overview is the fleet at a glance: subjects, and the findings of their
// current snapshots.
type Overview struct {
	Images int `json:"images"`
	Hosts  int `json:"hosts"`
	// Findings counts the current snapshots' findings; BySeverity by
	// severity; KEV those listed in CISA's catalog; Fixable those with a
	// fixed version.
	Findings   int            `json:"findings"`
	BySeverity map[string]int `json:"bySeverity"`
	KEV        int            `json:"kev"`
	Fixable    int            `json:"fixable"`
	// Exposed counts the subjects with at least one KEV-listed finding.
	Exposed int `json:"exposed"`
}

// TrendPoint is the fleet's findings at one time.
type TrendPoint struct {
	At         time.Time      `json:"at"`
	Subjects   int            `json:"subjects"`
	BySeverity map[string]int `json:"bySeverity"`
}
