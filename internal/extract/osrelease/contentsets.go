package osrelease

import (
	"encoding/json"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"
)

// Red Hat image content manifests name the repositories ("content sets")
// an image's rpms came from; Red Hat's CSAF product tree maps them to
// product CPEs. They are read here, beside the release files, so the walker
// keeps them as they are for the rpm extractor to read through Input.FS.
const (
	// ContentManifestDir holds one <component>.json per build stage
	// (OSBS/atomic-reactor builds).
	ContentManifestDir = "root/buildinfo/content_manifests"
	// ContentSetsFile is the manifest of Konflux builds.
	ContentSetsFile = "usr/share/buildinfo/content-sets.json"
)

// isContentManifest reports whether p is a Red Hat content manifest.
func isContentManifest(p string) bool {
	if p == ContentSetsFile {
		return true
	}
	dir, base := path.Split(p)
	return dir == ContentManifestDir+"/" && strings.HasSuffix(base, ".json")
}

// ContentSets returns the content_sets of every Red Hat content manifest
// in fsys, sorted and deduplicated, or nil when there are none. Unreadable
// or malformed manifests are skipped.
func ContentSets(fsys fs.FS) []string {
	ents, _ := fs.ReadDir(fsys, ContentManifestDir)
	var paths []string
	for _, e := range ents {
		if !e.IsDir() && strings.HasSuffix(e.Name(), ".json") {
			paths = append(paths, ContentManifestDir+"/"+e.Name())
		}
	}
	paths = append(paths, ContentSetsFile)
	seen := map[string]bool{}
	for _, p := range paths {
		b, err := readFile(fsys, p)
		if err != nil {
			continue
		}
		sets, err := ParseContentManifest(b)
		if err != nil {
			continue
		}
		for _, s := range sets {
			if s != "" {
				seen[s] = true
			}
		}
	}
	if len(seen) == 0 {
		return nil
	}
	out := make([]string, 0, len(seen))
	for s := range seen {
		out = append(out, s)
	}
	sort.Strings(out)
	return out
}

// ParseContentManifest returns the content_sets of a Red Hat image content
// manifest: {"metadata": {...}, "content_sets": ["rhel-9-for-x86_64-baseos-rpms", ...], ...}.
func ParseContentManifest(b []byte) ([]string, error) {
	var m struct {
		ContentSets []string `json:"content_sets"`
	}
	if err := json.Unmarshal(b, &m); err != nil {
		return nil, fmt.Errorf("parse content manifest: %w", err)
	}
	return m.ContentSets, nil
}
