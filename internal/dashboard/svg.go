package dashboard

import (
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/customs-scanner/customs/internal/store"
)

// The charts are laid out here, in numbers, and drawn by the templates as
// SVG elements: no text of the layout is markup, so html/template escapes
// every label like any other string.

// barChart is a horizontal bar chart: one row per bar.
type barChart struct {
	Width, Height int
	Bars          []bar
}

type bar struct {
	Label string
	Value int
	// Class is the bar's CSS class (its severity's colour).
	Class string
	// Y is the row's top; X, W the bar's start and width; TextY the
	// baseline of its label and value, ValueX where the value starts.
	Y, X, W, TextY, ValueX int
}

const (
	barRow    = 28
	barHeight = 18
	barLabel  = 110 // room for the label on the left
	barValue  = 80  // room for the value on the right
)

// severityChart lays out the findings by severity.
func severityChart(by map[string]int) barChart {
	c := barChart{Width: 560}
	most := 0
	for _, s := range severities {
		most = max(most, by[s])
	}
	span := c.Width - barLabel - barValue
	for i, s := range severities {
		n := by[s]
		w := 0
		if most > 0 {
			w = n * span / most
		}
		if n > 0 && w < 2 {
			w = 2
		}
		y := i * barRow
		c.Bars = append(c.Bars, bar{Label: s, Value: n, Class: "bar-" + strings.ToLower(s), Y: y, X: barLabel, W: w,
			TextY: y + barHeight - 4, ValueX: barLabel + w + 6})
	}
	c.Height = len(severities) * barRow
	return c
}

// lineChart is one line per series over evenly spaced points in time.
type lineChart struct {
	Width, Height int
	// Left, Top, Right, Bottom bound the plot area.
	Left, Top, Right, Bottom int
	Series                   []series
	// YMax is the value at the top of the plot; From and To the times at
	// its ends.
	YMax     int
	From, To string
	// Ticks are horizontal grid lines with their values.
	Ticks []tick
	Empty bool
}

type series struct {
	Name   string
	Class  string
	Points string // "x,y x,y …"
	Last   int
}

type tick struct {
	Y     int
	Label string
}

// trendChart lays out the findings of the four top severities over time.
func trendChart(points []store.TrendPoint) lineChart {
	c := lineChart{Width: 560, Height: 240, Left: 56, Top: 12, Right: 548, Bottom: 208}
	if len(points) == 0 {
		c.Empty = true
		return c
	}
	shown := severities[:4]
	for _, p := range points {
		for _, s := range shown {
			c.YMax = max(c.YMax, p.BySeverity[s])
		}
	}
	c.Empty = c.YMax == 0
	c.YMax = niceCeil(c.YMax)
	c.From = points[0].At.UTC().Format(time.DateOnly)
	c.To = points[len(points)-1].At.UTC().Format(time.DateOnly)
	h := c.Bottom - c.Top
	w := c.Right - c.Left
	for i := range 5 {
		v := c.YMax * i / 4
		c.Ticks = append(c.Ticks, tick{Y: c.Bottom - h*i/4, Label: strconv.Itoa(v)})
	}
	for _, s := range shown {
		var b strings.Builder
		for i, p := range points {
			x := c.Left
			if len(points) > 1 {
				x += w * i / (len(points) - 1)
			}
			y := c.Bottom - h*p.BySeverity[s]/c.YMax
			fmt.Fprintf(&b, "%d,%d ", x, y)
		}
		c.Series = append(c.Series, series{Name: s, Class: "line-" + strings.ToLower(s), Points: strings.TrimSpace(b.String()),
			Last: points[len(points)-1].BySeverity[s]})
	}
	return c
}

// niceCeil rounds n up to 1, 2 or 5 times a power of ten (at least 4, so
// the four grid steps are whole numbers).
func niceCeil(n int) int {
	if n <= 4 {
		return 4
	}
	p := 1
	for p*10 < n {
		p *= 10
	}
	for _, m := range []int{1, 2, 4, 5, 10} {
		if m*p >= n {
			return m * p
		}
	}
	return 10 * p
}
