package cli

import (
	"fmt"
	"io"
	"strings"
	"sync"
	"time"

	"github.com/customs-scanner/customs/internal/scan"
)

// events renders what a scan tells (scan.Handler): progress on the bar as
// it comes, and the messages for a person kept until the scan is over and
// the bar gone, to print in their place among the command's warnings.
type events struct {
	bar   *progress // nil: no bar
	stale []scan.StaleDB
	gate  []string
}

func (e *events) Progress(ev scan.Event) {
	if e.bar != nil {
		e.bar.event(ev)
	}
}

func (e *events) StaleDB(s scan.StaleDB) { e.stale = append(e.stale, s) }

func (e *events) Gate(n scan.GateNote) { e.gate = append(e.gate, n.Text) }

// progress draws one status line on a terminal while layers are analysed.
type progress struct {
	mu     sync.Mutex
	w      io.Writer
	start  time.Time
	done_  int
	cached int
	cur    string
	drawn  time.Time // last walk line
}

func newProgress(w io.Writer) *progress { return &progress{w: w, start: time.Now()} }

func (p *progress) event(e scan.Event) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if e.Dir != "" {
		p.walk(e)
		return
	}
	if e.Done {
		p.done_++
		if e.Cached {
			p.cached++
		}
		p.cur = ""
	} else {
		p.cur = e.Layer
	}
	line := fmt.Sprintf("layers: %d done (%d cached)", p.done_, p.cached)
	if p.cur != "" {
		line += " · reading " + shortKey(p.cur)
	}
	line += fmt.Sprintf(" · %s", time.Since(p.start).Round(100*time.Millisecond))
	fmt.Fprintf(p.w, "\r\x1b[K%s", line)
}

// walk draws the walk of a root filesystem, at most every redraw.
func (p *progress) walk(e scan.Event) {
	now := time.Now()
	if now.Sub(p.drawn) < redraw {
		return
	}
	p.drawn = now
	dir := e.Dir
	if len(dir) > maxDirShown {
		dir = "…" + dir[len(dir)-maxDirShown:]
	}
	fmt.Fprintf(p.w, "\r\x1b[Kwalking: %d files · %s · %s", e.Files, dir, now.Sub(p.start).Round(100*time.Millisecond))
}

const (
	// redraw is the shortest time between two lines of a walk.
	redraw = 100 * time.Millisecond
	// maxDirShown keeps the line on one row of a narrow terminal.
	maxDirShown = 40
)

func (p *progress) done() {
	p.mu.Lock()
	defer p.mu.Unlock()
	fmt.Fprint(p.w, "\r\x1b[K")
}

func shortKey(k string) string {
	k = strings.TrimPrefix(k, "sha256:")
	if len(k) > 24 {
		return k[:24] + "…"
	}
	return k
}
