package npm

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"strconv"
	"strings"

	"go.yaml.in/yaml/v3"

	"github.com/customs-scanner/customs/internal/inventory"
)

// yarnEntry is one resolved package of a yarn.lock: the descriptors
// ("name@range") that resolve to it, and what they resolve to.
type yarnEntry struct {
	line       int
	specs      []string
	name       string
	version    string
	resolved   string
	integrity  string
	resolution string // Berry only
	deps       map[string]string
}

// parseYarnLock reads a yarn.lock: Berry's YAML (it has a __metadata
// entry) or the classic v1 format.
func parseYarnLock(ctx context.Context, content []byte) ([]inventory.Package, error) {
	var (
		entries []*yarnEntry
		err     error
	)
	if isBerry(content) {
		entries, err = parseBerry(content)
	} else {
		entries, err = parseYarnV1(ctx, content)
	}
	c := newCollector()
	bySpec := map[string]*yarnEntry{}
	for _, e := range entries {
		for _, s := range e.specs {
			bySpec[s] = e
		}
	}
	for _, e := range entries {
		if e.name == "" || e.version == "" {
			continue
		}
		nd := node{name: e.name, version: e.version, meta: Metadata{Resolved: e.resolved, Integrity: e.integrity}}
		for dep, rng := range e.deps {
			t, ok := bySpec[dep+"@"+rng]
			if !ok && !strings.Contains(rng, ":") {
				t, ok = bySpec[dep+"@npm:"+rng] // Berry writes ranges without the default protocol
			}
			if ok && t.name != "" && t.version != "" && validName(t.name) {
				nd.deps = append(nd.deps, c.purl(t.name, t.version))
			}
		}
		c.add(nd)
	}
	return c.packages(), err
}

func isBerry(content []byte) bool {
	return bytes.HasPrefix(content, []byte("__metadata:")) || bytes.Contains(content, []byte("\n__metadata:"))
}

// splitSpec splits a descriptor "name@range" ("@scope/name@range").
func splitSpec(spec string) (name, rng string) {
	start := 0
	if strings.HasPrefix(spec, "@") {
		start = 1
	}
	i := strings.IndexByte(spec[start:], '@')
	if i < 0 {
		return spec, ""
	}
	i += start
	return spec[:i], spec[i+1:]
}

// maxYarnErrors bounds how many bad lines one file reports.
const maxYarnErrors = 10

// parseYarnV1 reads the classic format (yarn's own lockfile parser,
// src/lockfile/parse.js): entries start at column 0 with a comma-separated
// list of descriptors and a colon, their fields are indented by two spaces,
// and the "dependencies:" and "optionalDependencies:" blocks by four.
func parseYarnV1(ctx context.Context, content []byte) ([]*yarnEntry, error) {
	var (
		entries []*yarnEntry
		cur     *yarnEntry
		section string
		errs    []error
		bad     int
	)
	fail := func(n int, format string, args ...any) {
		bad++
		if len(errs) < maxYarnErrors {
			errs = append(errs, fmt.Errorf("yarn.lock line %d: %s", n, fmt.Sprintf(format, args...)))
		}
	}
	text := string(content)
	for n := 1; text != ""; n++ {
		if n%4096 == 0 {
			if err := ctx.Err(); err != nil {
				return nil, err
			}
		}
		var line string
		line, text, _ = strings.Cut(text, "\n")
		line = strings.TrimRight(line, "\r")
		trimmed := strings.TrimLeft(line, " ")
		if trimmed == "" || trimmed[0] == '#' {
			continue
		}
		indent := len(line) - len(trimmed)
		switch {
		case indent == 0:
			section = ""
			head, ok := strings.CutSuffix(trimmed, ":")
			if !ok {
				fail(n, "entry without a colon")
				cur = nil
				continue
			}
			cur = &yarnEntry{line: n}
			for _, s := range strings.Split(head, ",") {
				s = unquote(strings.TrimSpace(s))
				if s != "" {
					cur.specs = append(cur.specs, s)
				}
			}
			if len(cur.specs) == 0 {
				fail(n, "entry without descriptors")
				cur = nil
				continue
			}
			entries = append(entries, cur)
			// The installed package is the aliased one if any
			// descriptor is an alias ("name@npm:real@range").
			cur.name, _ = splitSpec(cur.specs[0])
			for _, s := range cur.specs {
				_, rng := splitSpec(s)
				if real, ok := strings.CutPrefix(rng, "npm:"); ok && real != "" && !isRangeChar(real[0]) {
					cur.name, _ = splitSpec(real)
					break
				}
			}
		case cur == nil:
			continue // fields of a bad entry
		case indent <= 2:
			key, val, err := yarnField(trimmed)
			if err != nil {
				fail(n, "%v", err)
				continue
			}
			section = ""
			switch key {
			case "version":
				cur.version = val
			case "resolved":
				cur.resolved = val
			case "integrity":
				cur.integrity = val
			case "dependencies", "optionalDependencies":
				if val == "" {
					section = key
				}
			}
		default:
			if section == "" {
				continue // other nested blocks
			}
			key, val, err := yarnField(trimmed)
			if err != nil {
				fail(n, "%v", err)
				continue
			}
			if cur.deps == nil {
				cur.deps = map[string]string{}
			}
			cur.deps[key] = val
		}
	}
	for _, e := range entries {
		if allLocal(e.specs) {
			e.version = "" // file: and link: dependencies are project code
		}
	}
	if bad > len(errs) {
		errs = append(errs, fmt.Errorf("%d more bad lines", bad-len(errs)))
	}
	return entries, errors.Join(errs...)
}

