package python

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"

	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/inventory"
)

// maxHeaders bounds how many header lines are read.
const maxHeaders = 10000

// headers is a parsed core-metadata header block (RFC 822 style).
type headers map[string][]string

func (h headers) get(k string) string {
	if v := h[k]; len(v) > 0 {
		return v[0]
	}
	return ""
}

// parseHeaders reads "Key: value" lines up to the first blank line (the
// description body follows it). Continuation lines start with white space.
func parseHeaders(b []byte) (headers, error) {
	h := headers{}
	text := string(b)
	var last string
	for n := 1; text != ""; n++ {
		if n > maxHeaders {
			return h, fmt.Errorf("more than %d header lines", maxHeaders)
		}
		var line string
		line, text, _ = strings.Cut(text, "\n")
		line = strings.TrimSuffix(line, "\r")
		if strings.TrimSpace(line) == "" {
			break
		}
		if line[0] == ' ' || line[0] == '\t' {
			if last != "" {
				vs := h[last]
				vs[len(vs)-1] += "\n" + strings.TrimSpace(line)
			}
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			return h, fmt.Errorf("line %d: want \"Key: value\", got %q", n, trunc(line))
		}
		last = strings.ToLower(strings.TrimSpace(k))
		h[last] = append(h[last], strings.TrimSpace(v))
	}
	return h, nil
}

// installed parses the metadata of an installed distribution.
func installed(ctx context.Context, in extract.Input) ([]inventory.Package, error) {
	h, err := parseHeaders(in.Content)
	if err != nil && h.get("name") == "" {
		return nil, err
	}
	p, perr := newPackage(h.get("name"), h.get("version"), Metadata{Source: "installed"})
	if perr != nil {
		return nil, errors.Join(err, perr)
	}
	p.Licenses = licenses(h)
	reqs := h["requires-dist"]
	if strings.HasSuffix(path.Dir(in.Path), ".egg-info") && in.FS != nil {
		if b, err := fs.ReadFile(in.FS, path.Join(path.Dir(in.Path), "requires.txt")); err == nil {
			reqs = append(reqs, eggRequires(string(b))...)
		}
	}
	p.DependsOn = resolveInstalled(ctx, in, reqs)
	return []inventory.Package{p}, err
}

// licenses prefers License-Expression (PEP 639), then a short License
// field, then the License :: classifiers.
func licenses(h headers) []string {
	if e := h.get("license-expression"); e != "" {
		return []string{e}
	}
	if l := h.get("license"); l != "" && !strings.EqualFold(l, "UNKNOWN") && len(l) <= 100 && !strings.Contains(l, "\n") {
		return []string{l}
	}
	var out []string
	for _, c := range h["classifier"] {
		parts := strings.Split(c, "::")
		if len(parts) < 2 || strings.TrimSpace(parts[0]) != "License" {
			continue
		}
		l := strings.TrimSpace(parts[len(parts)-1])
		if l != "" && l != "OSI Approved" && !slices.Contains(out, l) {
			out = append(out, l)
		}
	}
	return out
}

// eggRequires returns the unconditional requirements of an egg-info
// requires.txt: the lines before the first [extra] section.
func eggRequires(s string) []string {
	var out []string
	for _, l := range strings.Split(s, "\n") {
		l = strings.TrimSpace(l)
		if strings.HasPrefix(l, "[") {
			break
		}
		if l != "" && !strings.HasPrefix(l, "#") {
			out = append(out, l)
		}
	}
	return out
}

// reqName returns the distribution name a PEP 508 requirement starts with,
// or "" when the requirement only applies to an extra.
func reqName(req string) string {
	name, marker, _ := strings.Cut(req, ";")
	if strings.Contains(marker, "extra") {
		return ""
	}
	name = strings.TrimSpace(name)
	end := strings.IndexFunc(name, func(r rune) bool {
		return !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '-' || r == '_' || r == '.')
	})
	if end >= 0 {
		name = name[:end]
	}
	return name
}

// maxDeps bounds how many requirements are resolved per package.
const maxDeps = 500

// resolveInstalled finds the installed distributions that reqs name beside
// in.Path (in the same site-packages directory) and returns their PURLs.
func resolveInstalled(ctx context.Context, in extract.Input, reqs []string) []string {
	if len(reqs) == 0 || in.FS == nil {
		return nil
	}
	site := path.Dir(path.Dir(in.Path))
	if kind(in.Path) == "egg-info-file" {
		site = path.Dir(in.Path)
	}
	entries, err := fs.ReadDir(in.FS, site)
	if err != nil {
		return nil
	}
	byName := map[string][]string{} // normalized name -> metadata paths
	for _, e := range entries {
		n := e.Name()
		var meta string
		switch {
		case strings.HasSuffix(n, ".dist-info"):
			meta = path.Join(site, n, "METADATA")
		case strings.HasSuffix(n, ".egg-info") && e.IsDir():
			meta = path.Join(site, n, "PKG-INFO")
		case strings.HasSuffix(n, ".egg-info"):
			meta = path.Join(site, n)
		default:
			continue
		}
		dist, _, _ := strings.Cut(strings.TrimSuffix(strings.TrimSuffix(n, ".dist-info"), ".egg-info"), "-")
		key := Normalize(dist)
		byName[key] = append(byName[key], meta)
	}
	var out []string
	for i, r := range reqs {
		if i >= maxDeps || ctx.Err() != nil {
			break
		}
		name := reqName(r)
		if name == "" {
			continue
		}
		for _, meta := range byName[Normalize(name)] {
			b, err := fs.ReadFile(in.FS, meta)
			if err != nil || len(b) > maxSize {
				continue
			}
			h, _ := parseHeaders(b)
			if Normalize(h.get("name")) != Normalize(name) || h.get("version") == "" {
				continue
			}
			if u := PURL(h.get("name"), h.get("version")); !slices.Contains(out, u) {
				out = append(out, u)
			}
			break
		}
	}
	slices.Sort(out)
	return out
}
