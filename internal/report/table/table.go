// Package table renders a report for people: the findings in one table
// with column headers, in sections by where their packages were found
// (the OS package database, each lockfile or binary), fitted to the
// terminal's width; severities coloured only on a terminal; a closing
// summary line.
package table

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strconv"
	"strings"
	"unicode"
	"unicode/utf8"

	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/vulndb"
)

// Encoder renders the table. Color enables ANSI colours (set it only when
// the output is a terminal). Width is the terminal's width in columns
// (0 means DefaultWidth): the tables drop or clip their least useful
// columns to fit it, and no row is ever wider.
//
// Explain is the report or target the closing customs explain hint
// names; "" names the report's target.
type Encoder struct {
	Color   bool
	Width   int
	Explain string
}

var colors = map[string]string{
	vulndb.SeverityCritical: "\x1b[1;31m",
	vulndb.SeverityHigh:     "\x1b[31m",
	vulndb.SeverityMedium:   "\x1b[33m",
	vulndb.SeverityLow:      "\x1b[34m",
}

// Encode writes r to w: what was scanned, the findings table, the layers
// that brought the findings in, secrets, configuration checks, warnings,
// a hint at customs explain, the summary line, the coverage line and a
// note when most findings have no severity.
func (e Encoder) Encode(w io.Writer, r *report.Report) error {
	switch {
	case e.Width == 0:
		e.Width = DefaultWidth
	case e.Width < MinWidth:
		e.Width = MinWidth
	}
	if len(r.Targets) > 0 {
		return e.writeAudit(w, r)
	}
	var b strings.Builder
	e.writeTarget(&b, r)
	e.writeFindings(&b, r)
	e.writeLayers(&b, r)
	e.writeSecrets(&b, r)
	e.writeMisconfigurations(&b, r)
	writeWarnings(&b, r)
	writeHint(&b, r, e.Explain)
	b.WriteString(SummaryLine(r))
	b.WriteString("\n")
	writeCoverage(&b, r)
	writeUnrated(&b, r)
	_, err := io.WriteString(w, b.String())
	return err
}

// targetTitle names what was scanned: "ref (kind) · distribution".
func targetTitle(r *report.Report) string {
	title := r.Target.Ref
	if r.Target.Kind != "" {
		title += " (" + r.Target.Kind + ")"
	}
	if r.OS != nil {
		name := r.OS.Name
		if name == "" {
			name = strings.TrimSpace(r.OS.Family + " " + r.OS.Version)
		}
		title += " · " + name
	}
	return title
}

// writeTarget names what was scanned: the reference and its kind, the
// distribution, and how many layers and packages it has.
func (e Encoder) writeTarget(b *strings.Builder, r *report.Report) {
	fmt.Fprintf(b, "%s\n", clip(cell(targetTitle(r)), e.Width))
	if len(r.Target.Layers) > 0 {
		fmt.Fprintf(b, "%s, %s\n", plural(len(r.Target.Layers), "layer"), plural(len(r.Packages), "package"))
	} else {
		fmt.Fprintf(b, "%s\n", plural(len(r.Packages), "package"))
	}
	b.WriteString("\n")
}

// writeLayers lists the layers that brought vulnerable packages in, bottom
// first, with the build step that made each: where to act on a finding.
func (e Encoder) writeLayers(b *strings.Builder, r *report.Report) {
	count, step := map[string]int{}, map[string]string{}
	for _, f := range r.Findings {
		if f.Layer != "" {
			count[f.Layer]++
			step[f.Layer] = f.CreatedBy
		}
	}
	if len(count) == 0 {
		return
	}
	c := struct{ layer, findings, createdBy *column }{
		&column{header: "LAYER"}, &column{header: "FINDINGS"}, &column{header: "CREATED BY", min: 12},
	}
	add := func(layer, createdBy string) {
		c.layer.cells = append(c.layer.cells, report.ShortDigest(layer))
		c.findings.cells = append(c.findings.cells, strconv.Itoa(count[layer]))
		c.createdBy.cells = append(c.createdBy.cells, cell(buildStep(createdBy)))
		delete(count, layer)
	}
	for _, l := range r.Target.Layers {
		if count[l.DiffID] > 0 {
			add(l.DiffID, l.CreatedBy)
		}
	}
	// Layers the target does not list (a report put together by hand).
	for _, l := range slices.Sorted(maps.Keys(count)) {
		add(l, step[l])
	}
	g := &grid{indent: 2, cols: []*column{c.layer, c.findings, c.createdBy}}
	g.fit(e.Width, nil, shrink(c.createdBy))
	b.WriteString("Layers\n")
	b.WriteString(g.header())
	b.WriteString("\n")
	for i := range c.layer.cells {
		b.WriteString(g.row(i))
		b.WriteString("\n")
	}
	b.WriteString("\n")
}

