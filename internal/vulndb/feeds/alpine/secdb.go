// Package alpine imports the Alpine Linux security database (secdb): one
// document per release and repository listing, for each package, the
// versions that fixed security issues. The legacy git repository serves YAML
// (v3.10/main.yaml); https://secdb.alpinelinux.org serves the same structure
// as JSON (v3.18/main.json).
package alpine

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/customs-scanner/customs/internal/vulndb/feeds/errlist"
	"github.com/customs-scanner/customs/internal/vulndb/feeds/feedio"
	"go.yaml.in/yaml/v3"
)

// Source is the Advisory.Source of every advisory this package produces.
const Source = "alpine-secdb"

// maxFileSize bounds one secdb document; the largest real one (v3.x
// community.json) is a few MB.
const maxFileSize = 64 << 20

// document is one secdb file. Only the fields used are declared.
type document struct {
	DistroVersion string `yaml:"distroversion" json:"distroversion"`
	Packages      []struct {
		Pkg struct {
			Name string `yaml:"name" json:"name"`
			// Secfixes maps a fixed version to the issues it fixed; the
			// version "0" lists issues that never affected Alpine's package.
			Secfixes map[string][]string `yaml:"secfixes" json:"secfixes"`
		} `yaml:"pkg" json:"pkg"`
	} `yaml:"packages" json:"packages"`
}

