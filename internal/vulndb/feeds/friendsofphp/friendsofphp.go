// Package friendsofphp imports the PHP Security Advisories Database
// (https://github.com/FriendsOfPHP/security-advisories): one YAML file per
// advisory under vendor/package/.
package friendsofphp

import (
	"context"
	"errors"
	"fmt"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/customs-scanner/customs/internal/vulndb/feeds/errlist"
	"github.com/customs-scanner/customs/internal/vulndb/feeds/feedio"
	"go.yaml.in/yaml/v3"
)

const (
	// Source is the vulndb.Advisory.Source of this feed.
	Source = "friendsofphp"
	// Ecosystem is the ecosystem of every record (OSV's name for Composer
	// packages).
	Ecosystem = "Packagist"

	maxFileSize = 1 << 20
)

// record is one advisory file (the format is described in the database's
// README).
type record struct {
	Title     string            `yaml:"title"`
	Link      string            `yaml:"link"`
	CVE       string            `yaml:"cve"`
	Reference string            `yaml:"reference"`
	Branches  map[string]branch `yaml:"branches"`
}

type branch struct {
	Time     string   `yaml:"time"`
	Versions []string `yaml:"versions"`
}

var cvePattern = regexp.MustCompile(`^CVE-\d{4}-\d{4,}$`)

// Parse converts one advisory file. rel is its path below the database
// root, "vendor/package/name.yaml"; it gives the ID of an advisory without
// a CVE and the package when reference is missing.
//
// The mapping:
//   - ID is the CVE if any, else "FOP-vendor/package/<file stem>" (stems
//     such as "2015-08-06" repeat across packages; with the package they
//     are unique and stable).
//   - Package is reference's "composer://vendor/package" (lowercased, as
//     Composer names are), Ecosystem "Packagist".
//   - Summary is title; link is the one ADVISORY reference. Published is
//     the earliest branch time (when the first fix was released: the
//     format has no disclosure date).
//   - One Range per branch, in branch name order, from its constraints:
//     ">=" a -> Introduced, "<" b -> Fixed, "<=" b -> LastAffected. For
//     ">" a (seven in the database), Introduced is a, over-reporting a
//     itself, and StatusDetail says so.
func Parse(rel string, b []byte) (*vulndb.Advisory, error) {
	var r record
	if err := yaml.Unmarshal(b, &r); err != nil {
		return nil, err
	}
	rel = filepath.ToSlash(rel)
	dir, file := filepath.Split(filepath.FromSlash(rel))
	pkg := strings.TrimPrefix(strings.TrimSpace(r.Reference), "composer://")
	if pkg == "" {
		pkg = filepath.ToSlash(filepath.Clean(dir))
	}
	pkg = strings.ToLower(pkg)
	if strings.Count(pkg, "/") != 1 || strings.HasPrefix(pkg, "/") || strings.HasSuffix(pkg, "/") {
		return nil, fmt.Errorf("reference %q: want composer://vendor/package", r.Reference)
	}
	a := &vulndb.Advisory{Source: Source, Summary: strings.TrimSpace(r.Title)}
	switch cve := strings.TrimSpace(r.CVE); {
	case cvePattern.MatchString(cve):
		a.ID = cve
	case cve != "":
		return nil, fmt.Errorf("bad cve %q", cve)
	default:
		a.ID = "FOP-" + pkg + "/" + strings.TrimSuffix(file, filepath.Ext(file))
	}
	if l := strings.TrimSpace(r.Link); l != "" {
		a.References = []vulndb.Reference{{Type: "ADVISORY", URL: l}}
	}
	af := vulndb.Affected{Ecosystem: Ecosystem, Package: pkg, Status: vulndb.StatusRanges}
	if len(r.Branches) == 0 {
		return nil, errors.New("no branches")
	}
	names := make([]string, 0, len(r.Branches))
	for name := range r.Branches {
		names = append(names, name)
	}
	slices.Sort(names)
	var excl []string
	for _, name := range names {
		br := r.Branches[name]
		if br.Time != "" {
			t, err := parseTime(br.Time)
			if err != nil {
				return nil, fmt.Errorf("branch %s: %w", name, err)
			}
			if a.Published.IsZero() || t.Before(a.Published) {
				a.Published = t
			}
		}
		rg, x, err := branchRange(br.Versions)
		if err != nil {
			return nil, fmt.Errorf("branch %s: %w", name, err)
		}
		if x != "" {
			excl = append(excl, x)
		}
		af.Ranges = append(af.Ranges, rg)
	}
	if len(excl) > 0 {
		af.StatusDetail = "introduced exclusive of " + strings.Join(excl, ", ")
	}
	a.Affected = []vulndb.Affected{af}
	return a, nil
}

