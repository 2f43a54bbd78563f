package table

import (
	"slices"
	"strings"
	"unicode"
	"unicode/utf8"
)

// DefaultWidth is the width of the table when the encoder is given none:
// what the CLI uses when stdout is not a terminal and $COLUMNS is unset.
const DefaultWidth = 120

// MinWidth is the narrowest table drawn; a narrower Width is taken as this.
const MinWidth = 40

// gap separates two columns.
const gap = "  "

// column is one column of a text table. Widths count runes: the text is
// cleaned of control characters (see cell), and a wide East Asian rune
// counts as one, which can push such a row a little past the width.
type column struct {
	header string
	cells  []string
	// min is the narrowest the column may be clipped to; max the widest
	// it grows to (0: its widest cell).
	min, max int
	// clipLeft keeps the end of a clipped cell, where a Maven or Go
	// package name says the most ("…log4j:log4j-core").
	clipLeft bool
	// paint colours a cell after padding, so escapes do not upset the
	// columns; nil leaves it plain.
	paint func(cell, padded string) string

	width  int
	hidden bool
}

// natural is the width the column takes when room is no object.
func (c *column) natural() int {
	w := runes(c.header)
	for _, s := range c.cells {
		w = max(w, runes(s))
	}
	if c.max > 0 {
		w = min(w, c.max)
	}
	return w
}

// grid lays columns out in a width: each row is indent, then the visible
// cells separated by gap.
type grid struct {
	indent int
	cols   []*column
	// width is what fit was given; a row wider than it (every column at
	// its min and still too wide) is clipped plain.
	width int
	// cells is row's: one row's cells, reused row after row.
	cells []string
}

// used is the width a row takes with the columns as they are.
func (g *grid) used() int {
	n, vis := g.indent, 0
	for _, c := range g.cols {
		if !c.hidden {
			n += c.width
			vis++
		}
	}
	if vis > 1 {
		n += len(gap) * (vis - 1)
	}
	return n
}

// step is one concession fit makes when the rows do not fit: clip a
// column, or hide one.
type step func(g *grid, width int)

// shrink clips c toward its min by what the rows overflow.
func shrink(c *column) step {
	return func(g *grid, width int) {
		if c.hidden {
			return
		}
		c.width = max(c.min, c.width-(g.used()-width))
	}
}

// hide drops c.
func hide(c *column) step {
	return func(*grid, int) { c.hidden = true }
}

// fit sizes the columns for width: every column that has anything in it
// at its natural width when that fits, else the steps in order (least
// useful concession first) until it does. Afterwards the grow columns
// that are still shown take back, in order, the room later steps freed.
// Rows that still overflow are clipped by line, never wrapped.
func (g *grid) fit(width int, grow []*column, steps ...step) {
	g.width = width
	for _, c := range g.cols {
		c.width = c.natural()
		// A column with nothing in it (no titles in the feeds, no layers
		// in an SBOM) is not worth its header.
		c.hidden = !slices.ContainsFunc(c.cells, func(s string) bool { return s != "" })
	}
	for _, s := range steps {
		if g.used() <= width {
			break
		}
		s(g, width)
	}
	for _, c := range grow {
		if room := width - g.used(); room > 0 && !c.hidden {
			c.width = min(c.natural(), c.width+room)
		}
	}
}

// header renders the column headers.
func (g *grid) header() string {
	cells := make([]string, len(g.cols))
	for i, c := range g.cols {
		cells[i] = c.header
	}
	return g.line(cells, false)
}

// row renders row i of the columns' cells.
func (g *grid) row(i int) string {
	if len(g.cells) != len(g.cols) {
		g.cells = make([]string, len(g.cols))
	}
	for j, c := range g.cols {
		g.cells[j] = c.cells[i]
	}
	return g.line(g.cells, true)
}

// line renders one row. A row still wider than the width (every column
// at its min) is clipped, plain, rather than left to wrap.
func (g *grid) line(cells []string, paint bool) string {
	if g.width > 0 && g.used() > g.width {
		return clip(g.join(cells, false), g.width)
	}
	return g.join(cells, paint)
}

func (g *grid) join(cells []string, paint bool) string {
	var b strings.Builder
	b.Grow(g.used() + 16)
	spaces(&b, g.indent)
	last := -1
	for j, c := range g.cols {
		if !c.hidden {
			last = j
		}
	}
	first := true
	for j, c := range g.cols {
		if c.hidden {
			continue
		}
		if !first {
			b.WriteString(gap)
		}
		first = false
		s := clip(cells[j], c.width)
		if c.clipLeft {
			s = clipStart(cells[j], c.width)
		}
		pad := 0
		if j != last {
			pad = c.width - runes(s)
		}
		if paint && c.paint != nil {
			b.WriteString(c.paint(s, s+strings.Repeat(" ", max(pad, 0))))
			continue
		}
		b.WriteString(s)
		spaces(&b, pad)
	}
	return strings.TrimRight(b.String(), " ")
}

// spaces writes n spaces to b.
func spaces(b *strings.Builder, n int) {
	const blank = "                                "
	for n > 0 {
		k := min(n, len(blank))
		b.WriteString(blank[:k])
		n -= k
	}
}

// cell cleans text from an image or a feed for one table cell: runs of
// white space become one space, and control characters (escape sequences
// included) and bidirectional overrides become U+FFFD, so no value can
// move the cursor, recolour the terminal or reorder what is shown.
func cell(s string) string {
	if plain(s) {
		return s // most cells: nothing to clean, nothing to allocate
	}
	s = strings.Join(strings.Fields(s), " ")
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) || unicode.Is(unicode.Bidi_Control, r) {
			return utf8.RuneError
		}
		return r
	}, s)
}

// plain reports whether cell would return s as it is: printable ASCII,
// words separated by single spaces, none before or after them.
func plain(s string) bool {
	space := true // at the start, a space is one too many
	for i := 0; i < len(s); i++ {
		switch c := s[i]; {
		case c == ' ':
			if space {
				return false
			}
			space = true
		case c > ' ' && c < 0x7f:
			space = false
		default:
			return false
		}
	}
	return !space || s == ""
}

// clip cuts s to n runes, marking the cut with an ellipsis.
func clip(s string, n int) string {
	if runes(s) <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	i, k := 0, 0
	for i = range s {
		if k == n-1 {
			break
		}
		k++
	}
	return s[:i] + "…"
}

// clipStart cuts s to its last n runes, marking the cut with an ellipsis.
func clipStart(s string, n int) string {
	k := runes(s)
	if k <= n {
		return s
	}
	if n <= 0 {
		return ""
	}
	r := []rune(s)
	return "…" + string(r[k-n+1:])
}

func runes(s string) int { return utf8.RuneCountInString(s) }
