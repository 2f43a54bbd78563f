package scan

import "time"

// Handler receives what a scan tells a person while it runs, as typed
// events; a front end renders them (a bar on a terminal, a job's status).
// Progress may be called from the goroutines that read layers, one call at
// a time; the other methods from the goroutine that called Run. Nothing a
// Handler receives changes the report: it is there, or in Report.Verdict,
// already.
type Handler interface {
	// Progress tells about a layer as it is analysed, or about the walk of
	// a root filesystem.
	Progress(Event)
	// StaleDB tells that the vulnerability DB is older than
	// Options.DBMaxAge: findings may be missing.
	StaleDB(StaleDB)
	// Gate tells what one step of the gate did (VEX documents applied,
	// exceptions, baseline, a policy rule that matched).
	Gate(GateNote)
}

// Event is a progress notification.
type Event struct {
	Layer  string // blob key
	Cached bool
	Done   bool
	// Files and Dir tell about the walk of a root filesystem: the entries
	// recorded so far, and the directory just entered.
	Files int
	Dir   string
}

// StaleDB is a vulnerability DB built longer than MaxAge ago.
type StaleDB struct {
	Built       time.Time
	Age, MaxAge time.Duration
}

// GateNote is one line of what the gate did, for a person: "vex: 2
// findings suppressed as not_affected or fixed, 0 annotated".
type GateNote struct {
	Text string
}

// discard is the Handler of a scan that has none.
type discard struct{}

func (discard) Progress(Event)  {}
func (discard) StaleDB(StaleDB) {}
func (discard) Gate(GateNote)   {}
