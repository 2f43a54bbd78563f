// Package apk extracts installed Alpine packages from the apk database,
// lib/apk/db/installed. The format is documented in apk-tools'
// doc/apk-package.5 and the Alpine wiki "Apk spec": one "K:value" line per
// field, packages separated by blank lines, F: (directory) lines followed by
// the R: (file) lines inside that directory.
package apk

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/extract/osrelease"
	"github.com/customs-scanner/customs/internal/inventory"
)

// InstalledDB is the root-relative path of the apk database.
const InstalledDB = "lib/apk/db/installed"

// maxErrors bounds how many per-package errors one file reports.
const maxErrors = 10

// Metadata is the apk-specific part of a package.
type Metadata struct {
	Maintainer string `json:"maintainer,omitempty"`
	// BuildTime is the t: field, seconds since the Unix epoch.
	BuildTime int64 `json:"buildTime,omitempty"`
	// Commit is the c: field, the aports commit the package was built from.
	Commit string `json:"commit,omitempty"`
}

// Extractor reads the apk installed database. It implements
// extract.Extractor.
type Extractor struct{}

var _ extract.Extractor = Extractor{}

// New returns an apk extractor.
func New() Extractor { return Extractor{} }

// Name returns "os/apk".
func (Extractor) Name() string { return "os/apk" }

// Version returns 1.
func (Extractor) Version() int { return 1 }

// Wants reports whether path is lib/apk/db/installed.
func (Extractor) Wants(path string, mode fs.FileMode) bool {
	return path == InstalledDB && !mode.IsDir()
}

// record is one package of the database while it is being read.
type record struct {
	line int
	pkg  inventory.Package
	meta Metadata
	dir  string
	err  error
}

// Extract parses the installed database. A malformed package record does
// not fail the file: the good records are returned together with an error
// describing the bad ones.
func (Extractor) Extract(ctx context.Context, in extract.Input) ([]inventory.Package, error) {
	if in.Path != InstalledDB {
		return nil, nil
	}
	var (
		pkgs []inventory.Package
		errs []error
		bad  int
		cur  *record
	)
	finish := func() {
		if cur == nil {
			return
		}
		p, err := cur.finish(in.OS)
		if err != nil {
			bad++
			if len(errs) < maxErrors {
				errs = append(errs, fmt.Errorf("package at line %d: %w", cur.line, err))
			}
		} else {
			pkgs = append(pkgs, p)
		}
		cur = nil
	}
	text := string(in.Content)
	for n := 1; text != ""; n++ {
		if n%1024 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		var line string
		line, text, _ = strings.Cut(text, "\n")
		line = strings.TrimSuffix(line, "\r")
		if strings.TrimSpace(line) == "" {
			finish()
			continue
		}
		if cur == nil {
			cur = &record{line: n}
		}
		if cur.err == nil {
			cur.err = cur.add(n, line)
		}
	}
	finish()
	if bad > len(errs) {
		errs = append(errs, fmt.Errorf("%d more bad packages", bad-len(errs)))
	}
	return pkgs, errors.Join(errs...)
}

// add applies one "K:value" line.
func (r *record) add(n int, line string) error {
	if len(line) < 2 || line[1] != ':' {
		return fmt.Errorf("line %d: want \"K:value\", got %q", n, truncate(line, 40))
	}
	v := line[2:]
	p := &r.pkg
	switch line[0] {
	case 'P':
		p.Name = v
	case 'V':
		p.Version = v
	case 'A':
		p.Arch = v
	case 'o':
		p.SourceName = v
	case 'L':
		if v != "" {
			p.Licenses = []string{v}
		}
	case 'm':
		r.meta.Maintainer = v
	case 't':
		t, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			return fmt.Errorf("line %d: build time %q: %w", n, truncate(v, 40), err)
		}
		r.meta.BuildTime = t
	case 'c':
		r.meta.Commit = v
	case 'F':
		r.dir = strings.Trim(v, "/")
	case 'R':
		if v == "" || strings.Contains(v, "/") {
			return fmt.Errorf("line %d: bad file name %q", n, truncate(v, 40))
		}
		if r.dir == "" {
			p.Files = append(p.Files, v)
		} else {
			p.Files = append(p.Files, r.dir+"/"+v)
		}
	}
	return nil
}

func (r *record) finish(o inventory.OS) (inventory.Package, error) {
	if r.err != nil {
		return inventory.Package{}, r.err
	}
	p := r.pkg
	switch {
	case p.Name == "":
		return inventory.Package{}, errors.New("no P: (name) field")
	case p.Version == "":
		return inventory.Package{}, fmt.Errorf("package %s: no V: (version) field", p.Name)
	}
	p.Type = packageurl.TypeApk
	if p.SourceName == "" {
		p.SourceName = p.Name
	}
	p.SourceVersion = p.Version
	p.Ecosystem = osrelease.Ecosystem(o)
	p.Metadata = r.meta
	p.PURL = purl(p, o)
	return p, nil
}

// purl builds pkg:apk/<family>/<name>@<version>?arch=..&distro=<family>-<version>
// with upstream=<origin> when the origin differs from the name. The family
// defaults to alpine.
func purl(p inventory.Package, o inventory.OS) string {
	ns := o.Family
	if ns == "" {
		ns = "alpine"
	}
	var q packageurl.Qualifiers
	if p.Arch != "" {
		q = append(q, packageurl.Qualifier{Key: "arch", Value: p.Arch})
	}
	if o.Family != "" && o.Version != "" {
		q = append(q, packageurl.Qualifier{Key: "distro", Value: o.Family + "-" + o.Version})
	}
	if p.SourceName != p.Name {
		q = append(q, packageurl.Qualifier{Key: "upstream", Value: p.SourceName})
	}
	return packageurl.NewPackageURL(packageurl.TypeApk, ns, p.Name, p.Version, q, "").ToString()
}

func truncate(s string, n int) string {
	if len(s) <= n {
		return s
	}
	return s[:n] + "..."
}
