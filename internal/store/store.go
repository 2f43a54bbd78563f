// Package store keeps what customs inspected, by digest, so questions
// ("where are we exposed to CVE-X", "who has openssl, in which versions")
// are answered without reading any image again (docs/store.md).
//
// An image is recorded under its manifest digest with the references it
// was seen under; each of its layers' inventories is stored once, keyed by
// its content, however many images share the layer; each recording keeps
// the findings and the DB build they were matched against. A host is not
// immutable: it keeps a history of snapshots.
//
// The interfaces are what the commands need; store/sqlite and
// store/postgres implement them over one schema, and store/storetest is
// the suite both pass.
package store

import (
	"context"
	"errors"
	"time"

	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/report"
)

// Subject kinds.
const (
	KindImage = "image"
	KindHost  = "host"
)

// Recorder records a scan.
type Recorder interface {
	// Record keeps the report as the subject's current snapshot. Recording
	// a report equal to the subject's current snapshot (same layers, same
	// inventories, same findings, same DB build) adds no snapshot; it only
	// extends the subject's last-seen time and references.
	Record(ctx context.Context, in Input) (Recorded, error)
}

// Placer records where images run.
type Placer interface {
	// Place records placements read from their sources: for each source
	// (runtime and file) in ps, what the store held for it is replaced by
	// ps, so a workload gone from a manifest is gone from the store.
	Place(ctx context.Context, ps []Placement, now time.Time) error
}

// Placement is one container of a workload and the image it runs.
type Placement struct {
	// Runtime is the input format: "k8s", "compose", "inspect",
	// "oci-config", "docker".
	Runtime   string `json:"runtime"`
	Source    string `json:"source"`
	Namespace string `json:"namespace,omitempty"`
	Kind      string `json:"kind"`
	Name      string `json:"name"`
	Container string `json:"container"`
	// Image is the reference as the workload names it; Digest the
	// manifest digest, when the input gives one (a reference @sha256:…
	// gives its digest).
	Image     string    `json:"image"`
	Digest    string    `json:"digest,omitempty"`
	FirstSeen time.Time `json:"firstSeen"`
	LastSeen  time.Time `json:"lastSeen"`
}

// Querier answers questions from what was recorded, about every subject's
// current snapshot.
type Querier interface {
	// Where returns the findings of vulnerability id or any of its aliases.
	// An unknown id gives no matches and no error.
	Where(ctx context.Context, id string) ([]Match, error)
	// Holders returns the packages matching q, with their findings.
	Holders(ctx context.Context, q PackageQuery) ([]Holding, error)
	// Spread is Spread(Holders(q), key) without building every holding:
	// the same versions, counts and vulnerabilities. With subjects set,
	// each version's Subjects lists its holders as Holders has them;
	// without, it is empty (customs spread's table needs the counts
	// only). key is called once per holding, with its package's name,
	// version, type and PURL only.
	Spread(ctx context.Context, q PackageQuery, key func(Holding) string, subjects bool) ([]VersionSpread, error)
	// Subjects lists the stored images and hosts with their current
	// snapshot's summary.
	Subjects(ctx context.Context) ([]SubjectSummary, error)
	// History returns the snapshots of the subjects named by name (a
	// manifest digest, a reference, a host name or machine-id), oldest
	// first.
	History(ctx context.Context, name string) ([]Snapshot, error)
	// Inventory returns a snapshot's packages as the report had them
	// (without Files and AlsoMatch, which reports do not carry), layer by
	// layer, and the packages reported as owned by OS packages.
	Inventory(ctx context.Context, snapshot int64) (packages, owned []inventory.Package, err error)
	// Report returns the current snapshot of the subject name names (an
	// image's manifest digest, with or without "sha256:", or its image
	// ID; a host's machine-id or name) as the report it was recorded
	// from. ErrNotFound when the store has no such subject.
	Report(ctx context.Context, name string) (*StoredReport, error)
	// SnapshotReport is Report for one snapshot, current or not.
	SnapshotReport(ctx context.Context, snapshot int64) (*StoredReport, error)
	// Resolve returns the manifest digest of the image most recently seen
	// under ref, both normalised by NormalizeRef ("nginx" finds what
	// "docker.io/library/nginx:latest" recorded). A reference with a
	// digest resolves to it when the store holds that image. ErrNotFound
	// when no image was seen under ref.
	Resolve(ctx context.Context, ref string) (string, error)
	// SubjectsPage lists up to limit subjects (SubjectPageMax when limit
	// is not in 1..SubjectPageMax) in the order they were first recorded,
	// starting after cursor ("" starts at the first); next is the cursor
	// of the following page, "" after the last.
	SubjectsPage(ctx context.Context, cursor string, limit int) (page []SubjectSummary, next string, err error)
}