// Import reads secdb documents from path, a file or a directory (walked for
// *.yaml, *.yml and *.json, skipping names that start with a dot), and adds
// them to sink: one advisory per issue ID
// and document (ID the CVE or other ID, Source "alpine-secdb"; other IDs
// named beside a CVE in one entry, like "CVE-2019-5060 TALOS-2019-0844",
// become its Aliases), with one
// Affected per package in ecosystem "alpine:<release>" ("alpine:3.10" from
// distroversion v3.10). A fixed version gives StatusRanges with one
// Range{Fixed: version} (an issue listed under several versions of one
// package, as happens for fixes in two upstream branches, gets one range per
// version); the version "0" gives StatusNotAffected.
//
// It returns the number of advisories passed to sink.Add. A file that cannot
// be parsed is skipped and reported as a *errlist.FileError in the returned
// error (errors.Join'ed, at most 100 listed) beside the count from the good
// files. An unreadable path, a sink error or a cancelled ctx stop the import.
func Import(ctx context.Context, path string, sink vulndb.Sink) (int, error) {
	st, err := os.Stat(path)
	if err != nil {
		return 0, fmt.Errorf("import alpine secdb: %w", err)
	}
	files := []string{path}
	if st.IsDir() {
		files = nil
		err := feedio.Walk(ctx, path, isSecdbName, func(p string) error {
			files = append(files, p)
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("import alpine secdb: %w", err)
		}
	}
	added := 0
	bad := errlist.List{Noun: "file errors"}
	for _, f := range files {
		if err := ctx.Err(); err != nil {
			return added, err
		}
		advs, err := readFile(f)
		if err != nil {
			bad.Add(&errlist.FileError{Path: f, Err: err})
			continue
		}
		for _, a := range advs {
			if err := sink.Add(ctx, a); err != nil {
				return added, fmt.Errorf("import alpine secdb %s: %w", f, err)
			}
			added++
		}
	}
	return added, bad.Err()
}

func isSecdbName(p string) bool {
	switch strings.ToLower(filepath.Ext(p)) {
	case ".yaml", ".yml", ".json":
		return true
	}
	return false
}

func readFile(path string) ([]*vulndb.Advisory, error) {
	b, err := feedio.ReadFile(path, maxFileSize)
	if err != nil {
		return nil, err
	}
	return Parse(b)
}

// Parse converts one secdb document, YAML or JSON (told apart by the first
// non-space byte), to advisories sorted by ID, each with its Affected sorted
// by package.
func Parse(b []byte) ([]*vulndb.Advisory, error) {
	var doc document
	if t := bytes.TrimLeft(b, " \t\r\n\ufeff"); len(t) > 0 && t[0] == '{' {
		if err := json.Unmarshal(b, &doc); err != nil {
			return nil, fmt.Errorf("parse secdb json: %w", err)
		}
	} else if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, fmt.Errorf("parse secdb yaml: %w", err)
	}
	release, ok := releaseOf(doc.DistroVersion)
	if !ok {
		return nil, fmt.Errorf("parse secdb: bad distroversion %q", doc.DistroVersion)
	}
	eco := "alpine:" + release

	byID := map[string]*vulndb.Advisory{}
	for _, p := range doc.Packages {
		name := strings.TrimSpace(p.Pkg.Name)
		if name == "" {
			continue
		}
		// versions sorted for a deterministic range order
		versions := make([]string, 0, len(p.Pkg.Secfixes))
		for v := range p.Pkg.Secfixes {
			versions = append(versions, v)
		}
		sort.Strings(versions)
		for _, v := range versions {
			version := strings.TrimSpace(v)
			if version == "" {
				continue
			}
			for _, entry := range p.Pkg.Secfixes[v] {
				// "CVE-2019-5060 TALOS-2019-0844" names one issue twice:
				// the CVEs of an entry are the advisories, other IDs
				// their aliases. An entry without a CVE ("XSA-207")
				// is its own advisory.
				ids := IDs(entry)
				cves := slices.DeleteFunc(slices.Clone(ids), func(id string) bool { return !isCVE(id) })
				aliases := slices.DeleteFunc(ids, isCVE)
				if len(cves) == 0 {
					cves, aliases = aliases, nil
				}
				for _, id := range cves {
					addFix(byID, id, aliases, eco, name, version)
				}
			}
		}
	}
	out := make([]*vulndb.Advisory, 0, len(byID))
	for _, a := range byID {
		sort.Slice(a.Affected, func(i, j int) bool { return a.Affected[i].Package < a.Affected[j].Package })
		out = append(out, a)
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out, nil
}

func isCVE(id string) bool { return strings.HasPrefix(id, "CVE-") }

func addFix(byID map[string]*vulndb.Advisory, id string, aliases []string, eco, pkg, version string) {
	a := byID[id]
	if a == nil {
		a = &vulndb.Advisory{ID: id, Source: Source}
		byID[id] = a
	}
	for _, al := range aliases {
		if !slices.Contains(a.Aliases, al) {
			a.Aliases = append(a.Aliases, al)
		}
	}
	i := slices.IndexFunc(a.Affected, func(af vulndb.Affected) bool { return af.Package == pkg })
	if i < 0 {
		a.Affected = append(a.Affected, vulndb.Affected{Ecosystem: eco, Package: pkg})
		i = len(a.Affected) - 1
	}
	af := &a.Affected[i]
	if version == "0" {
		// Not affected wins only when no fixed version is known.
		if af.Status == "" {
			af.Status = vulndb.StatusNotAffected
		}
		return
	}
	af.Status = vulndb.StatusRanges
	r := vulndb.Range{Fixed: version}
	if !slices.Contains(af.Ranges, r) {
		af.Ranges = append(af.Ranges, r)
	}
}

// releaseOf turns a distroversion ("v3.10", "3.10", "edge") into the release
// part of the ecosystem.
func releaseOf(dv string) (string, bool) {
	dv = strings.TrimPrefix(strings.ToLower(strings.TrimSpace(dv)), "v")
	if dv == "edge" {
		return dv, true
	}
	if !releaseRE.MatchString(dv) {
		return "", false
	}
	return dv, true
}

var (
	releaseRE = regexp.MustCompile(`^[0-9]+\.[0-9]+$`)
	// idRE is an issue ID: letters, then dash-separated parts, at least one
	// digit ("CVE-2019-1547", "XSA-207", "ZBX-11023", "wnpa-sec-2017-21").
	idRE = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)+$`)
)

// IDs returns the issue IDs in one secfixes entry. Entries usually hold one
// ID, but some hold several separated by spaces or commas, or carry a
// trailing comment ("CVE-2019-1234 (fixed upstream)"); words that are not IDs
// are dropped.
func IDs(entry string) []string {
	entry, _, _ = strings.Cut(entry, "#")
	var out []string
	for _, w := range strings.FieldsFunc(entry, func(r rune) bool {
		return r == ' ' || r == '\t' || r == ',' || r == ';' || r == '\n' || r == '\r'
	}) {
		w = strings.Trim(w, "()[]:.")
		if idRE.MatchString(w) && strings.ContainsAny(w, "0123456789") {
			if strings.HasPrefix(strings.ToUpper(w), "CVE-") {
				w = strings.ToUpper(w)
			}
			out = append(out, w)
		}
	}
	return out
}
