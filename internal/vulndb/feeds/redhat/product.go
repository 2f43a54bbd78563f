package redhat

import (
	"regexp"
	"strings"

	"github.com/package-url/packageurl-go"
)

// component is an rpm named by a CSAF product: "curl-0:7.61.1-30.el8_8.2.src"
// with purl pkg:rpm/redhat/curl@7.61.1-30.el8_8.2?arch=src&epoch=0, or, in a
// per-CVE VEX document, a bare "curl" for a package without a fix.
type component struct {
	Name string
	// EVR is "epoch:version-release" (epoch 0 when the document gives
	// none), empty for an unversioned component.
	EVR string
	// Arch is "src", "noarch", "x86_64" ..., empty when not stated.
	Arch string
	// Module is the modularity "name:stream" ("ruby:2.7") of a modular
	// rpm, empty otherwise.
	Module string
}

// source tells whether the component is a source rpm, or names a package
// without an architecture (VEX's unfixed "curl"), which Red Hat writes
// for the source package.
func (c component) source() bool { return c.Arch == "" || c.Arch == "src" }

// packageName is the Affected.Package of the component: its rpm name, or
// "MODULE:STREAM::NAME" for a modular rpm ("ruby:2.7::ruby"), the key
// Red Hat's OVAL-based scanners use so that a fix in one module stream is
// not applied to another.
func (c component) packageName() string {
	if c.Module != "" {
		return c.Module + "::" + c.Name
	}
	return c.Name
}

// nevraRE matches a product ID of the form NAME-[EPOCH:]VERSION-RELEASE.ARCH,
// optionally followed by "::MODULE:STREAM" or ".rpm-MODULE:STREAM" as
// older documents write modular rpms.
var nevraRE = regexp.MustCompile(`^(.+)-(?:([0-9]+):)?([^-:]+)-([^-:]+)\.([a-z0-9_]+?)(?:\.rpm)?(?:(?:::|-)([A-Za-z0-9._+-]+:[A-Za-z0-9._+-]+))?$`)

// plainNameRE is an unversioned rpm name, or "MODULE:STREAM/NAME".
var plainNameRE = regexp.MustCompile(`^(?:([A-Za-z0-9._+-]+:[A-Za-z0-9._+-]+)/)?([A-Za-z0-9._+-]+)$`)

// parseComponent reads a component from its purl, or from its product ID
// when it has none. The second result is false for what is not an rpm (a
// container image, a jar).
func parseComponent(id, purl string) (component, bool) {
	if purl != "" {
		return purlComponent(purl)
	}
	if m := nevraRE.FindStringSubmatch(id); m != nil {
		epoch := m[2]
		if epoch == "" {
			epoch = "0"
		}
		return component{Name: m[1], EVR: epoch + ":" + m[3] + "-" + m[4], Arch: m[5], Module: m[6]}, true
	}
	if m := plainNameRE.FindStringSubmatch(id); m != nil {
		return component{Name: m[2], Module: m[1]}, true
	}
	return component{}, false
}

func purlComponent(s string) (component, bool) {
	p, err := packageurl.FromString(s)
	if err != nil || p.Type != "rpm" || p.Name == "" {
		return component{}, false
	}
	q := p.Qualifiers.Map()
	c := component{Name: p.Name, Arch: q["arch"]}
	if p.Version != "" {
		epoch := q["epoch"]
		if epoch == "" {
			epoch = "0"
		}
		c.EVR = epoch + ":" + p.Version
	}
	if mod := q["rpmmod"]; mod != "" {
		// "ruby:2.7:8080020230427102918:63b34585" -> "ruby:2.7"
		parts := strings.SplitN(mod, ":", 3)
		if len(parts) >= 2 && parts[0] != "" && parts[1] != "" {
			c.Module = parts[0] + ":" + parts[1]
		}
	}
	return c, true
}

// rhelProducts are the CPE product names of Red Hat Enterprise Linux
// platforms; layered products (OpenShift, Software Collections ...) are
// not releases of RHEL and are skipped.
var rhelProducts = map[string]bool{
	"enterprise_linux": true, "rhel_eus": true, "rhel_aus": true,
	"rhel_tus": true, "rhel_e4s": true, "rhel_els": true,
	"rhel_eus_long_life": true, "rhel_mission_critical": true,
}

// EcosystemOf maps a platform CPE to its ecosystem, "redhat:<major>":
//
//	cpe:/a:redhat:enterprise_linux:8::appstream -> redhat:8
//	cpe:/o:redhat:rhel_eus:8.6::baseos          -> redhat:8
//	cpe:/o:redhat:rhel_els:6                    -> redhat:6
//
// CPE 2.3 names (cpe:2.3:o:redhat:enterprise_linux:9:...) are read too. The
// second result is false for a CPE of anything but a RHEL platform.
func EcosystemOf(cpe string) (string, bool) {
	parts := strings.Split(cpe, ":")
	if len(parts) > 1 && parts[1] == "2.3" {
		parts = append(parts[:1], parts[2:]...)
	}
	if len(parts) < 5 || parts[0] != "cpe" || strings.TrimPrefix(parts[1], "/") == "" ||
		parts[2] != "redhat" || !rhelProducts[parts[3]] {
		return "", false
	}
	major, _, _ := strings.Cut(parts[4], ".")
	if major == "" || len(major) > 3 || strings.Trim(major, "0123456789") != "" {
		return "", false
	}
	return "redhat:" + major, true
}
