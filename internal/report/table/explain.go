package table

import (
	"fmt"
	"io"
	"slices"
	"strings"

	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/vulndb"
)

// Explain renders why findings matched, for customs explain: for each
// finding whose ID or alias is one of IDs, what it is and what to do,
// each feed record that matched with the version comparison made, where
// the severity came from, the CVSS vectors and scores, KEV and EPSS, the
// package and the layer and build step that brought it in; then the
// findings a VEX statement, an exception or a baseline suppressed, with
// why. It reads only the report's own fields, so a saved JSON report
// explains as well as a fresh scan. Color and Width are as for Encoder.
type Explain struct {
	IDs []string
	// NotAffectedListed says the report lists the advisories that leave
	// an installed version alone (scan --include-not-affected), so an ID
	// it lacks is in no advisory of the DB about these packages.
	NotAffectedListed bool
	Color             bool
	Width             int
}

// labelWidth is the width of the label column of an explanation.
const labelWidth = 11

// Encode writes the explanation of r's findings of e.IDs to w, and a line
// for each ID the report has no finding of.
func (e Explain) Encode(w io.Writer, r *report.Report) error {
	switch {
	case e.Width == 0:
		e.Width = DefaultWidth
	case e.Width < MinWidth:
		e.Width = MinWidth
	}
	sel := r.Only(e.IDs...)
	fs := slices.Clone(sel.Findings)
	slices.SortStableFunc(fs, func(a, b report.Finding) int {
		if c := compareFindings(&a, &b); c != 0 {
			return c
		}
		return strings.Compare(a.PackageName+" "+a.PackageVersion, b.PackageName+" "+b.PackageVersion)
	})
	x := &explainer{Explain: e, r: r}
	for _, f := range fs {
		x.finding(f, nil)
	}
	for _, s := range sel.Suppressed {
		x.finding(s.Finding, &s)
	}
	x.missing(sel)
	_, err := io.WriteString(w, x.b.String())
	return err
}

// explainer accumulates one explanation.
type explainer struct {
	Explain
	r *report.Report
	b strings.Builder
}

// finding explains one finding; s is its suppression, nil when it is in
// the report's findings.
func (x *explainer) finding(f report.Finding, s *report.Suppression) {
	x.heading(f, s)
	x.title(f)
	x.status(f)
	x.matched(f)
	x.severity(f)
	x.exploitation(f)
	x.pkg(f)
	x.layer(f)
	x.vex(f)
	x.suppression(s)
	x.refs(f)
	x.b.WriteString("\n")
}

// heading is the first line: the vulnerability, its severity and its
// status; the package follows on the next.
func (x *explainer) heading(f report.Finding, s *report.Suppression) {
	id, sev, state := cell(f.VulnerabilityID), cell(f.Severity), cell(f.Status)
	if s != nil {
		state = "suppressed by " + cell(s.By)
	}
	if runes(id+" · "+sev+" · "+state) > x.Width {
		x.b.WriteString(clip(id+" · "+sev+" · "+state, x.Width) + "\n")
	} else {
		x.b.WriteString(id + " · " + x.paintSeverity(sev) + " · " + state + "\n")
	}
	pkg := f.PackageName + " " + f.PackageVersion
	if f.PackageType != "" {
		pkg += " (" + f.PackageType + ")"
	}
	x.line("in", pkg)
}

func (x *explainer) paintSeverity(s string) string {
	return Encoder{Color: x.Color}.paint(s, s)
}

func (x *explainer) title(f report.Finding) {
	if f.Title != "" {
		x.line("title", f.Title)
	}
	var other []string
	for _, a := range f.Aliases {
		if !strings.EqualFold(a, f.VulnerabilityID) {
			other = append(other, a)
		}
	}
	if len(other) > 0 {
		x.line("aliases", strings.Join(other, ", "))
	}
}

// status says what the finding means for the user and what to do.
func (x *explainer) status(f report.Finding) {
	detail := ""
	if f.StatusDetail != "" {
		detail = " (" + f.StatusDetail + ")"
	}
	pkg := f.PackageName
	if f.SourceName != "" && f.SourceName != f.PackageName {
		pkg += " (source " + f.SourceName + ")"
	}
	var say string
	switch f.Status {
	case report.StatusFixAvailable:
		say = "fix-available: upgrade " + pkg + " to " + f.FixedVersion + " or later"
	case report.StatusAffected:
		say = "affected: no fixed version is published yet"
	case report.StatusWontFix:
		say = "will-not-fix" + detail + ": the distribution decided not to fix it, or not now"
	case report.StatusEndOfLife:
		say = "end-of-life" + detail + ": the release or the package is out of support; move to a supported one"
	case report.StatusNotAffected:
		say = "not-affected: the advisory names the package, but not this version"
	case report.StatusUndetermined:
		say = "undetermined: the versions could not be compared (see matched)"
	default:
		say = f.Status + detail
	}
	x.line("status", say)
}