// buildStep shortens a layer's history entry to the Dockerfile line it
// came from: the classic builder's "/bin/sh -c #(nop) ADD file:… in /" is
// "ADD file:… in /" and its "/bin/sh -c apk add x" is "RUN apk add x";
// BuildKit's "RUN /bin/sh -c apk add x # buildkit" is "RUN apk add x".
func buildStep(createdBy string) string {
	s := strings.TrimSpace(createdBy)
	if rest, ok := strings.CutPrefix(s, "/bin/sh -c #(nop)"); ok {
		return strings.TrimSpace(rest)
	}
	s = strings.TrimSuffix(s, " # buildkit")
	for _, shell := range []string{"/bin/sh -c ", "RUN /bin/sh -c "} {
		if rest, ok := strings.CutPrefix(s, shell); ok {
			return "RUN " + strings.TrimSpace(rest)
		}
	}
	return s
}

// writeSecrets lists the secrets found, with where and whether a later
// layer deleted the file (it is still in the image's bytes).
func (e Encoder) writeSecrets(b *strings.Builder, r *report.Report) {
	if len(r.Secrets) == 0 {
		return
	}
	c := struct{ severity, rule, where, match, state *column }{
		&column{header: "SEVERITY", paint: e.paint}, &column{header: "RULE", min: 12, max: 32},
		&column{header: "LOCATION", min: 16}, &column{header: "MATCH", min: 8, max: 40}, &column{header: "STATE", min: 12},
	}
	for _, sc := range r.Secrets {
		where := sc.Path
		if sc.Line > 0 {
			where += fmt.Sprintf(":%d", sc.Line)
		}
		state := "present"
		if !sc.StillPresent {
			state = "deleted, still in layer " + report.ShortDigest(sc.Layer)
		} else if sc.Layer != "" {
			state = "present, layer " + report.ShortDigest(sc.Layer)
		}
		c.severity.cells = append(c.severity.cells, sc.Severity)
		c.rule.cells = append(c.rule.cells, cell(sc.Rule))
		c.where.cells = append(c.where.cells, cell(where))
		c.match.cells = append(c.match.cells, cell(sc.Match))
		c.state.cells = append(c.state.cells, state)
	}
	g := &grid{indent: 2, cols: []*column{c.severity, c.rule, c.where, c.match, c.state}}
	g.fit(e.Width, []*column{c.where, c.match, c.state}, shrink(c.match), shrink(c.state), shrink(c.where), shrink(c.rule))
	b.WriteString("Secrets\n")
	b.WriteString(g.header())
	b.WriteString("\n")
	for i := range r.Secrets {
		b.WriteString(g.row(i))
		b.WriteString("\n")
	}
	b.WriteString("\n")
}

// writeMisconfigurations lists the configuration checks that failed, each
// with its remediation on the line below.
func (e Encoder) writeMisconfigurations(b *strings.Builder, r *report.Report) {
	if len(r.Misconfigurations) == 0 {
		return
	}
	c := struct{ severity, id, title *column }{
		&column{header: "SEVERITY", paint: e.paint}, &column{header: "CHECK", min: 12}, &column{header: "TITLE", min: 12},
	}
	for _, m := range r.Misconfigurations {
		c.severity.cells = append(c.severity.cells, m.Severity)
		c.id.cells = append(c.id.cells, cell(m.ID))
		c.title.cells = append(c.title.cells, cell(m.Title))
	}
	g := &grid{indent: 2, cols: []*column{c.severity, c.id, c.title}}
	g.fit(e.Width, nil, shrink(c.title), shrink(c.id))
	b.WriteString("Configuration\n")
	b.WriteString(g.header())
	b.WriteString("\n")
	for i, m := range r.Misconfigurations {
		b.WriteString(g.row(i))
		b.WriteString("\n")
		if m.Remediation != "" {
			b.WriteString(clip("      fix: "+cell(m.Remediation), e.Width))
			b.WriteString("\n")
		}
	}
	b.WriteString("\n")
}

// writeCoverage says which ecosystems of the inventory the DB holds no
// advisories for, when there are any.
func writeCoverage(b *strings.Builder, r *report.Report) {
	if l := r.CoverageLine(); l != "" {
		b.WriteString(l + "\n")
	}
}

// writeUnrated says, when most findings have no severity, which source
// would supply one.
func writeUnrated(b *strings.Builder, r *report.Report) {
	if l := r.UnratedNote(); l != "" {
		b.WriteString(l + "\n")
	}
}

// writeWarnings lists per-file problems in full: a warning is read once,
// so it may wrap.
func writeWarnings(b *strings.Builder, r *report.Report) {
	for _, w := range r.Warnings {
		fmt.Fprintf(b, "warning: %s: %s\n", cell(w.Path), cell(w.Err))
	}
}

// writeHint says how to see why the worst finding matched: the command
// to copy, with source (else this report's target) and that finding's ID.
// compareFindings orders findings by ID last, so every worst finding has
// the same ID.
func writeHint(b *strings.Builder, r *report.Report, source string) {
	if len(r.Findings) == 0 {
		return
	}
	worst := &r.Findings[0]
	for i := range r.Findings[1:] {
		if f := &r.Findings[i+1]; compareFindings(f, worst) < 0 {
			worst = f
		}
	}
	if source == "" {
		source = r.Target.Ref
	}
	fmt.Fprintf(b, "Why a finding matched: customs explain %s %s\n", shellQuote(source), shellQuote(worst.VulnerabilityID))
}

