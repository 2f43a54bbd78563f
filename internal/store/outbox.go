package store

import (
	"context"
	"time"

	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/report"
)

// Reevaluator reads what re-evaluation re-matches: every subject's
// current snapshot, and which of them hold packages whose advisories
// changed. Re-evaluation reads each snapshot back with SnapshotReport and
// records its result with Record, with the notifications it announces in
// Input.Outbox.
type Reevaluator interface {
	// Current returns every subject's current snapshot.
	Current(ctx context.Context) ([]Current, error)
	// PackageKeys returns the keys matching looks the stored packages up
	// by: (ecosystem, source name or else name) of each package matched on
	// its own, and (ecosystem, n) for each of its AlsoMatch names.
	PackageKeys(ctx context.Context) ([]PackageKey, error)
	// Digests returns the advisory digests kept for the DB build built,
	// nil when none are.
	Digests(ctx context.Context, built time.Time) (map[PackageKey]string, error)
	// SaveDigests keeps the digests of build built, in place of any kept
	// for it, and drops those of builds no current snapshot was matched
	// against.
	SaveDigests(ctx context.Context, built time.Time, digests map[PackageKey]string) error
	// Holding returns the current snapshots holding a package with one of
	// keys, by ID.
	Holding(ctx context.Context, keys []PackageKey) (map[int64]bool, error)
	// MarkMatched marks the given snapshots, where still current, as
	// matched against db without changing their findings: what the DB
	// says about their packages did not change.
	MarkMatched(ctx context.Context, snapshots []int64, db *report.DB) error
	// SnapshotPackages returns the packages of a snapshot matched on their
	// own that are looked up by one of keys (and perhaps a few more: the
	// caller checks), with their rows.
	SnapshotPackages(ctx context.Context, snapshot int64, keys []PackageKey) ([]StoredPackage, error)
	// SnapshotFindings returns a snapshot's findings with their package
	// rows: those of the given package rows only, unless packages is nil.
	SnapshotFindings(ctx context.Context, snapshot int64, packages []int64) ([]RowFinding, error)
	// Rederive records a new current snapshot of the subject whose current
	// snapshot is r.Replaces: that snapshot with the findings of
	// r.Packages replaced by r.Findings, matched against r.DB, in one
	// transaction with r.Outbox. Recorded.Superseded when r.Replaces is no
	// longer current.
	Rederive(ctx context.Context, r Rederivation) (Recorded, error)
	// SnapshotLayers returns the layers of the given snapshots, in order,
	// by snapshot. A snapshot's findings are in the sets of the lowest
	// layer of each inventory.
	SnapshotLayers(ctx context.Context, snapshots []int64) (map[int64][]LayerFindings, error)
	// MarkRematched marks each snapshot of hashes, where still current,
	// as matched against db without changing its findings, with its new
	// content hash (Prepared.ContentHash): what recording the same
	// findings matched against db records.
	MarkRematched(ctx context.Context, hashes map[int64]string, db *report.DB) error
	// InventoryPackages returns the packages of the given inventories,
	// the owned ones included (StoredPackage.Owned), with their rows, in
	// order, by inventory.
	InventoryPackages(ctx context.Context, inventories []int64) (map[int64][]StoredPackage, error)
	// SnapshotHead returns what the store kept of a snapshot's report
	// besides its packages and findings (CompressReport), nil for a
	// snapshot recorded before it kept reports.
	SnapshotHead(ctx context.Context, snapshot int64) (*report.Report, error)
	// SetFindings returns the findings of the given finding sets, by set.
	SetFindings(ctx context.Context, sets []int64) (map[int64][]Finding, error)
}

// LayerFindings is a snapshot's layer: its inventory, and the finding
// set of its packages' findings (0 when it has none).
type LayerFindings struct {
	Inventory int64
	Set       int64
	// DiffID, Hash (the inventory's) and CreatedBy are what a snapshot's
	// content hash names the layer by.
	DiffID, Hash, CreatedBy string
}

// StoredPackage is a package of a snapshot with its row.
type StoredPackage struct {
	Row     int64
	Package inventory.Package
	// Owned is set for a package reported as owned by an OS package
	// (the report's ownedPackages), which matching skips.
	Owned bool
	// Idx is its place in its inventory.
	Idx int
}

// RowFinding is a finding of a snapshot with its package's row.
type RowFinding struct {
	Finding
	Package int64
}

// Rederivation is a snapshot re-matched for some of its packages.
type Rederivation struct {
	Replaces int64
	DB       *report.DB
	// Packages are the rows whose findings are replaced; Findings their
	// new findings, each naming its package by the report's package ID
	// (PackageIDs maps them to rows).
	Packages   []int64
	PackageIDs map[string]int64
	Findings   []report.Finding
	// Prepared, when it has one entry per finding, are Findings as
	// PrepareFinding gives them (Package is set by Rederive): a caller
	// re-deriving many subjects from the same findings prepares them once.
	Prepared []PreparedFinding
	Outbox   []Delivery
	Now      time.Time
	// Report, when set, is the new snapshot's report (CompressReport) and
	// Tool its tool; else the replaced snapshot's are kept.
	Report []byte
	Tool   string
	// ContentHash, when set, is the new snapshot's content hash, as
	// Prepare computes it for the same report; else one is derived from
	// the replaced snapshot's and the change.
	ContentHash string
}

// PackageKey is what advisories are looked up by: an ecosystem
// ("debian:12", "PyPI") and a package name.
type PackageKey struct {
	Ecosystem string `json:"ecosystem"`
	Name      string `json:"name"`
}

// Current is a subject's current snapshot.
type Current struct {
	Subject  Subject
	Snapshot int64
	// ScannedAt is when the subject was read (the inventory's age).
	ScannedAt time.Time
	// DB is the snapshot's DB block as the report had it; nil when the
	// findings came from no DB.
	DB   *report.DB
	Tool string
}

// Delivery states.
const (
	Pending   = "pending"
	Delivered = "delivered"
	Failed    = "failed"
)

// Delivery is one notification in the outbox: an event for one webhook.
type Delivery struct {
	// ID is the event's ID, the same on every attempt.
	ID       string `json:"id"`
	Subject  string `json:"subject"` // the subject's name
	Snapshot int64  `json:"snapshot"`
	// Target is the webhook's URL; Body the event, byte for byte as sent.
	Target      string    `json:"target"`
	Body        []byte    `json:"-"`
	CreatedAt   time.Time `json:"createdAt"`
	Attempts    int       `json:"attempts"`
	NextAttempt time.Time `json:"nextAttempt"`
	LastError   string    `json:"lastError,omitempty"`
	State       string    `json:"state"`
}

// Outbox holds the notifications waiting to be delivered.
type Outbox interface {
	// Due returns up to limit pending deliveries whose next attempt is at
	// or before now, oldest first.
	Due(ctx context.Context, now time.Time, limit int) ([]Delivery, error)
	// Undelivered returns the pending and failed deliveries, oldest first.
	Undelivered(ctx context.Context) ([]Delivery, error)
	// Attempted records an attempt at delivery id: err "" marks it
	// delivered; else it stays pending until next, or is failed for good
	// when next is zero.
	Attempted(ctx context.Context, id string, at time.Time, err string, next time.Time) error
}
