// Package dpkg extracts installed Debian packages from the dpkg database:
// var/lib/dpkg/status, the per-package files of distroless images in
// var/lib/dpkg/status.d/, and the file lists in var/lib/dpkg/info/*.list.
package dpkg

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"path"
	"strconv"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/extract/osrelease"
	"github.com/customs-scanner/customs/internal/inventory"
)

// Paths in the image (root-relative) that the extractor reads.
const (
	StatusFile = "var/lib/dpkg/status"
	StatusDir  = "var/lib/dpkg/status.d"
	InfoDir    = "var/lib/dpkg/info"
)

// maxErrors bounds how many per-stanza errors one file reports.
const maxErrors = 10

// maxListSize bounds how much of one info/*.list or .md5sums file is read.
const maxListSize = 16 << 20

// auxSuffixes name the non-status files found beside distroless status.d
// entries; they are not package records.
var auxSuffixes = []string{
	".md5sums", ".preinst", ".postinst", ".prerm", ".postrm", ".conffiles",
	".list", ".shlibs", ".symbols", ".triggers", ".templates", ".config",
}

// Metadata is the dpkg-specific part of a package.
type Metadata struct {
	Maintainer string `json:"maintainer,omitempty"`
	// InstalledSize is the Installed-Size field, in KiB.
	InstalledSize int `json:"installedSize,omitempty"`
	// Status is the Status field, e.g. "install ok installed"; empty for
	// distroless status.d entries, which have none.
	Status string `json:"status,omitempty"`
}

// Extractor reads the dpkg database. It implements extract.Extractor.
type Extractor struct{}

var _ extract.Extractor = Extractor{}

// New returns a dpkg extractor.
func New() Extractor { return Extractor{} }

// Name returns "os/dpkg".
func (Extractor) Name() string { return "os/dpkg" }

// Version returns 1.
func (Extractor) Version() int { return 1 }

// Wants reports whether path is the dpkg status file, a file in status.d
// (package records and their .md5sums), or an info/*.list file list.
func (Extractor) Wants(p string, mode fs.FileMode) bool {
	if mode.IsDir() {
		return false
	}
	if p == StatusFile {
		return true
	}
	dir, base := path.Split(p)
	switch dir {
	case StatusDir + "/":
		return base != ""
	case InfoDir + "/":
		return strings.HasSuffix(base, ".list")
	}
	return false
}

// Extract parses a status file or a status.d entry. Other wanted files (file
// lists, md5sums) are only read through in.FS and give no packages.
//
// A malformed stanza does not fail the file: the packages of the good
// stanzas are returned together with an error describing the bad ones.
func (Extractor) Extract(ctx context.Context, in extract.Input) ([]inventory.Package, error) {
	dir, base := path.Split(in.Path)
	distroless := dir == StatusDir+"/"
	switch {
	case in.Path == StatusFile:
	case distroless && !hasAuxSuffix(base):
	default:
		return nil, nil
	}
	var pkgs []inventory.Package
	var errs []error
	bad := 0
	for i, st := range parseStanzas(in.Content) {
		if i%64 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		p, ok, err := toPackage(st, distroless, in.OS)
		if err != nil {
			bad++
			if len(errs) < maxErrors {
				errs = append(errs, fmt.Errorf("stanza at line %d: %w", st.line, err))
			}
			continue
		}
		if !ok {
			continue
		}
		p.Files = ownedFiles(in.FS, in.Path, distroless, p.Name, p.Arch)
		pkgs = append(pkgs, p)
	}
	if bad > len(errs) {
		errs = append(errs, fmt.Errorf("%d more bad stanzas", bad-len(errs)))
	}
	return pkgs, errors.Join(errs...)
}

func hasAuxSuffix(base string) bool {
	for _, s := range auxSuffixes {
		if strings.HasSuffix(base, s) {
			return true
		}
	}
	return false
}

// toPackage converts one stanza. ok is false for packages that are not
// installed (which are skipped without error).
func toPackage(st stanza, distroless bool, osInfo inventory.OS) (p inventory.Package, ok bool, err error) {
	if st.err != nil {
		return p, false, st.err
	}
	status := st.get("status")
	if status != "" || !distroless {
		if !installed(status) {
			return p, false, nil
		}
	}
	name, ver := st.get("package"), st.get("version")
	switch {
	case name == "":
		return p, false, errors.New("no Package field")
	case ver == "":
		return p, false, fmt.Errorf("package %s: no Version field", name)
	}
	srcName, srcVer := parseSource(st.get("source"))
	if srcName == "" {
		srcName = name
	}
	if srcVer == "" {
		srcVer = ver
	}
	size, _ := leadingInt(st.get("installed-size"))
	p = inventory.Package{
		Name:          name,
		Version:       ver,
		Type:          packageurl.TypeDebian,
		Arch:          st.get("architecture"),
		SourceName:    srcName,
		SourceVersion: srcVer,
		Ecosystem:     osrelease.Ecosystem(osInfo),
		Metadata: Metadata{
			Maintainer:    st.get("maintainer"),
			InstalledSize: size,
			Status:        status,
		},
	}
	p.PURL = purl(p, osInfo)
	return p, true, nil
}

