package osrelease

import (
	"strings"

	"github.com/customs-scanner/customs/internal/inventory"
)

// debianReleases maps Debian codenames to release numbers.
var debianReleases = map[string]string{
	"etch": "4", "lenny": "5", "squeeze": "6", "wheezy": "7", "jessie": "8",
	"stretch": "9", "buster": "10", "bullseye": "11", "bookworm": "12",
	"trixie": "13", "forky": "14", "duke": "15",
}

// debianCodenames is the inverse of debianReleases.
var debianCodenames = func() map[string]string {
	m := make(map[string]string, len(debianReleases))
	for c, n := range debianReleases {
		m[n] = c
	}
	return m
}()

// applyDebianVersion fills o's Version and Codename from etc/debian_version
// content: "12.5" on a release, "bookworm/sid" on testing and unstable.
func applyDebianVersion(o *inventory.OS, dv string) {
	if dv[0] >= '0' && dv[0] <= '9' {
		major, _, _ := strings.Cut(dv, ".")
		if o.Version == "" {
			o.Version = major
		}
		if o.Codename == "" {
			o.Codename = debianCodenames[major]
		}
		return
	}
	code, _, _ := strings.Cut(dv, "/")
	if o.Codename == "" {
		o.Codename = strings.ToLower(code)
	}
}

// Ecosystem returns the advisory namespace OS packages of o are matched in:
//
//   - Debian: "debian:<major>" ("debian:12"). Testing and unstable have no
//     VERSION_ID and cannot be told apart from inside the image (both say
//     "trixie/sid"); a known codename gives its release number ("debian:13"
//     for trixie), so both are matched against the upcoming release's
//     records, and an unknown codename or "sid" gives "debian:unstable".
//   - Ubuntu: "ubuntu:<major.minor>" ("ubuntu:22.04").
//   - Alpine: "alpine:<major.minor>" ("alpine:3.10" for 3.10.4).
//   - RHEL, UBI (ID rhel) and CentOS: "redhat:<major>" ("redhat:9"), the
//     namespace of Red Hat's CSAF advisories.
//   - Rocky Linux and AlmaLinux: "rocky:<major>", "almalinux:<major>", as
//     OSV's "Rocky Linux:9" and "AlmaLinux:9" are normalised.
//   - Fedora, Amazon Linux, SUSE, openSUSE, Oracle Linux, CBL-Mariner,
//     Azure Linux, Photon OS: "<ID>:<VERSION_ID>" ("fedora:39", "amzn:2023",
//     "sles:15.5", "opensuse-leap:15.5", "ol:9.3", "mariner:2.0",
//     "photon:5.0").
//   - Any other family with a version: "<family>:<VERSION_ID>".
//
// It returns "" when o is unknown or has no version to key on.
func Ecosystem(o inventory.OS) string {
	switch o.Family {
	case "":
		return ""
	case "debian":
		if o.Version != "" {
			major, _, _ := strings.Cut(o.Version, ".")
			return "debian:" + major
		}
		if n, ok := debianReleases[o.Codename]; ok {
			return "debian:" + n
		}
		if o.Codename != "" {
			return "debian:unstable"
		}
		return ""
	case "rhel", "centos", "rocky", "almalinux":
		return rpmEcosystem(o)
	case "ubuntu", "alpine":
		if mm := majorMinor(o.Version); mm != "" {
			return o.Family + ":" + mm
		}
		return ""
	}
	if o.Version == "" {
		return ""
	}
	return o.Family + ":" + o.Version
}

// majorMinor returns the first two dot-separated components of v.
func majorMinor(v string) string {
	parts := strings.SplitN(v, ".", 3)
	if len(parts) < 2 || parts[0] == "" || parts[1] == "" {
		return ""
	}
	return parts[0] + "." + parts[1]
}
