package table

import (
	"cmp"
	"fmt"
	"io"
	"maps"
	"slices"
	"strings"
	"text/tabwriter"
	"unicode"
	"unicode/utf8"

	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/report"
)

// pkgPathMax clips a long path in the package list (its end is kept,
// where the file name is).
const pkgPathMax = 64

// Packages renders a report's inventory for people, as customs sbom
// -o table prints it: one row per package (name, version, type, path,
// layer), sorted by type then name, and a legend of the layers with the
// build step that created each. It shows no findings: an SBOM has none.
type Packages struct{}

// Encode writes r's packages to w.
func (Packages) Encode(w io.Writer, r *report.Report) error {
	var b strings.Builder
	fmt.Fprintf(&b, "%s\n", pkgClean(targetTitle(r)))
	pkgs := pkgUnique(slices.Concat(r.Packages, r.Owned))
	partOf := pkgOwners(r, pkgs)
	counts := pkgCounts(pkgs)
	if n := len(partOf); n > 0 {
		counts += fmt.Sprintf(" (%d inside OS packages: PART OF names the package)", n)
	}
	fmt.Fprintf(&b, "%s\n\n", counts)
	if len(pkgs) == 0 {
		b.WriteString("no packages found\n")
	} else {
		if err := pkgRows(&b, r, pkgs, partOf); err != nil {
			return err
		}
	}
	if len(r.Target.Layers) > 0 {
		perLayer := map[string]int{}
		for _, p := range pkgs {
			perLayer[p.Layer]++
		}
		b.WriteString("\nLAYERS\n")
		tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
		for i, l := range r.Target.Layers {
			fmt.Fprintf(tw, "  %d %s\t%s\t%s\n", i+1, report.ShortDigest(l.DiffID), plural(perLayer[l.DiffID], "package"), pkgClean(pkgClip(strings.TrimSpace(l.CreatedBy), 100)))
		}
		if err := tw.Flush(); err != nil {
			return err
		}
	}
	_, err := io.WriteString(w, b.String())
	return err
}

// pkgOwners names, by package ID, the OS package whose file each package
// was found in: its OwnedBy, else a contains relationship.
func pkgOwners(r *report.Report, pkgs []inventory.Package) map[string]string {
	names := map[string]string{}
	for _, p := range pkgs {
		names[p.ID] = p.Name
	}
	partOf := map[string]string{}
	for _, rel := range r.Relationships {
		if rel.Type == inventory.Contains && names[rel.From] != "" {
			partOf[rel.To] = names[rel.From]
		}
	}
	for _, p := range pkgs {
		if p.OwnedBy != nil && p.OwnedBy.Name != "" {
			partOf[p.ID] = p.OwnedBy.Name
		}
	}
	return partOf
}

// pkgRows writes one row per package; the PART OF column, there when some
// packages are inside OS packages, names the OS package.
func pkgRows(b *strings.Builder, r *report.Report, pkgs []inventory.Package, partOf map[string]string) error {
	layerIndex := map[string]int{}
	for i, l := range r.Target.Layers {
		layerIndex[l.DiffID] = i + 1
	}
	owned := len(partOf) > 0
	pkgs = slices.Clone(pkgs)
	slices.SortStableFunc(pkgs, func(a, b inventory.Package) int {
		return cmp.Or(strings.Compare(a.Type, b.Type), strings.Compare(a.Name, b.Name),
			strings.Compare(a.Version, b.Version), strings.Compare(pkgPath(a), pkgPath(b)))
	})
	var tb strings.Builder
	tw := tabwriter.NewWriter(&tb, 0, 4, 2, ' ', 0)
	head := "NAME\tVERSION\tTYPE\tPATH\tLAYER"
	if owned {
		head += "\tPART OF"
	}
	fmt.Fprintln(tw, head)
	for _, p := range pkgs {
		layer := "-"
		if p.Layer != "" {
			layer = report.ShortDigest(p.Layer)
			if i := layerIndex[p.Layer]; i > 0 {
				layer = fmt.Sprintf("%d %s", i, layer)
			}
		}
		row := fmt.Sprintf("%s\t%s\t%s\t%s\t%s", pkgClean(p.Name), pkgClean(cmp.Or(p.Version, "-")), pkgClean(p.Type), pkgClean(cmp.Or(pkgPath(p), "-")), layer)
		if owned {
			row += "\t" + pkgClean(partOf[p.ID])
		}
		fmt.Fprintln(tw, row)
	}
	if err := tw.Flush(); err != nil {
		return err
	}
	// An empty PART OF leaves the padding of the column before it.
	for line := range strings.Lines(tb.String()) {
		b.WriteString(strings.TrimRight(line, " \n") + "\n")
	}
	return nil
}

// pkgUnique drops the second copy of a package listed twice (an owned
// package also in Packages with --show-owned).
func pkgUnique(pkgs []inventory.Package) []inventory.Package {
	seen := map[string]bool{}
	out := pkgs[:0:0]
	for _, p := range pkgs {
		if p.ID != "" && seen[p.ID] {
			continue
		}
		seen[p.ID] = true
		out = append(out, p)
	}
	return out
}

// pkgCounts is "15 packages: 14 apk, 1 binary".
func pkgCounts(pkgs []inventory.Package) string {
	byType := map[string]int{}
	for _, p := range pkgs {
		byType[p.Type]++
	}
	var parts []string
	for _, t := range slices.Sorted(maps.Keys(byType)) {
		parts = append(parts, fmt.Sprintf("%d %s", byType[t], cmp.Or(t, "other")))
	}
	s := plural(len(pkgs), "package")
	if len(parts) > 0 {
		s += ": " + strings.Join(parts, ", ")
	}
	return s
}

// pkgPath is the package's first location, with a leading slash, and how
// many more it has.
func pkgPath(p inventory.Package) string {
	if len(p.Locations) == 0 {
		return ""
	}
	s := "/" + strings.TrimPrefix(p.Locations[0].Path, "/")
	if len(s) > pkgPathMax {
		s = "..." + s[len(s)-pkgPathMax+3:]
		for len(s) > 3 && !utf8.RuneStart(s[3]) {
			s = "..." + s[4:]
		}
	}
	if n := len(p.Locations) - 1; n > 0 {
		s += fmt.Sprintf(" (+%d)", n)
	}
	return s
}

// pkgClean replaces control characters, which a name read from an image
// could use to drive the terminal, and tabs, which would break columns.
func pkgClean(s string) string {
	return strings.Map(func(r rune) rune {
		if unicode.IsControl(r) {
			return '?'
		}
		return r
	}, s)
}

func pkgClip(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return report.CutUTF8(s, n-3) + "..."
}