// shellQuote quotes s for a POSIX shell when it holds anything but
// letters, digits and -_./:@=+,.
func shellQuote(s string) string {
	plain := s != "" && strings.IndexFunc(s, func(r rune) bool {
		return !(r < utf8.RuneSelf && (unicode.IsLetter(r) || unicode.IsDigit(r) || strings.ContainsRune("-_./:@=+,", r)))
	}) < 0
	if plain {
		return s
	}
	return "'" + strings.ReplaceAll(cell(s), "'", `'\''`) + "'"
}

// ownersByID maps the IDs of packages found in a file an OS package
// installed to that package: whom to ask for a rebuild.
func ownersByID(pkgs []inventory.Package) map[string]*inventory.Owner {
	m := map[string]*inventory.Owner{}
	for _, p := range pkgs {
		if p.OwnedBy != nil {
			m[p.ID] = p.OwnedBy
		}
	}
	return m
}

// SummaryLine is the closing line, e.g.
// "12 findings in 5 of 14 packages (CRITICAL 1, HIGH 4, MEDIUM 7); 10 have a fix",
// followed by the counts of secrets and misconfigurations when those
// scanners ran: "; 1 secret, 4 misconfigurations".
func SummaryLine(r *report.Report) string {
	var audit []string
	if r.Secrets != nil {
		audit = append(audit, plural(len(r.Secrets), "secret"))
	}
	if r.Misconfigurations != nil {
		audit = append(audit, plural(len(r.Misconfigurations), "misconfiguration"))
	}
	line := vulnSummary(r)
	if len(audit) > 0 {
		line += "; " + strings.Join(audit, ", ")
	}
	return line
}

// severities is the severity scale, most severe first: the order of the
// summary counts.
var severities = []string{vulndb.SeverityCritical, vulndb.SeverityHigh, vulndb.SeverityMedium, vulndb.SeverityLow, vulndb.SeverityNegligible, vulndb.SeverityUnknown}

func vulnSummary(r *report.Report) string {
	if r.DB == nil {
		return fmt.Sprintf("%d packages (no vulnerability DB used)", len(r.Packages))
	}
	if len(r.Findings) == 0 {
		return fmt.Sprintf("no findings in %d packages", len(r.Packages))
	}
	counts := map[string]int{}
	pkgs := map[string]bool{}
	fixable := 0
	for _, f := range r.Findings {
		counts[f.Severity]++
		pkgs[f.PackageID] = true
		if f.Status == report.StatusFixAvailable {
			fixable++
		}
	}
	var parts []string
	for _, s := range severities {
		if counts[s] > 0 {
			parts = append(parts, fmt.Sprintf("%s %d", s, counts[s]))
		}
	}
	return fmt.Sprintf("%d findings in %d of %d packages (%s); %d have a fix", len(r.Findings), len(pkgs), len(r.Packages), strings.Join(parts, ", "), fixable)
}

// paint colours a severity cell on a terminal; padded is the cell with
// the spaces that align the next column, which stay outside the colour.
func (e Encoder) paint(s, padded string) string {
	if c, ok := colors[s]; ok && e.Color {
		return c + s + "\x1b[0m" + padded[len(s):]
	}
	return padded
}

// group splits findings by package, worst finding first in each and
// packages in the order of their worst findings (see compareFindings).
func group(fs []*report.Finding) [][]*report.Finding {
	idx := map[string]int{}
	var gs [][]*report.Finding
	for _, f := range fs {
		i, ok := idx[f.PackageID]
		if !ok {
			i = len(gs)
			idx[f.PackageID] = i
			gs = append(gs, nil)
		}
		gs[i] = append(gs[i], f)
	}
	for _, g := range gs {
		slices.SortStableFunc(g, compareFindings)
	}
	slices.SortStableFunc(gs, func(a, b []*report.Finding) int {
		if c := compareFindings(a[0], b[0]); c != 0 {
			return c
		}
		return strings.Compare(a[0].PackageName, b[0].PackageName)
	})
	return gs
}

// compareFindings orders findings worst first: by severity, then those
// CISA lists as exploited, then by highest CVSS score, then by ID.
func compareFindings(a, b *report.Finding) int {
	if c := sevRank(b.Severity) - sevRank(a.Severity); c != 0 {
		return c
	}
	if (a.KEV != nil) != (b.KEV != nil) {
		if a.KEV != nil {
			return -1
		}
		return 1
	}
	if c := cmp.Compare(maxScore(b), maxScore(a)); c != 0 {
		return c
	}
	return strings.Compare(a.VulnerabilityID, b.VulnerabilityID)
}

func maxScore(f *report.Finding) float64 {
	s := 0.0
	for _, c := range f.CVSS {
		s = max(s, c.Score)
	}
	return s
}

func sevRank(s string) int {
	r, _ := vulndb.SeverityRank(s)
	return r
}

func plural(n int, noun string) string {
	if n == 1 {
		return "1 " + noun
	}
	return fmt.Sprintf("%d %ss", n, noun)
}
