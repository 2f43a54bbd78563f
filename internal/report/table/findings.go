package table

import (
	"path"
	"slices"
	"strings"

	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/report"
)

// osTypes are the package types of a distribution's package manager:
// their findings share one section, whatever file listed them.
var osTypes = []string{"deb", "apk", "rpm"}

// section is the findings of one place packages were found: the
// distribution's package database, or one lockfile, binary or manifest.
type section struct {
	title    string
	findings []*report.Finding // into the report's; grouped by package, worst package first
}

// sections splits findings by where their packages were found: the OS
// packages first, then each language package's path, in path order. A
// path an OS package installed (a Go binary in /usr/bin) names that
// package, from owners (see ownersByID): whom to ask for a rebuild.
func sections(fs []report.Finding, owners map[string]*inventory.Owner) []section {
	type key struct {
		os                 bool
		typ, path, ownerID string
	}
	// Findings are large: they are grouped and sorted by pointer, never
	// copied.
	byKey := map[key][]*report.Finding{}
	var keys []key
	for i := range fs {
		f := &fs[i]
		k := key{os: slices.Contains(osTypes, f.PackageType), typ: f.PackageType, path: f.Path}
		if o := owners[f.PackageID]; o != nil {
			k.ownerID = o.ID
		}
		if k.os {
			k.path = ""
		}
		if _, ok := byKey[k]; !ok {
			keys = append(keys, k)
		}
		byKey[k] = append(byKey[k], f)
	}
	slices.SortStableFunc(keys, func(a, b key) int {
		if a.os != b.os {
			if a.os {
				return -1
			}
			return 1
		}
		if c := strings.Compare(a.path, b.path); c != 0 {
			return c
		}
		return strings.Compare(a.typ, b.typ)
	})
	out := make([]section, 0, len(keys))
	for _, k := range keys {
		g := byKey[k]
		where := k.path
		if k.os {
			where = commonPath(g)
		}
		title := k.typ
		if where != "" {
			title = where + " (" + k.typ + ")"
		} else if title == "" {
			title = "packages"
		}
		if o := owners[g[0].PackageID]; o != nil {
			title += " · owned by " + o.Type + " " + o.Name + " " + o.Version
		}
		flat := make([]*report.Finding, 0, len(g))
		for _, pg := range group(g) {
			flat = append(flat, pg...)
		}
		out = append(out, section{title: title, findings: flat})
	}
	return out
}

// commonPath is the path the findings' packages were all found at, or
// the directory they share (a distroless image lists each package in its
// own file under var/lib/dpkg/status.d), or "".
func commonPath(fs []*report.Finding) string {
	p := fs[0].Path
	for _, f := range fs[1:] {
		for p != "" && f.Path != p && !strings.HasPrefix(f.Path, p+"/") {
			if d := path.Dir(p); d != "." && d != p {
				p = d
			} else {
				p = ""
			}
		}
	}
	return p
}

// findingColumns are the columns of the findings table.
type findingColumns struct {
	pkg, installed, id, severity, status, fixed, layer, title *column
	// fixedOrStatus replaces fixed's cells when status is hidden: the
	// fixed version of a fixable finding, else the status. bareIDs
	// replace id's cells at narrow widths: the IDs without "(KEV)".
	fixedOrStatus, bareIDs []string
}

