package gobinary

import (
	"strings"

	"github.com/package-url/packageurl-go"

	"github.com/customs-scanner/customs/internal/inventory"
)

// Ecosystem is the OSV ecosystem of Go modules.
const Ecosystem = "Go"

// Stdlib is the module name the Go vulnerability database gives the
// standard library and toolchain.
const Stdlib = "stdlib"

// Metadata is the Go-specific part of a module found in a binary.
type Metadata struct {
	// GoVersion is the toolchain that built the binary (main module and stdlib).
	GoVersion string `json:"goVersion,omitempty"`
	// Settings are selected build settings (main module only).
	Settings map[string]string `json:"settings,omitempty"`
	// Replaces is the module path@version a replace directive swapped for this one.
	Replaces string `json:"replaces,omitempty"`
	// Note says why a module cannot be matched: "(devel)" main module,
	// local directory replacement, unknown toolchain version.
	Note string `json:"note,omitempty"`
}

// Packages reports the modules of the binary at binPath: its main module
// (if the binary names one), every dependency with replace directives
// applied, and the toolchain as module "stdlib".
func (g *GoInfo) Packages(binPath string) []inventory.Package {
	ev := []inventory.Evidence{{Path: binPath, Match: "go buildinfo " + g.GoVersion}}
	var pkgs []inventory.Package
	for _, d := range g.Deps {
		p := modulePackage(d.Path, d.Version)
		if r := d.Replace; r != nil {
			if r.Version == "" || r.Version == "(devel)" || strings.HasPrefix(r.Path, ".") || strings.HasPrefix(r.Path, "/") {
				// A local directory: the code is not the module version.
				p = modulePackage(d.Path, d.Version)
				p.Ecosystem = ""
				p.Metadata = Metadata{Note: "replaced by local directory " + r.Path + ": not matchable"}
			} else {
				p = modulePackage(r.Path, r.Version)
				p.Metadata = Metadata{Replaces: d.Path + "@" + d.Version}
			}
		}
		p.Evidence = ev
		pkgs = append(pkgs, p)
	}
	std := modulePackage(Stdlib, "")
	if v, ok := StdlibVersion(g.GoVersion); ok {
		std = modulePackage(Stdlib, v)
		std.Metadata = Metadata{GoVersion: g.GoVersion}
	} else {
		std.Ecosystem = ""
		std.Metadata = Metadata{GoVersion: g.GoVersion, Note: "toolchain version not matchable"}
	}
	std.Evidence = ev
	if g.Main.Path != "" {
		m := modulePackage(g.Main.Path, g.Main.Version)
		meta := Metadata{GoVersion: g.GoVersion, Settings: g.Settings}
		if g.Main.Version == "" || g.Main.Version == "(devel)" {
			// Built from a work tree: no module version to match.
			m.Ecosystem = ""
			meta.Note = "main module version " + g.Main.Version + ": not matchable"
		}
		m.Metadata = meta
		m.Evidence = ev
		for _, p := range pkgs {
			m.DependsOn = append(m.DependsOn, p.PURL)
		}
		m.DependsOn = append(m.DependsOn, std.PURL)
		pkgs = append([]inventory.Package{m}, pkgs...)
	} else if m, ok := std.Metadata.(Metadata); ok {
		m.Settings = g.Settings
		std.Metadata = m
	}
	return append(pkgs, std)
}

func modulePackage(modPath, version string) inventory.Package {
	ns, name := "", modPath
	if i := strings.LastIndexByte(modPath, '/'); i >= 0 {
		ns, name = modPath[:i], modPath[i+1:]
	}
	v := version
	if v == "(devel)" {
		v = ""
	}
	return inventory.Package{
		Name:      modPath,
		Version:   version,
		Type:      packageurl.TypeGolang,
		Ecosystem: Ecosystem,
		PURL:      packageurl.NewPackageURL(packageurl.TypeGolang, ns, name, v, nil, "").ToString(),
	}
}

// StdlibVersion converts a Go toolchain version as buildinfo records it
// ("go1.22.3", "go1.21rc2", "go1.23.1 X:loopvar", "go1.22.3-bigcorp") to
// the semantic version the Go vulnerability database uses for "stdlib"
// ("v1.22.3", "v1.21.0-rc.2"), the way golang.org/x/vuln converts tags.
// GOEXPERIMENT and vendor suffixes are dropped; "devel" toolchains give false.
func StdlibVersion(goVersion string) (string, bool) {
	v, _, _ := strings.Cut(goVersion, " ")
	v, ok := strings.CutPrefix(v, "go")
	if !ok {
		return "", false
	}
	v, _, _ = strings.Cut(v, "-")
	pre := ""
	for _, tag := range []string{"rc", "beta", "alpha"} {
		if i := strings.Index(v, tag); i > 0 {
			n := v[i+len(tag):]
			if !isDigits(n) {
				return "", false
			}
			v, pre = v[:i], "-"+tag+"."+n
			break
		}
	}
	parts := strings.Split(v, ".")
	if len(parts) < 2 || len(parts) > 3 {
		return "", false
	}
	for _, p := range parts {
		if !isDigits(p) {
			return "", false
		}
	}
	if len(parts) == 2 {
		parts = append(parts, "0")
	}
	return "v" + strings.Join(parts, ".") + pre, true
}

func isDigits(s string) bool {
	if s == "" {
		return false
	}
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return true
}
