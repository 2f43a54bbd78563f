package scan

import "sync"

// progressFunc is a Handler that hands progress to a function and drops
// the rest.
type progressFunc func(Event)

func (f progressFunc) Progress(e Event) { f(e) }
func (progressFunc) StaleDB(StaleDB)    {}
func (progressFunc) Gate(GateNote)      {}

// recorder is a Handler that keeps everything it is told.
type recorder struct {
	mu     sync.Mutex
	events []Event
	stale  []StaleDB
	notes  []string
}

func (r *recorder) Progress(e Event) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.events = append(r.events, e)
}

func (r *recorder) StaleDB(s StaleDB) { r.stale = append(r.stale, s) }

func (r *recorder) Gate(n GateNote) { r.notes = append(r.notes, n.Text) }