// SubjectPageMax is the largest page SubjectsPage returns.
const SubjectPageMax = 1000

// ErrNotFound is returned by Report, SnapshotReport and Resolve when the
// store holds no such subject, snapshot or reference.
var ErrNotFound = errors.New("not in the store")

// StoredReport is a snapshot read back as a report, with what the store
// knows about it.
type StoredReport struct {
	Subject Subject `json:"subject"`
	// Snapshot is the snapshot's ID; Current says whether it is its
	// subject's current one.
	Snapshot   int64     `json:"snapshot"`
	Current    bool      `json:"current"`
	ScannedAt  time.Time `json:"scannedAt"`
	RecordedAt time.Time `json:"recordedAt"`
	// DBBuilt is the build of the DB the findings were last matched
	// against (zero when none); Tool the scanner that recorded them
	// ("customs 1.2.0").
	DBBuilt time.Time `json:"dbBuilt,omitzero"`
	Tool    string    `json:"tool"`
	// Report is the snapshot as a scan report: the recorded report (its
	// target with labels, OS, findings in full, secrets,
	// misconfigurations, relationships, coverage) with its packages from
	// the layer inventories, each with its layer and createdBy, and the
	// DB block of the build the findings were last matched against. A
	// snapshot recorded before the store kept reports (migration 0005)
	// gives what its rows hold: the target from the subject, packages and
	// findings without their evidence, the summary recounted.
	Report *report.Report `json:"report"`
}

// Pruner drops old snapshots.
type Pruner interface {
	// Prune drops the snapshots of each subject beyond its KeepLast most
	// recent that were recorded before OlderThan, never a subject's
	// current one, and then the layer inventories no snapshot holds and
	// the delivered notifications of the dropped snapshots.
	Prune(ctx context.Context, opts PruneOptions) (Pruned, error)
}

// PruneOptions say which snapshots Prune keeps.
type PruneOptions struct {
	// KeepLast is how many snapshots of each subject are kept whatever
	// their age; the current one is always kept.
	KeepLast int
	// OlderThan spares snapshots recorded at or after it; zero spares none.
	OlderThan time.Time
}

// Pruned counts what Prune dropped.
type Pruned struct {
	Snapshots   int `json:"snapshots"`
	Inventories int `json:"inventories"`
	// Notifications are the delivered ones announcing pruned snapshots.
	Notifications int `json:"notifications"`
}

// Store is a recorder, placer, pruner and querier over one database,
// with the API tokens of customs serve.
type Store interface {
	Recorder
	Placer
	Pruner
	Querier
	Reevaluator
	Outbox
	Tokens
	Subscriptions
	Fleet
	Drifts
	Close() error
}

// ErrNewer is returned when the store was written by a newer customs: its
// schema version is above every migration this build knows.
var ErrNewer = errors.New("store written by a newer customs")

// Input is one recording: a report and what the report does not say.
type Input struct {
	Report *report.Report
	// Host, when set, records the report as a snapshot of that host
	// rather than as an image.
	Host *Host
	// Refs are references the image was seen under, besides the report's
	// repo tags and digests.
	Refs []string
	// Labels are the image's config labels, when the caller has them.
	Labels map[string]string
	// Platform is "os/arch[/variant]"; empty takes linux/ and the report's
	// architecture.
	Platform string
	// Now is the time of recording; zero takes time.Now.
	Now time.Time
	// Outbox are the notifications announcing this recording, written in
	// its transaction when it adds a snapshot (and dropped when it adds
	// none).
	Outbox []Delivery
	// Replaces, when set, is the snapshot this recording was computed
	// from (re-evaluation): if the subject's current snapshot is another
	// by now, nothing is recorded and Recorded.Superseded is set.
	Replaces int64
	// Unchanged, with Replaces, says the findings equal the replaced
	// snapshot's (store.Diff finds nothing): no snapshot is added; the
	// replaced one is marked as matched against the report's DB build.
	Unchanged bool
}

// Host identifies a machine: /etc/machine-id and its host name.
type Host struct {
	MachineID string `json:"machineID"`
	Hostname  string `json:"hostname"`
}

