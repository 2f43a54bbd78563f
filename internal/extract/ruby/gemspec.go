package ruby

import (
	"context"
	"io/fs"
	"path"
	"regexp"
	"slices"
	"strings"
	"sync"

	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/inventory"
)

// Regular expressions over the Ruby that RubyGems writes for an installed
// gem (Gem::Specification#to_ruby): `s.name = "rack".freeze`,
// `s.version = "2.2.22"` (or Gem::Version.new("...")), `s.licenses =
// ["MIT".freeze]`, `s.add_runtime_dependency(%q<x>.freeze, [...])`.
// Evaluating Ruby is neither possible nor wanted; this is what every
// scanner does. They are compiled on first use, not at start-up: most
// scans meet no gemspec.
var gemspecRE = sync.OnceValue(func() *gemspecRegexps {
	return &gemspecRegexps{
		name:     regexp.MustCompile(`(?m)^\s*\w+\.name\s*=\s*(?:["']([^"'\n]*)["']|%q[<{(\[]([^>})\]\n]*)[>})\]])`),
		version:  regexp.MustCompile(`(?m)^\s*\w+\.version\s*=\s*(?:Gem::Version\.new\(\s*)?(?:["']([^"'\n]*)["']|%q[<{(\[]([^>})\]\n]*)[>})\]])`),
		platform: regexp.MustCompile(`(?m)^\s*\w+\.platform\s*=\s*["']([^"'\n]*)["']`),
		license:  regexp.MustCompile(`(?m)^\s*\w+\.licen[sc]es?\s*=\s*(.*)$`),
		quoted:   regexp.MustCompile(`["']([^"'\n]*)["']`),
		dep:      regexp.MustCompile(`(?m)^\s*\w+\.add_(?:runtime_)?dependency\s*\(?\s*(?:%q<([^>\n]*)>|["']([^"'\n]*)["'])`),
		stub:     regexp.MustCompile(`(?m)^# stub: (\S+) (\S+) (\S+)`),
	}
})

type gemspecRegexps struct {
	name, version, platform, license, quoted, dep, stub *regexp.Regexp
}

func first(m []string) string {
	for _, s := range m[1:] {
		if s != "" {
			return s
		}
	}
	return ""
}

// parseGemspec returns the name, version, platform, licenses and runtime
// dependency names of a gemspec.
func parseGemspec(s string) (name, version, platform string, licenses, deps []string) {
	re := gemspecRE()
	if m := re.name.FindStringSubmatch(s); m != nil {
		name = first(m)
	}
	if m := re.version.FindStringSubmatch(s); m != nil {
		version = first(m)
	}
	if m := re.platform.FindStringSubmatch(s); m != nil {
		platform = m[1]
	}
	if m := re.stub.FindStringSubmatch(s); m != nil {
		if name == "" {
			name = m[1]
		}
		if version == "" {
			version = m[2]
		}
		if platform == "" && m[3] != "ruby" {
			platform = m[3]
		}
	}
	for _, m := range re.license.FindAllStringSubmatch(s, 10) {
		for _, q := range re.quoted.FindAllStringSubmatch(m[1], 50) {
			if q[1] != "" && !slices.Contains(licenses, q[1]) {
				licenses = append(licenses, q[1])
			}
		}
	}
	for _, m := range re.dep.FindAllStringSubmatch(s, 1000) {
		if d := first(m); d != "" && !slices.Contains(deps, d) {
			deps = append(deps, d)
		}
	}
	return name, version, platform, licenses, deps
}

func gemspec(ctx context.Context, in extract.Input) ([]inventory.Package, error) {
	name, version, platform, licenses, deps := parseGemspec(string(in.Content))
	p, err := newPackage(name, version, Metadata{Source: "gemspec", Platform: platform})
	if err != nil {
		return nil, err
	}
	p.Licenses = licenses
	p.DependsOn = resolveInstalled(ctx, in, deps)
	return []inventory.Package{p}, nil
}

// resolveInstalled finds the gems named deps among the gemspecs in the
// same specifications directory.
func resolveInstalled(ctx context.Context, in extract.Input, deps []string) []string {
	if len(deps) == 0 || in.FS == nil {
		return nil
	}
	dir := path.Dir(in.Path)
	entries, err := fs.ReadDir(in.FS, dir)
	if err != nil {
		return nil
	}
	var out []string
	for _, d := range deps {
		if ctx.Err() != nil {
			break
		}
		for _, e := range entries {
			n := e.Name()
			rest, ok := strings.CutPrefix(n, d+"-")
			if !ok || rest == "" || rest[0] < '0' || rest[0] > '9' || !strings.HasSuffix(n, ".gemspec") {
				continue
			}
			b, err := fs.ReadFile(in.FS, path.Join(dir, n))
			if err != nil || len(b) > maxSize {
				continue
			}
			gn, gv, gp, _, _ := parseGemspec(string(b))
			if gn != d || gv == "" {
				continue
			}
			if u := PURL(gn, gv, gp); !slices.Contains(out, u) {
				out = append(out, u)
			}
			break
		}
	}
	slices.Sort(out)
	return out
}