// isRangeChar reports whether c can start a range ("npm:^1.0.0" names no
// other package).
func isRangeChar(c byte) bool {
	return strings.IndexByte("0123456789^~<>=*vx|", c) >= 0
}

func allLocal(specs []string) bool {
	for _, s := range specs {
		_, rng := splitSpec(s)
		if !strings.HasPrefix(rng, "file:") && !strings.HasPrefix(rng, "link:") {
			return false
		}
	}
	return true
}

// yarnField splits `key "value"`, `"key" value` or `key:` (a block).
func yarnField(s string) (key, val string, err error) {
	if strings.HasPrefix(s, `"`) {
		end := closingQuote(s)
		if end < 0 {
			return "", "", fmt.Errorf("unterminated string %q", s)
		}
		key, s = unquote(s[:end+1]), s[end+1:]
	} else {
		i := strings.IndexAny(s, " :")
		if i < 0 {
			return s, "", nil
		}
		key, s = s[:i], s[i:]
	}
	s = strings.TrimSpace(s)
	if s == ":" {
		return key, "", nil
	}
	return key, unquote(strings.TrimSpace(strings.TrimPrefix(s, ":"))), nil
}

// closingQuote returns the index of the quote that ends the string s
// starts with, or -1.
func closingQuote(s string) int {
	for i := 1; i < len(s); i++ {
		switch s[i] {
		case '\\':
			i++
		case '"':
			return i
		}
	}
	return -1
}

func unquote(s string) string {
	if len(s) >= 2 && s[0] == '"' && s[len(s)-1] == '"' {
		if u, err := strconv.Unquote(s); err == nil {
			return u
		}
		return s[1 : len(s)-1]
	}
	return s
}

// berryEntry is one package of a Berry lockfile
// (https://yarnpkg.com/advanced/lockfile).
type berryEntry struct {
	Version              string            `yaml:"version"`
	Resolution           string            `yaml:"resolution"`
	Dependencies         map[string]string `yaml:"dependencies"`
	OptionalDependencies map[string]string `yaml:"optionalDependencies"`
	PeerDependencies     map[string]string `yaml:"peerDependencies"`
}

// parseBerry reads a Yarn 2+ lockfile. Entries resolved from the project
// (workspace:, link:, portal:, file:) are not packages of a registry and
// are dropped.
func parseBerry(content []byte) ([]*yarnEntry, error) {
	var raw map[string]yaml.Node
	if err := yaml.Unmarshal(content, &raw); err != nil {
		return nil, fmt.Errorf("parse yarn.lock: %w", err)
	}
	var (
		entries []*yarnEntry
		errs    []error
	)
	for key, n := range raw {
		if key == "__metadata" {
			continue
		}
		var b berryEntry
		if err := n.Decode(&b); err != nil {
			if len(errs) < maxYarnErrors {
				errs = append(errs, fmt.Errorf("yarn.lock entry %q: %w", key, err))
			}
			continue
		}
		e := &yarnEntry{line: n.Line, version: b.Version, resolution: b.Resolution}
		for _, s := range strings.Split(key, ",") {
			if s = strings.TrimSpace(s); s != "" {
				e.specs = append(e.specs, s)
			}
		}
		name, rest := splitSpec(b.Resolution)
		protocol, _, _ := strings.Cut(rest, ":")
		switch protocol {
		case "workspace", "link", "portal", "file":
			e.version = ""
		}
		e.name = name
		e.deps = map[string]string{}
		for _, m := range []map[string]string{b.Dependencies, b.OptionalDependencies} {
			for k, v := range m {
				e.deps[k] = v
			}
		}
		entries = append(entries, e)
	}
	return entries, errors.Join(errs...)
}