// installed reports whether a Status field ("want flag state") says the
// package is on disk. Only the state matters: held packages ("hold ok
// installed") and packages selected for removal that are still unpacked
// ("deinstall ok installed") are installed; "config-files" and
// "half-installed" are not.
func installed(status string) bool {
	f := strings.Fields(status)
	return len(f) == 3 && f[2] == "installed"
}

// parseSource splits a Source field, "glibc" or "glibc (2.36-9)".
func parseSource(s string) (name, version string) {
	name, rest, ok := strings.Cut(s, "(")
	name = strings.TrimSpace(name)
	if !ok {
		return name, ""
	}
	version, _, _ = strings.Cut(rest, ")")
	return name, strings.TrimSpace(version)
}

func leadingInt(s string) (int, bool) {
	i := 0
	for i < len(s) && s[i] >= '0' && s[i] <= '9' {
		i++
	}
	n, err := strconv.Atoi(s[:i])
	return n, err == nil
}

// purl builds pkg:deb/<family>/<name>@<version>?arch=..&distro=<family>-<version>
// with upstream=<source>[@<source version>] when the source differs.
func purl(p inventory.Package, o inventory.OS) string {
	ns := o.Family
	if ns == "" {
		ns = "debian"
	}
	var q packageurl.Qualifiers
	if p.Arch != "" {
		q = append(q, packageurl.Qualifier{Key: "arch", Value: p.Arch})
	}
	if d := distro(o); d != "" {
		q = append(q, packageurl.Qualifier{Key: "distro", Value: d})
	}
	switch {
	case p.SourceVersion != p.Version:
		q = append(q, packageurl.Qualifier{Key: "upstream", Value: p.SourceName + "@" + p.SourceVersion})
	case p.SourceName != p.Name:
		q = append(q, packageurl.Qualifier{Key: "upstream", Value: p.SourceName})
	}
	return packageurl.NewPackageURL(packageurl.TypeDebian, ns, p.Name, p.Version, q, "").ToString()
}

// distro is the purl distro qualifier: "debian-12", or the codename when
// there is no version ("debian-trixie"), or "" when the OS is unknown.
func distro(o inventory.OS) string {
	switch {
	case o.Family == "":
		return ""
	case o.Version != "":
		return o.Family + "-" + o.Version
	case o.Codename != "":
		return o.Family + "-" + o.Codename
	}
	return ""
}

// ownedFiles returns the root-relative paths a package owns: from
// info/NAME:ARCH.list or info/NAME.list, or for distroless status.d entries
// from status.d/NAME.md5sums. A missing list gives nil.
func ownedFiles(fsys fs.FS, statusPath string, distroless bool, name, arch string) []string {
	if fsys == nil {
		return nil
	}
	var candidates []string
	if distroless {
		candidates = []string{statusPath + ".md5sums", path.Join(StatusDir, name+".md5sums")}
	} else {
		if arch != "" {
			candidates = append(candidates, path.Join(InfoDir, name+":"+arch+".list"))
		}
		candidates = append(candidates, path.Join(InfoDir, name+".list"))
	}
	for _, c := range candidates {
		b, err := readLimited(fsys, c)
		if err != nil {
			continue
		}
		if distroless {
			return parseMD5Sums(b)
		}
		return parseList(b)
	}
	return nil
}

func readLimited(fsys fs.FS, p string) ([]byte, error) {
	f, err := fsys.Open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, maxListSize+1))
	if err != nil {
		return nil, err
	}
	if len(b) > maxListSize {
		return nil, fmt.Errorf("%s: larger than %d bytes", p, maxListSize)
	}
	return b, nil
}

// parseList reads an info/*.list file: one absolute path per line; "/." is
// the root and is skipped.
func parseList(b []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		line := strings.TrimSuffix(sc.Text(), "\r")
		p := strings.TrimPrefix(line, "/")
		if p == "" || p == "." {
			continue
		}
		out = append(out, p)
	}
	return out
}

// parseMD5Sums reads "md5sum  path" lines (paths relative to the root).
func parseMD5Sums(b []byte) []string {
	var out []string
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), 1<<20)
	for sc.Scan() {
		_, p, ok := strings.Cut(strings.TrimSuffix(sc.Text(), "\r"), " ")
		p = strings.TrimPrefix(strings.TrimSpace(p), "/")
		if ok && p != "" {
			out = append(out, p)
		}
	}
	return out
}