// matched lists each feed record that matched and the comparison made.
func (x *explainer) matched(f report.Finding) {
	if len(f.Evidence) == 0 {
		x.line("matched", "no evidence recorded in the report")
		return
	}
	for i, ev := range f.Evidence {
		label := ""
		if i == 0 {
			label = "matched"
		}
		rec := ev.Source + " " + ev.AdvisoryID + ": " + ev.Package
		if ev.Ecosystem != "" {
			rec += " in " + ev.Ecosystem
		}
		// A record of ranges is shown by its ranges; any other says what
		// the feed decided (will-not-fix (no-dsa), end-of-life, ...).
		if ev.Record != "" && ev.Record != string(vulndb.StatusRanges) {
			rec += " says " + ev.Record
		}
		x.line(label, rec)
		if len(ev.Ranges) > 0 {
			x.line("", "affected "+ranges(ev.Ranges))
		}
		if ev.Comparison != "" {
			x.line("", "compared "+ev.Comparison)
		}
		if ev.Reason != "" {
			x.line("", "could not decide: "+ev.Reason)
		}
	}
}

// ranges renders affected ranges as intervals: ">= 1.2, < 1.4; < 0.9".
func ranges(rs []vulndb.Range) string {
	parts := make([]string, 0, len(rs))
	for _, r := range rs {
		var p []string
		if r.Introduced != "" && r.Introduced != "0" {
			p = append(p, ">= "+r.Introduced)
		}
		switch {
		case r.Fixed != "":
			p = append(p, "< "+r.Fixed)
		case r.LastAffected != "":
			p = append(p, "<= "+r.LastAffected)
		}
		if len(p) == 0 {
			p = append(p, "every version")
		}
		parts = append(parts, strings.Join(p, ", "))
	}
	return strings.Join(parts, "; ")
}

// severity says where the rating came from and lists every CVSS score.
func (x *explainer) severity(f report.Finding) {
	switch {
	case f.SeveritySource != "":
		x.line("severity", f.Severity+", rated by "+f.SeveritySource)
	case f.Severity != "" && f.Severity != vulndb.SeverityUnknown:
		x.line("severity", f.Severity)
	case x.hasSource("nvd"):
		x.line("severity", "UNKNOWN: the matching feed gives no rating, and the DB's NVD data none for this ID")
	default:
		x.line("severity", "UNKNOWN: the matching feed does not rate it, and the DB has no NVD data (customs db build --source nvd=PATH, or customs db update)")
	}
	for i, c := range f.CVSS {
		label := ""
		if i == 0 {
			label = "cvss"
		}
		x.line(label, fmt.Sprintf("%.1f %s (%s, CVSS %s)", c.Score, c.Vector, c.Source, c.Version))
	}
}

// exploitation gives the KEV entry and the EPSS score, or says the DB
// cannot know them.
func (x *explainer) exploitation(f report.Finding) {
	switch {
	case f.KEV != nil:
		x.line("kev", "exploited: in CISA's Known Exploited Vulnerabilities catalog since "+f.KEV.DateAdded+", remediation due "+f.KEV.DueDate)
	case x.hasSource("kev"):
		x.line("kev", "not in CISA's Known Exploited Vulnerabilities catalog")
	case x.r.DB != nil:
		x.line("kev", "unknown: the DB holds no KEV catalog (--source kev=FILE)")
	}
	switch {
	case f.EPSS != nil:
		x.line("epss", fmt.Sprintf("%.2f%% probability of exploitation in the next 30 days, percentile %.1f (%s)", 100*f.EPSS.Score, 100*f.EPSS.Percentile, f.EPSS.Date))
	case x.hasSource("epss"):
		x.line("epss", "no score")
	case x.r.DB != nil:
		x.line("epss", "unknown: the DB holds no EPSS scores (--source epss=FILE)")
	}
}

// hasSource reports whether the report's DB was built with a source of kind.
func (x *explainer) hasSource(kind string) bool {
	return x.r.DB != nil && slices.ContainsFunc(x.r.DB.Sources, func(s vulndb.SourceInfo) bool { return s.Kind == kind })
}

// pkg names the package and where it was found.
func (x *explainer) pkg(f report.Finding) {
	if f.PURL != "" {
		x.line("package", f.PURL)
	}
	if f.SourceName != "" && (f.SourceName != f.PackageName || f.SourceVersion != f.PackageVersion) {
		x.line("source", f.SourceName+" "+f.SourceVersion)
	}
	var paths []string
	for _, l := range f.Locations {
		if !slices.Contains(paths, l.Path) {
			paths = append(paths, l.Path)
		}
	}
	if len(paths) == 0 && f.Path != "" {
		paths = []string{f.Path}
	}
	for i, p := range paths {
		label := ""
		if i == 0 {
			label = "found in"
		}
		x.line(label, p)
	}
	if i := slices.IndexFunc(x.r.Packages, func(p inventory.Package) bool { return p.ID == f.PackageID }); i >= 0 {
		if o := x.r.Packages[i].OwnedBy; o != nil {
			x.line("owned by", o.Type+" "+o.Name+" "+o.Version+", which installed the file: its maintainers can rebuild it")
		}
	}
}

