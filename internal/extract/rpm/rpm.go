// Package rpm extracts installed packages from the rpm database in its three
// formats: SQLite (rpm >= 4.16: RHEL 9, Fedora 33+, Mariner 2), Berkeley DB
// hash (older RHEL/CentOS, Amazon Linux 2) and NDB (SUSE 15.3+). It reads
// the header blobs itself (rpm lib/header.c layout), and adds the content
// sets of Red Hat content manifests to each package.
package rpm

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io/fs"
	"strconv"
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/extract/osrelease"
	"github.com/customs-scanner/customs/internal/extract/rpm/rpmdb"
	"github.com/customs-scanner/customs/internal/inventory"
)

// Paths in the image (root-relative) of the rpm databases.
const (
	SQLiteDB    = "var/lib/rpm/rpmdb.sqlite"
	SQLiteDBUsr = "usr/lib/sysimage/rpm/rpmdb.sqlite"
	BerkeleyDB  = "var/lib/rpm/Packages"
	NDB         = "var/lib/rpm/Packages.db"
	NDBUsr      = "usr/lib/sysimage/rpm/Packages.db"
)

const (
	// maxErrors bounds how many bad headers one database reports.
	maxErrors = 10
	// preparedPrefix starts the JSON Prepare writes.
	preparedPrefix = `{"customsRpmdb":1,`
)

// Metadata is the rpm-specific part of a package.
type Metadata struct {
	// Epoch is the package epoch, nil when it has none.
	Epoch *int `json:"epoch,omitempty"`
	// SourceRPM is the SOURCERPM tag ("bash-5.1.8-1.cm2.src.rpm").
	SourceRPM string `json:"sourceRpm,omitempty"`
	Vendor    string `json:"vendor,omitempty"`
	// Module is "MODULE:STREAM" of a modular rpm (from MODULARITYLABEL).
	Module string `json:"module,omitempty"`
	// ContentSets are the Red Hat repositories the image was built from,
	// from root/buildinfo/content_manifests/*.json; they name the CPEs of
	// Red Hat's CSAF product tree.
	ContentSets []string `json:"contentSets,omitempty"`
}

// Extractor reads the rpm database. It implements extract.Extractor and
// extract.Preparer: the database is parsed while the layer is read and only
// a compact JSON package list is kept.
type Extractor struct{}

var (
	_ extract.Extractor = Extractor{}
	_ extract.Preparer  = Extractor{}
)

// New returns an rpm extractor.
func New() Extractor { return Extractor{} }

// Name returns "os/rpm".
func (Extractor) Name() string { return "os/rpm" }

// Version returns 1.
func (Extractor) Version() int { return 1 }

// Wants reports whether p is an rpm database. (Red Hat content manifests
// are wanted by OS detection, which keeps them as they are; Extract reads
// them through Input.FS with osrelease.ContentSets.)
func (Extractor) Wants(p string, mode fs.FileMode) bool {
	if mode.IsDir() {
		return false
	}
	switch p {
	case SQLiteDB, SQLiteDBUsr, BerkeleyDB, NDB, NDBUsr:
		return true
	}
	return false
}

// prepared is what Prepare keeps of a database.
type prepared struct {
	Version  int             `json:"customsRpmdb"`
	Packages []rpmdb.Package `json:"packages"`
	Errors   []string        `json:"errors,omitempty"`
}

// Prepare parses an rpm database into the compact JSON that Extract reads.
func (Extractor) Prepare(_ string, content []byte) ([]byte, error) {
	pr := readDB(context.Background(), content)
	return json.Marshal(pr)
}

// ReadFileDigests calls fn with the file digests of each package of an
// rpm database (any of its formats: content shows which); a header it
// cannot read is skipped. An SQLite database is read from a temporary
// copy, as Extract reads it.
func ReadFileDigests(ctx context.Context, content []byte, fn func(rpmdb.FileDigests)) error {
	each := func(blob []byte) error {
		if d, err := rpmdb.ParseFileDigests(blob); err == nil {
			fn(d)
		}
		return ctx.Err()
	}
	switch {
	case bytes.HasPrefix(content, []byte(sqliteMagic)):
		return readSQLite(ctx, content, each)
	case len(content) >= 4 && string(content[:4]) == "RpmP":
		return rpmdb.ReadNDB(content, each)
	case len(content) == 0:
		return errors.New("empty file")
	}
	return rpmdb.ReadBerkeleyDB(content, each)
}

// readDB parses a database in the format its content shows.
func readDB(ctx context.Context, content []byte) prepared {
	pr := prepared{Version: 1, Packages: []rpmdb.Package{}}
	var nErr int
	fn := func(blob []byte) error {
		info, err := rpmdb.ParsePackage(blob)
		if err != nil {
			nErr++
			if nErr <= maxErrors {
				pr.Errors = append(pr.Errors, fmt.Sprintf("package %q: %v", info.Name, err))
			}
		}
		if info.Name != "" {
			pr.Packages = append(pr.Packages, info)
		}
		return ctx.Err()
	}
	var err error
	switch {
	case bytes.HasPrefix(content, []byte(sqliteMagic)):
		err = readSQLite(ctx, content, fn)
	case len(content) >= 4 && string(content[:4]) == "RpmP":
		err = rpmdb.ReadNDB(content, fn)
	case len(content) == 0:
		err = errors.New("empty file")
	default:
		err = rpmdb.ReadBerkeleyDB(content, fn)
	}
	if err != nil {
		pr.Errors = append(pr.Errors, err.Error())
	}
	if nErr > maxErrors {
		pr.Errors = append(pr.Errors, fmt.Sprintf("%d more bad package headers", nErr-maxErrors))
	}
	return pr
}

