package osrelease

import (
	"errors"
	"io/fs"
	"strings"

	"github.com/customs-scanner/customs/internal/inventory"
)

// Release files of rpm-based distributions, read when there is no
// os-release (CentOS 6 and older, RHEL 6, Amazon Linux AMI).
const (
	CentOSRelease = "etc/centos-release"
	RedHatRelease = "etc/redhat-release"
	SystemRelease = "etc/system-release"
)

// releaseFiles are tried in this order: centos-release before
// redhat-release, which CentOS also ships; system-release last (Amazon
// Linux, and a link to the others elsewhere).
var releaseFiles = []string{CentOSRelease, RedHatRelease, SystemRelease}

// releasePrefixes map the product name at the start of a release file line
// to the os-release ID, longest first where one is a prefix of another.
var releasePrefixes = []struct{ prefix, id string }{
	{"CentOS", "centos"},
	{"Red Hat Enterprise Linux", "rhel"},
	{"Rocky Linux", "rocky"},
	{"AlmaLinux", "almalinux"},
	{"Fedora", "fedora"},
	{"Amazon Linux", "amzn"},
	{"Oracle Linux", "ol"},
	{"Scientific Linux", "scientific"},
}

// detectRelease returns the OS named by the first of releaseFiles in fsys
// whose line ParseReleaseFile recognises; files it does not are skipped.
func detectRelease(fsys fs.FS) (inventory.OS, bool, error) {
	for _, p := range releaseFiles {
		b, err := readFile(fsys, p)
		if errors.Is(err, fs.ErrNotExist) {
			continue
		}
		if err != nil {
			return inventory.OS{}, false, err
		}
		if o, ok := ParseReleaseFile(firstLine(b)); ok {
			return o, true, nil
		}
	}
	return inventory.OS{}, false, nil
}

// ParseReleaseFile reads the one line of etc/redhat-release and its
// siblings: "CentOS release 6.10 (Final)", "Red Hat Enterprise Linux Server
// release 7.9 (Maipo)", "Amazon Linux AMI release 2018.03". Family is the
// os-release ID of the product, Version the word after "release", Name the
// line. It reports false for a line it does not recognise.
func ParseReleaseFile(line string) (inventory.OS, bool) {
	line = strings.TrimSpace(line)
	var o inventory.OS
	for _, p := range releasePrefixes {
		if strings.HasPrefix(line, p.prefix) {
			o.Family = p.id
			break
		}
	}
	if o.Family == "" {
		return inventory.OS{}, false
	}
	f := strings.Fields(line)
	for i, w := range f {
		if w == "release" && i+1 < len(f) {
			o.Version = f[i+1]
			break
		}
	}
	o.Name = line
	return o, true
}

// rpmEcosystem names the advisory namespace of rpm distributions whose
// advisories are keyed by major release: Red Hat's CSAF/VEX covers RHEL,
// UBI and CentOS ("redhat:9"), OSV's Rocky Linux and AlmaLinux records are
// normalised to "rocky:9" and "almalinux:9" (feeds/osv NormalizeEcosystem).
func rpmEcosystem(o inventory.OS) string {
	var prefix string
	switch o.Family {
	case "rhel", "centos":
		prefix = "redhat"
	case "rocky", "almalinux":
		prefix = o.Family
	default:
		return ""
	}
	major, _, _ := strings.Cut(o.Version, ".")
	if major == "" || strings.Trim(major, "0123456789") != "" {
		return ""
	}
	return prefix + ":" + major
}