// Recorded says what a recording did.
type Recorded struct {
	Subject Subject `json:"subject"`
	// Snapshot is the ID of the subject's current snapshot.
	Snapshot int64 `json:"snapshot"`
	// New is false when the report equalled the current snapshot.
	New bool `json:"new"`
	// Superseded is set when Input.Replaces was no longer current.
	Superseded bool `json:"superseded,omitempty"`
	// Layers is how many layers the image has; NewInventories how many of
	// their inventories were not stored yet.
	Layers         int `json:"layers"`
	NewInventories int `json:"newInventories"`
}

// Subject is a recorded image or host.
type Subject struct {
	Kind string `json:"kind"`
	// Digest is an image's manifest digest (else its image ID), or a
	// host's machine-id.
	Digest string   `json:"digest"`
	Refs   []string `json:"refs,omitempty"`
	// Name is a host's name or an image's first reference.
	Name         string            `json:"name"`
	ConfigDigest string            `json:"configDigest,omitempty"`
	Platform     string            `json:"platform,omitempty"`
	Labels       map[string]string `json:"labels,omitempty"`
	FirstSeen    time.Time         `json:"firstSeen"`
	LastSeen     time.Time         `json:"lastSeen"`
}

// Match is one finding of a Where query, with the scan report's field
// names.
type Match struct {
	Subject         Subject `json:"subject"`
	PackageName     string  `json:"packageName"`
	PackageVersion  string  `json:"packageVersion"`
	PackageType     string  `json:"packageType"`
	PURL            string  `json:"purl"`
	VulnerabilityID string  `json:"vulnerabilityID"`
	Status          string  `json:"status"`
	FixedVersion    string  `json:"fixedVersion"`
	Severity        string  `json:"severity"`
	Layer           string  `json:"layer"`
	CreatedBy       string  `json:"createdBy"`
	// RunningIn are the workloads that run the image, by digest or by one
	// of its references.
	RunningIn []Placement `json:"runningIn,omitempty"`
}

// PackageQuery selects packages by name or PURL. A PURL without a version
// matches every version; Name matches the package's name or its source
// package's name.
type PackageQuery struct {
	Name string
	PURL string
}

// Holding is one package of a subject's current snapshot.
type Holding struct {
	Subject        Subject `json:"subject"`
	PackageName    string  `json:"packageName"`
	PackageVersion string  `json:"packageVersion"`
	PackageType    string  `json:"packageType"`
	PURL           string  `json:"purl"`
	Ecosystem      string  `json:"ecosystem,omitempty"`
	SourceName     string  `json:"sourceName,omitempty"`
	SourceVersion  string  `json:"sourceVersion,omitempty"`
	Layer          string  `json:"layer"`
	CreatedBy      string  `json:"createdBy"`
	// Owned is set for a language package reported as part of the OS
	// package that owns its file (the report's ownedPackages).
	Owned     bool        `json:"owned,omitempty"`
	Findings  []Finding   `json:"findings"`
	RunningIn []Placement `json:"runningIn,omitempty"`
}

// Finding is a vulnerability of a package in a snapshot.
type Finding struct {
	VulnerabilityID string `json:"vulnerabilityID"`
	PackageName     string `json:"packageName"`
	PackageVersion  string `json:"packageVersion"`
	PURL            string `json:"purl"`
	Status          string `json:"status"`
	FixedVersion    string `json:"fixedVersion"`
	Severity        string `json:"severity"`
	KEV             bool   `json:"kev,omitempty"`
	// EPSS is the exploit prediction score (0 when unknown); Current
	// reads it, the other queries leave it 0.
	EPSS float64 `json:"epss,omitempty"`
}

// SubjectSummary is a subject with its current snapshot's finding counts.
type SubjectSummary struct {
	Subject    Subject        `json:"subject"`
	Snapshots  int            `json:"snapshots"`
	Packages   int            `json:"packages"`
	BySeverity map[string]int `json:"bySeverity"`
}

// Snapshot is one recorded state of a subject.
type Snapshot struct {
	ID         int64     `json:"id"`
	Subject    Subject   `json:"subject"`
	ScannedAt  time.Time `json:"scannedAt"`
	RecordedAt time.Time `json:"recordedAt"`
	// DBBuilt is when the DB the findings came from was built; zero when
	// the scan used none.
	DBBuilt  time.Time `json:"dbBuilt,omitzero"`
	Tool     string    `json:"tool"`
	Packages int       `json:"packages"`
	Findings []Finding `json:"findings"`
}
