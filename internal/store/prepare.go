package store

import (
	"bytes"
	"cmp"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/report"
)

// Prepared is a recording turned into rows: what every backend writes.
// Prepare computes it without I/O, so backends share one reading of a
// report.
type Prepared struct {
	Kind, Key, Name string
	ConfigDigest    string
	Platform        string
	Labels          map[string]string
	Refs            []string
	Seen            time.Time
	ScannedAt       time.Time
	Tool            string
	// DB is the report's DB block as JSON ("" when none); DBBuilt its
	// build time.
	DB      string
	DBBuilt time.Time
	// Layers are the image's layers bottom first; a host or an SBOM has
	// one, with no DiffID.
	Layers   []Layer
	Findings []PreparedFinding
	// Aliases are (ID, alias) pairs of the findings, sorted, unique.
	Aliases  [][2]string
	Packages int
	Summary  map[string]int
	// ContentHash identifies the snapshot's content: layers, inventories,
	// findings and DB build. An equal hash is an equal snapshot.
	ContentHash string
	// Outbox are the input's notifications; Replaces its snapshot.
	Outbox    []Delivery
	Replaces  int64
	Unchanged bool
	// Report is the report without its packages (the inventories hold
	// them) and findings (Findings' Detail), as gzip-compressed JSON, for
	// Store.Report.
	Report []byte
}

// Layer is one layer of a snapshot with its inventory.
type Layer struct {
	DiffID    string
	CreatedBy string
	// Hash addresses the inventory: the DiffID and the packages' JSON.
	Hash     string
	Packages []PreparedPackage
	// FindingSet addresses the findings of the layer's packages (the
	// Findings whose Layer is this one): the inventory's hash and the
	// findings' rows with their details. "" when the layer has none.
	FindingSet string
}

// PreparedPackage is one package row of an inventory.
type PreparedPackage struct {
	Key                       string // the report's package ID
	Type, Name, Version, PURL string
	PURLBase                  string // the PURL without version, qualifiers and subpath
	Ecosystem                 string
	SourceName, SourceVersion string
	Owned                     bool
	// AlsoMatch are the package's AlsoMatch names, space-separated.
	AlsoMatch string
	JSON      string
}

// PreparedFinding is one finding row: a vulnerability of the package at
// Packages[Package] of Layers[Layer].
type PreparedFinding struct {
	Layer, Package  int
	VulnerabilityID string
	Status          string
	FixedVersion    string
	Severity        string
	KEV             bool
	EPSS            float64
	// Detail is the finding as the report had it (JSON), DetailHash its
	// SHA-256: finding_detail's key.
	Detail, DetailHash string
}

// Prepare reads a recording. A report with no target and no packages, or
// a host without a machine-id, is refused.
func Prepare(in Input) (*Prepared, error) {
	r := in.Report
	if r == nil {
		return nil, errors.New("record: no report")
	}
	now := in.Now
	if now.IsZero() {
		now = time.Now()
	}
	// Times are kept to the microsecond, as PostgreSQL keeps them.
	p := &Prepared{Seen: now.UTC().Truncate(time.Microsecond), ScannedAt: r.CreatedAt.UTC().Truncate(time.Microsecond), Tool: r.Tool.Name + " " + r.Tool.Version, Labels: in.Labels, Packages: len(r.Packages), Outbox: in.Outbox, Replaces: in.Replaces, Unchanged: in.Unchanged}
	if p.ScannedAt.IsZero() {
		p.ScannedAt = p.Seen
	}
	if in.Host != nil {
		if strings.TrimSpace(in.Host.MachineID) == "" {
			return nil, errors.New("record host: no machine-id")
		}
		p.Kind, p.Key, p.Name = KindHost, strings.TrimSpace(in.Host.MachineID), in.Host.Hostname
	} else {
		if r.Target.Ref == "" && r.Target.ManifestDigest == "" && r.Target.ImageID == "" {
			return nil, errors.New("record: the report names no target")
		}
		p.Kind, p.Key = KindImage, r.Target.Digest()
		p.ConfigDigest = r.Target.ImageID
		p.Refs = refs(r.Target, in.Refs)
		if p.Labels == nil {
			p.Labels = r.Target.Labels
		}
		// The name: a reference the caller gave, else one the image has.
		p.Name = r.Target.Ref
		for _, names := range [][]string{in.Refs, r.Target.RepoTags, p.Refs} {
			if i := slices.IndexFunc(names, isRef); i >= 0 {
				p.Name = NormalizeRef(names[i])
				break
			}
		}
		p.Platform = in.Platform
		if p.Platform == "" && r.Target.Architecture != "" {
			p.Platform = "linux/" + r.Target.Architecture
		}
	}
	if r.DB != nil {
		b, err := json.Marshal(r.DB)
		if err != nil {
			return nil, err
		}
		p.DB, p.DBBuilt = string(b), r.DB.Built.UTC().Truncate(time.Microsecond)
	}
	if err := p.layers(r); err != nil {
		return nil, err
	}
	p.hash()
	var err error
	if p.Report, err = CompressReport(r); err != nil {
		return nil, err
	}
	return p, nil
}