// branchRange converts a branch's constraints; excl is the version of a
// ">" constraint.
func branchRange(cs []string) (r vulndb.Range, excl string, err error) {
	if len(cs) == 0 {
		return r, "", errors.New("no versions")
	}
	for _, c := range cs {
		c = strings.TrimSpace(c)
		op := ""
		for _, o := range []string{">=", "<=", ">", "<"} {
			if strings.HasPrefix(c, o) {
				op, c = o, strings.TrimSpace(c[len(o):])
				break
			}
		}
		if op == "" || c == "" || strings.ContainsAny(c, " ,|<>=") {
			return r, "", fmt.Errorf("bad constraint %q", strings.TrimSpace(op+c))
		}
		var dst *string
		switch op {
		case ">=", ">":
			dst = &r.Introduced
			if op == ">" {
				excl = c
			}
		case "<":
			dst = &r.Fixed
		case "<=":
			dst = &r.LastAffected
		}
		if *dst != "" || op[0] == '<' && r.Fixed+r.LastAffected != "" {
			return r, "", fmt.Errorf("constraints %q: two bounds on one side", cs)
		}
		*dst = c
	}
	return r, excl, nil
}

// parseTime reads "2015-08-06 22:08:00" (with or without a zone offset,
// a day or month possibly of one digit), an RFC 3339 time or a date.
func parseTime(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	for _, layout := range []string{"2006-1-2 15:04:05", "2006-1-2 15:04:05 -0700", time.RFC3339, "2006-1-2T15:04:05", "2006-1-2"} {
		if t, err := time.Parse(layout, s); err == nil {
			return t.UTC(), nil
		}
	}
	return time.Time{}, fmt.Errorf("bad time %q", s)
}

// Import reads the vendor/package/*.yaml files under root (a checkout of
// the database, or one file) and adds one advisory per file to sink. It returns the
// number added. A file that cannot be parsed is skipped and reported as a
// *errlist.FileError in the returned error (errors.Join'ed, at most 100 listed); an
// unreadable directory, a sink error or a cancelled ctx stop the import.
func Import(ctx context.Context, root string, sink vulndb.Sink) (int, error) {
	added := 0
	errs := errlist.List{Noun: "file errors"}
	err := feedio.Walk(ctx, root, isRecordName, func(p string) error {
		rel, err := filepath.Rel(root, p)
		if err != nil {
			return err
		}
		if rel == "." { // root is one file: keep vendor/package/name
			parts := strings.Split(filepath.ToSlash(p), "/")
			rel = strings.Join(parts[max(0, len(parts)-3):], "/")
		}
		a, err := parseFile(p, rel)
		if err != nil {
			errs.Add(&errlist.FileError{Path: p, Err: err})
			return nil
		}
		if err := sink.Add(ctx, a); err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		added++
		return nil
	})
	if err != nil {
		return added, fmt.Errorf("import friendsofphp %s: %w", root, err)
	}
	return added, errs.Err()
}

func isRecordName(p string) bool {
	ext := strings.ToLower(filepath.Ext(p))
	return ext == ".yaml" || ext == ".yml"
}

func parseFile(p, rel string) (*vulndb.Advisory, error) {
	b, err := feedio.ReadFile(p, maxFileSize)
	if err != nil {
		return nil, err
	}
	return Parse(rel, b)
}