func (e Encoder) findingColumns(secs []section) *findingColumns {
	c := &findingColumns{
		pkg:       &column{header: "PACKAGE", min: 8, max: 32, clipLeft: true},
		installed: &column{header: "INSTALLED", min: 8, max: 24},
		id:        &column{header: "VULNERABILITY"},
		severity:  &column{header: "SEVERITY", paint: e.paint},
		status:    &column{header: "STATUS", max: 28},
		fixed:     &column{header: "FIXED IN", min: 8, max: 24},
		layer:     &column{header: "LAYER"},
		title:     &column{header: "TITLE", min: 16},
	}
	n := 0
	for _, s := range secs {
		n += len(s.findings)
	}
	for _, col := range []*column{c.pkg, c.installed, c.id, c.severity, c.status, c.fixed, c.layer, c.title} {
		col.cells = make([]string, 0, n)
	}
	c.fixedOrStatus, c.bareIDs = make([]string, 0, n), make([]string, 0, n)
	for _, s := range secs {
		for _, f := range s.findings {
			id := cell(f.VulnerabilityID)
			if f.KEV != nil {
				id += " (KEV)"
			}
			status := f.Status
			if f.StatusDetail != "" {
				status += " (" + f.StatusDetail + ")"
			}
			fixed := f.FixedVersion
			if fixed == "" {
				fixed = "-"
			}
			orStatus := status
			if f.Status == report.StatusFixAvailable && f.FixedVersion != "" {
				orStatus = f.FixedVersion
			}
			c.pkg.cells = append(c.pkg.cells, cell(f.PackageName))
			c.installed.cells = append(c.installed.cells, cell(f.PackageVersion))
			c.id.cells = append(c.id.cells, id)
			c.bareIDs = append(c.bareIDs, cell(f.VulnerabilityID))
			c.severity.cells = append(c.severity.cells, f.Severity)
			c.status.cells = append(c.status.cells, cell(status))
			c.fixed.cells = append(c.fixed.cells, cell(fixed))
			c.fixedOrStatus = append(c.fixedOrStatus, cell(orStatus))
			c.layer.cells = append(c.layer.cells, report.ShortDigest(f.Layer))
			c.title.cells = append(c.title.cells, title(f))
		}
	}
	return c
}

// title is the finding's title cell: the CVE a GHSA or other advisory is
// an alias of, then the title.
func title(f *report.Finding) string {
	var parts []string
	if !strings.HasPrefix(f.VulnerabilityID, "CVE-") {
		for _, a := range f.Aliases {
			if strings.HasPrefix(a, "CVE-") {
				parts = append(parts, a)
				break
			}
		}
	}
	if f.Title != "" {
		parts = append(parts, f.Title)
	}
	return cell(strings.Join(parts, " "))
}

// writeFindings writes the findings table: one header line, then each
// section's title and its rows. Columns are fitted to e.Width, giving up
// first what helps least: the title's length, the layer (listed again
// under Layers), the status (the fixed column then says it), the KEV mark
// (customs explain shows it), the title, the installed version.
func (e Encoder) writeFindings(b *strings.Builder, r *report.Report) {
	secs := sections(r.Findings, ownersByID(r.Packages))
	if len(secs) == 0 {
		return
	}
	c := e.findingColumns(secs)
	g := &grid{indent: 2, cols: []*column{c.pkg, c.installed, c.id, c.severity, c.status, c.fixed, c.layer, c.title}}
	hideStatus := func(*grid, int) {
		c.status.hidden = true
		c.fixed.cells = c.fixedOrStatus
		c.fixed.width = c.fixed.natural()
	}
	bareIDs := func(*grid, int) {
		c.id.cells = c.bareIDs
		c.id.width = c.id.natural()
	}
	g.fit(e.Width, []*column{c.fixed, c.installed, c.title, c.pkg},
		shrinkTo(c.title, 30), hide(c.layer), shrinkTo(c.pkg, 24), shrinkTo(c.title, 20), hideStatus,
		shrinkTo(c.pkg, 16), shrinkTo(c.installed, 12), shrinkTo(c.fixed, 12), bareIDs, hide(c.title),
		hide(c.installed), shrink(c.pkg), shrink(c.fixed))
	b.WriteString(g.header())
	b.WriteString("\n")
	// The rows are most of the table: room for them at once, not by
	// doubling (0.3 MB on the large bench image).
	b.Grow(len(c.pkg.cells) * (g.used() + 1))
	i := 0
	for _, s := range secs {
		b.WriteString(clip(cell(s.title), e.Width))
		b.WriteString("\n")
		for range s.findings {
			b.WriteString(g.row(i))
			b.WriteString("\n")
			i++
		}
	}
	b.WriteString("\n")
}

// shrinkTo clips c toward n (not below its min) by what the rows overflow.
func shrinkTo(c *column, n int) step {
	return func(g *grid, width int) {
		if c.hidden {
			return
		}
		c.width = min(c.width, max(n, c.min, c.width-(g.used()-width)))
	}
}