// CompressReport returns r without its packages and findings (rows of
// their own) as gzip-compressed JSON: what the store keeps of a report.
func CompressReport(r *report.Report) ([]byte, error) {
	rest := *r
	rest.Packages, rest.Owned, rest.Findings = nil, nil, nil
	var b bytes.Buffer
	zw, err := gzip.NewWriterLevel(&b, gzip.BestSpeed)
	if err != nil {
		return nil, err
	}
	if err := json.NewEncoder(zw).Encode(&rest); err != nil {
		return nil, fmt.Errorf("record report: %w", err)
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// DecompressReport reads what Prepare kept of a report (Prepared.Report).
func DecompressReport(data []byte) (*report.Report, error) {
	zr, err := gzip.NewReader(bytes.NewReader(data))
	if err != nil {
		return nil, fmt.Errorf("stored report: %w", err)
	}
	var r report.Report
	if err := json.NewDecoder(zr).Decode(&r); err != nil {
		return nil, fmt.Errorf("stored report: %w", err)
	}
	return &r, nil
}

// refs returns the references an image was seen under: repo tags, repo
// digests, the scanned reference when it names a registry image, and
// extra, normalised (NormalizeRef), sorted and unique.
func refs(t report.Target, extra []string) []string {
	var out []string
	out = append(out, t.RepoTags...)
	out = append(out, t.RepoDigests...)
	if t.Kind == "registry" || t.Kind == "docker" {
		out = append(out, t.Ref)
	}
	out = append(out, extra...)
	out = slices.DeleteFunc(out, func(s string) bool { return !isRef(s) })
	for i, r := range out {
		out[i] = NormalizeRef(r)
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// isRef tells an image reference from a file path (an SBOM names the
// archive it was made from) and from nothing.
func isRef(s string) bool {
	s = strings.TrimSpace(s)
	return s != "" && !strings.HasPrefix(s, "/") && !strings.HasPrefix(s, "./") && !strings.HasPrefix(s, "../") && !strings.ContainsAny(s, " \\")
}

type pkgRef struct{ layer, pkg int }

// layers groups the report's packages by the layer that introduced them
// and orders each group canonically, so equal layers hash equal.
func (p *Prepared) layers(r *report.Report) error {
	index := map[string]int{}
	for _, l := range r.Target.Layers {
		if _, ok := index[l.DiffID]; !ok {
			index[l.DiffID] = len(p.Layers)
		}
		p.Layers = append(p.Layers, Layer{DiffID: l.DiffID, CreatedBy: l.CreatedBy})
	}
	type entry struct {
		pkg   inventory.Package
		owned bool
		json  string
	}
	groups := make([][]entry, len(p.Layers))
	add := func(pkg inventory.Package, owned bool) error {
		pkg.Files = nil
		b, err := json.Marshal(pkg)
		if err != nil {
			return fmt.Errorf("record package %s: %w", pkg.PURL, err)
		}
		i, ok := index[pkg.Layer]
		if !ok {
			i = len(p.Layers)
			index[pkg.Layer] = i
			p.Layers = append(p.Layers, Layer{DiffID: pkg.Layer, CreatedBy: pkg.CreatedBy})
			groups = append(groups, nil)
		}
		groups[i] = append(groups[i], entry{pkg, owned, string(b)})
		return nil
	}
	known := map[string]bool{}
	for _, pkg := range r.Packages {
		known[pkg.ID] = true
		if err := add(pkg, false); err != nil {
			return err
		}
	}
	for _, pkg := range r.Owned {
		if err := add(pkg, true); err != nil {
			return err
		}
	}
	// A finding on a package the report does not list (a hand-edited
	// report) keeps its package as the finding names it.
	for _, f := range r.Findings {
		if f.PackageID == "" || known[f.PackageID] {
			continue
		}
		known[f.PackageID] = true
		pkg := inventory.Package{ID: f.PackageID, Name: f.PackageName, Version: f.PackageVersion, Type: f.PackageType, PURL: f.PURL, Layer: f.Layer, CreatedBy: f.CreatedBy, SourceName: f.SourceName, SourceVersion: f.SourceVersion}
		if err := add(pkg, false); err != nil {
			return err
		}
	}
	where := map[string]pkgRef{}
	for i, g := range groups {
		slices.SortFunc(g, func(a, b entry) int {
			return cmp.Or(cmp.Compare(a.pkg.ID, b.pkg.ID), cmp.Compare(a.json, b.json))
		})
		h := sha256.New()
		h.Write([]byte(p.Layers[i].DiffID))
		h.Write([]byte{0})
		for j, e := range g {
			h.Write([]byte(e.json))
			if e.owned {
				h.Write([]byte{1})
			}
			h.Write([]byte{0})
			p.Layers[i].Packages = append(p.Layers[i].Packages, PreparedPackage{
				Key: e.pkg.ID, Type: e.pkg.Type, Name: e.pkg.Name, Version: e.pkg.Version,
				PURL: e.pkg.PURL, PURLBase: PURLBase(e.pkg.PURL), Ecosystem: e.pkg.Ecosystem,
				SourceName: e.pkg.SourceName, SourceVersion: e.pkg.SourceVersion, Owned: e.owned, AlsoMatch: strings.Join(e.pkg.AlsoMatch, " "), JSON: e.json,
			})
			if _, ok := where[e.pkg.ID]; !ok && !e.owned {
				where[e.pkg.ID] = pkgRef{i, j}
			}
		}
		p.Layers[i].Hash = "sha256:" + hex.EncodeToString(h.Sum(nil))
	}
	p.Summary = map[string]int{}
	aliases := map[[2]string]bool{}
	for _, f := range r.Findings {
		at, ok := where[f.PackageID]
		if !ok {
			continue // a finding with no package ID at all names nothing to keep it under
		}
		pf, err := PrepareFinding(f)
		if err != nil {
			return err
		}
		pf.Layer, pf.Package = at.layer, at.pkg
		p.Findings = append(p.Findings, pf)
		p.Summary[f.Severity]++
		for _, a := range f.Aliases {
			if a != "" && a != f.VulnerabilityID {
				aliases[[2]string{f.VulnerabilityID, a}] = true
			}
		}
	}
	slices.SortFunc(p.Findings, func(a, b PreparedFinding) int {
		return cmp.Or(cmp.Compare(a.Layer, b.Layer), cmp.Compare(a.Package, b.Package), cmp.Compare(a.VulnerabilityID, b.VulnerabilityID), cmp.Compare(a.Status, b.Status),
			cmp.Compare(a.DetailHash, b.DetailHash))
	})
	for a := range aliases {
		p.Aliases = append(p.Aliases, a)
	}
	slices.SortFunc(p.Aliases, func(a, b [2]string) int { return cmp.Or(cmp.Compare(a[0], b[0]), cmp.Compare(a[1], b[1])) })
	return nil
}

func (p *Prepared) hash() {
	for i := 0; i < len(p.Findings); {
		l := p.Findings[i].Layer
		h := sha256.New()
		fmt.Fprintf(h, "findings of %s\n", p.Layers[l].Hash)
		for ; i < len(p.Findings) && p.Findings[i].Layer == l; i++ {
			f := p.Findings[i]
			fmt.Fprintf(h, "finding %d %s %s %s %s %t %g %s\n", f.Package, f.VulnerabilityID, f.Status, f.FixedVersion, f.Severity, f.KEV, f.EPSS, f.DetailHash)
		}
		p.Layers[l].FindingSet = "sha256:" + hex.EncodeToString(h.Sum(nil))
	}
	p.ContentHash = ContentHash(p.DB, p.Layers, p.Findings)
}

// ContentHash is the content hash of a recording (Prepared.ContentHash):
// its DB block (JSON), its layers' DiffIDs, inventory hashes and
// createdBy, and its findings, sorted by layer, package (their places),
// vulnerability, status and detail hash.
func ContentHash(db string, layers []Layer, findings []PreparedFinding) string {
	h := sha256.New()
	fmt.Fprintf(h, "db %s\n", db)
	for _, l := range layers {
		fmt.Fprintf(h, "layer %s %s %q\n", l.DiffID, l.Hash, l.CreatedBy)
	}
	// What fmt's "finding %d %d %s %s %s %s %t %g\n" writes, without fmt:
	// a fleet's full re-evaluation hashes millions of these lines.
	var b []byte
	for _, f := range findings {
		b = append(b[:0], "finding "...)
		b = strconv.AppendInt(b, int64(f.Layer), 10)
		b = append(b, ' ')
		b = strconv.AppendInt(b, int64(f.Package), 10)
		for _, x := range []string{f.VulnerabilityID, f.Status, f.FixedVersion, f.Severity} {
			b = append(append(b, ' '), x...)
		}
		b = append(b, ' ')
		b = strconv.AppendBool(b, f.KEV)
		b = append(b, ' ')
		b = strconv.AppendFloat(b, f.EPSS, 'g', -1, 64)
		h.Write(append(b, '\n'))
	}
	return "sha256:" + hex.EncodeToString(h.Sum(nil))
}

// PURLBase returns a PURL without its version, qualifiers and subpath:
// "pkg:deb/debian/openssl@3.0.11-1?arch=amd64" gives "pkg:deb/debian/openssl".
func PURLBase(purl string) string {
	if i := strings.IndexAny(purl, "?#"); i >= 0 {
		purl = purl[:i]
	}
	if i := strings.LastIndex(purl, "@"); i >= 0 && i > strings.LastIndex(purl, "/") {
		purl = purl[:i]
	}
	return purl
}

// PrepareFinding turns a report's finding into its row and detail; Layer
// and Package are left to the caller.
func PrepareFinding(f report.Finding) (PreparedFinding, error) {
	pf := PreparedFinding{VulnerabilityID: f.VulnerabilityID, Status: f.Status, FixedVersion: f.FixedVersion, Severity: f.Severity, KEV: f.KEV != nil}
	if f.EPSS != nil {
		pf.EPSS = f.EPSS.Score
	}
	b, err := json.Marshal(f)
	if err != nil {
		return pf, fmt.Errorf("record finding %s: %w", f.VulnerabilityID, err)
	}
	sum := sha256.Sum256(b)
	pf.Detail, pf.DetailHash = string(b), "sha256:"+hex.EncodeToString(sum[:])
	return pf, nil
}