// Extract returns the packages of an rpm database (prepared or raw), with
// the content sets of the image's Red Hat content manifests.
func (Extractor) Extract(ctx context.Context, in extract.Input) ([]inventory.Package, error) {
	var pr prepared
	if bytes.HasPrefix(in.Content, []byte(preparedPrefix)) {
		if err := json.Unmarshal(in.Content, &pr); err != nil {
			return nil, fmt.Errorf("read prepared rpmdb: %w", err)
		}
	} else {
		pr = readDB(ctx, in.Content)
	}
	var sets []string
	if in.FS != nil {
		sets = osrelease.ContentSets(in.FS)
	}
	pkgs := make([]inventory.Package, 0, len(pr.Packages))
	for _, info := range pr.Packages {
		pkgs = append(pkgs, toPackage(info, in.OS, sets))
	}
	var err error
	if len(pr.Errors) > 0 {
		err = fmt.Errorf("rpmdb: %s", strings.Join(pr.Errors, "; "))
	}
	return pkgs, err
}

// EVR formats [EPOCH:]VERSION-RELEASE.
func evr(epoch *int, version, release string) string {
	v := version
	if release != "" {
		v += "-" + release
	}
	if epoch != nil {
		v = strconv.Itoa(*epoch) + ":" + v
	}
	return v
}

func toPackage(info rpmdb.Package, o inventory.OS, sets []string) inventory.Package {
	mod := module(info.ModularityLabel)
	p := inventory.Package{
		Name:      info.Name,
		Version:   evr(info.Epoch, info.Version, info.Release),
		Type:      "rpm",
		Arch:      info.Arch,
		Ecosystem: osrelease.Ecosystem(o),
		Files:     info.Files,
		Metadata: Metadata{
			Epoch:       info.Epoch,
			SourceRPM:   info.SourceRPM,
			Vendor:      info.Vendor,
			Module:      mod,
			ContentSets: sets,
		},
	}
	if info.License != "" {
		p.Licenses = []string{info.License}
	}
	if srcName, srcVR, ok := ParseSourceRPM(info.SourceRPM); ok {
		p.SourceName = srcName
		// The .src.rpm file name has no epoch; the source package shares
		// the binary's, and advisories write fixed versions with it.
		p.SourceVersion = srcVR
		if info.Epoch != nil {
			p.SourceVersion = strconv.Itoa(*info.Epoch) + ":" + srcVR
		}
	}
	bin := info.Name
	if mod != "" {
		bin = mod + "::" + info.Name
		if p.SourceName != "" {
			p.SourceName = mod + "::" + p.SourceName
		}
	}
	if p.SourceName != "" {
		p.AlsoMatch = []string{bin}
	} else if mod != "" {
		p.SourceName = bin
	}
	p.PURL = purl(info, o)
	return p
}

// module keeps "MODULE:STREAM" of a modularity label
// "MODULE:STREAM:VERSION:CONTEXT".
func module(label string) string {
	parts := strings.SplitN(label, ":", 3)
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
		return ""
	}
	return parts[0] + ":" + parts[1]
}

// ParseSourceRPM splits a SOURCERPM value "NAME-VERSION-RELEASE.src.rpm"
// (or .nosrc.rpm) into NAME and "VERSION-RELEASE".
func ParseSourceRPM(s string) (name, versionRelease string, ok bool) {
	base, found := strings.CutSuffix(s, ".src.rpm")
	if !found {
		base, found = strings.CutSuffix(s, ".nosrc.rpm")
	}
	if !found {
		return "", "", false
	}
	r := strings.LastIndexByte(base, '-')
	if r <= 0 {
		return "", "", false
	}
	v := strings.LastIndexByte(base[:r], '-')
	if v <= 0 || v+1 == r || r+1 == len(base) {
		return "", "", false
	}
	return base[:v], base[v+1:], true
}

// Namespace returns the PURL namespace (vendor) for packages of o:
// "redhat", "centos", "rocky", "almalinux", "fedora", "amazon", "opensuse",
// "suse", "oracle", "mariner", "photon", else the os-release ID.
func Namespace(o inventory.OS) string {
	switch f := o.Family; {
	case f == "rhel":
		return "redhat"
	case f == "amzn":
		return "amazon"
	case f == "ol":
		return "oracle"
	case f == "mariner", f == "azurelinux":
		return "mariner"
	case strings.HasPrefix(f, "opensuse"):
		return "opensuse"
	case f == "sles", f == "sled", f == "sle-micro", f == "suse":
		return "suse"
	default:
		return f
	}
}

// purl builds pkg:rpm/<namespace>/<name>@<version>-<release>?arch=&epoch=&distro=<id>-<version>.
func purl(info rpmdb.Package, o inventory.OS) string {
	var q packageurl.Qualifiers
	if info.Arch != "" {
		q = append(q, packageurl.Qualifier{Key: "arch", Value: info.Arch})
	}
	if info.Epoch != nil {
		q = append(q, packageurl.Qualifier{Key: "epoch", Value: strconv.Itoa(*info.Epoch)})
	}
	if o.Family != "" && o.Version != "" {
		q = append(q, packageurl.Qualifier{Key: "distro", Value: o.Family + "-" + o.Version})
	}
	return packageurl.NewPackageURL("rpm", Namespace(o), info.Name, evr(nil, info.Version, info.Release), q, "").ToString()
}