// layer names the layer that brought the package in and its build step.
func (x *explainer) layer(f report.Finding) {
	if f.Layer == "" {
		return
	}
	l := report.ShortDigest(f.Layer)
	if i := slices.IndexFunc(x.r.Target.Layers, func(l report.Layer) bool { return l.DiffID == f.Layer }); i >= 0 {
		l += fmt.Sprintf(" (layer %d of %d)", i+1, len(x.r.Target.Layers))
	}
	x.line("layer", l)
	if f.CreatedBy != "" {
		x.line("created by", strings.TrimSpace(f.CreatedBy))
	}
}

// vex gives a VEX statement that annotated the finding without removing it.
func (x *explainer) vex(f report.Finding) {
	v := f.VEX
	if v == nil {
		return
	}
	say := v.Status
	if v.Justification != "" {
		say += " (" + v.Justification + ")"
	}
	for _, s := range []string{v.Statement, v.ActionStatement} {
		if s != "" {
			say += ": " + s
		}
	}
	if v.Source != "" {
		say += " [" + v.Source + "]"
	}
	x.line("vex", say)
}

// suppression says what removed a finding from the report and why.
func (x *explainer) suppression(s *report.Suppression) {
	if s == nil {
		return
	}
	say := map[string]string{
		report.SuppressedByVEX:       "a VEX statement",
		report.SuppressedByException: "an exception in the ignore file",
		report.SuppressedByBaseline:  "the baseline, which already had it",
	}[s.By]
	if say == "" {
		say = s.By
	}
	if s.Status != "" {
		say += ", " + s.Status
		if s.Justification != "" {
			say += " (" + s.Justification + ")"
		}
	}
	if s.Reason != "" {
		say += ": " + s.Reason
	}
	x.line("suppressed", say)
	var who []string
	if s.Owner != "" {
		who = append(who, "owner "+s.Owner)
	}
	if s.Expires != "" {
		who = append(who, "expires "+s.Expires)
	}
	if s.Source != "" {
		who = append(who, "from "+s.Source)
	}
	if len(who) > 0 {
		x.line("", strings.Join(who, ", "))
	}
}

func (x *explainer) refs(f report.Finding) {
	if !f.Published.IsZero() {
		x.line("published", f.Published.Format("2006-01-02"))
	}
	if u := report.AdvisoryURL(f.VulnerabilityID); u != "" {
		x.line("more", u)
	}
}

// missing says which asked-for IDs the report has no finding of, and why
// that can be.
func (x *explainer) missing(sel *report.Report) {
	for _, id := range x.IDs {
		if slices.ContainsFunc(sel.Findings, names(id)) || slices.ContainsFunc(sel.Suppressed, func(s report.Suppression) bool { return names(id)(s.Finding) }) {
			continue
		}
		x.b.WriteString(cell(id) + ": no finding in this report\n")
		if x.NotAffectedListed {
			x.line("why", "no advisory in the DB names an installed package with this ID or alias: the package may not be installed, or the DB may lack the feed that has it (customs db status lists its sources)")
		} else {
			x.line("why", "no advisory in the DB names an installed package with this ID, or none affects the installed version; explaining an image (customs explain TARGET ID) lists the advisories that name a package but leave its version alone")
		}
		x.b.WriteString("\n")
	}
}

// names reports whether a finding has id as its ID or an alias.
func names(id string) func(report.Finding) bool {
	return func(f report.Finding) bool {
		return strings.EqualFold(f.VulnerabilityID, id) || slices.ContainsFunc(f.Aliases, func(a string) bool { return strings.EqualFold(a, id) })
	}
}

// line writes "  label  value", the value cleaned and wrapped at spaces to
// the width under its column; a word longer than the room (a vector, a
// URL) is kept whole.
func (x *explainer) line(label, value string) {
	value = cell(value)
	if label == "" && value == "" {
		return
	}
	room := max(x.Width-2-labelWidth-1, 20)
	prefix := "  " + label + strings.Repeat(" ", max(labelWidth-runes(label), 0)+1)
	indent := strings.Repeat(" ", 2+labelWidth+1)
	cur := ""
	for _, word := range strings.Split(value, " ") {
		switch {
		case cur == "":
			cur = word
		case runes(cur)+1+runes(word) <= room:
			cur += " " + word
		default:
			x.b.WriteString(strings.TrimRight(prefix+cur, " ") + "\n")
			prefix, cur = indent, word
		}
	}
	x.b.WriteString(strings.TrimRight(prefix+cur, " ") + "\n")
}
