package secrets

import (
	"context"
	"io/fs"
	"path"
	"strings"

	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/extract/osrelease"
	"github.com/customs-scanner/customs/internal/inventory"
)

// Name is the extractor name, also the name of its prepared part.
const Name = "audit/secrets"

var (
	_ extract.Extractor = (*Scanner)(nil)
	_ extract.Limited   = (*Scanner)(nil)
	_ extract.Preparer  = (*LayerScan)(nil)
)

// Name implements extract.Extractor.
func (s *Scanner) Name() string { return Name }

// Version implements extract.Extractor. 2: the walk keeps nothing of the
// files it scans; a LayerResult holds what it found.
func (s *Scanner) Version() int { return 2 }

// skipPath reports whether p is never read: documentation, locales, test
// fixtures and example trees (full of sample keys), package databases, git
// objects and the kernel's pseudo trees. Wants runs for every file of every
// layer, so this is plain string work, not a regexp.
func skipPath(p string) bool {
	top, rest, ok := strings.Cut(p, "/")
	if !ok {
		return false // a file in the root
	}
	switch top {
	case "proc", "sys", "dev":
		return true
	case "usr":
		if d, ok := strings.CutPrefix(rest, "share/"); ok && skipShare(firstDir(d)) {
			return true
		}
		if strings.HasPrefix(rest, "lib/locale/") {
			return true
		}
	case "var":
		if d, ok := strings.CutPrefix(rest, "lib/"); ok {
			switch firstDir(d) {
			case "dpkg", "rpm", "apk", "yum", "dnf":
				return true
			}
		}
	case "lib":
		if strings.HasPrefix(rest, "apk/db/") {
			return true
		}
	}
	for seg, rest := top, rest; ; {
		if skipDir(seg) || seg == ".git" && strings.HasPrefix(rest, "objects/") {
			return true
		}
		if seg, rest, ok = strings.Cut(rest, "/"); !ok {
			return false
		}
	}
}

// firstDir returns the first directory of p ("" for a file).
func firstDir(p string) string {
	d, _, ok := strings.Cut(p, "/")
	if !ok {
		return ""
	}
	return d
}

// skipShare reports the directories of usr/share that hold no secrets.
func skipShare(d string) bool {
	switch d {
	case "doc", "man", "info", "locale", "i18n", "zoneinfo", "mime", "icons", "fonts", "terminfo", "X11", "help", "gtk-doc", "javascript", "misc", "dict":
		return true
	}
	return false
}

// skipDir reports the directory names, anywhere in a path, of tests and
// examples.
func skipDir(d string) bool {
	switch d {
	case "test", "tests", "testing", "testdata", "test-data", "test_data", "fixtures", "__tests__", "spec", "specs", "example", "examples", "sample", "samples", "doc", "docs":
		return true
	}
	return false
}

// skipExts are formats that are binary or never hold a secret in text.
var skipExts = map[string]bool{
	".png": true, ".jpg": true, ".jpeg": true, ".gif": true, ".ico": true, ".svg": true, ".webp": true, ".bmp": true,
	".woff": true, ".woff2": true, ".ttf": true, ".otf": true, ".eot": true,
	".gz": true, ".tgz": true, ".bz2": true, ".xz": true, ".zst": true, ".zip": true, ".jar": true, ".war": true, ".ear": true,
	".whl": true, ".egg": true, ".deb": true, ".rpm": true, ".apk": true, ".a": true, ".o": true, ".so": true, ".dll": true,
	".exe": true, ".pyc": true, ".pyo": true, ".class": true, ".mo": true, ".gmo": true, ".db": true, ".sqlite": true,
	".pdf": true, ".mp3": true, ".mp4": true, ".wasm": true, ".map": true, ".md5sums": true, ".mat": true,
}

// Wants implements extract.Extractor: regular files, except documentation,
// test fixtures, package databases, known binary formats and the files OS
// detection reads (the combined Prepare would otherwise drop them when no
// secret is found; see the report).
func (s *Scanner) Wants(p string, mode fs.FileMode) bool {
	if !mode.IsRegular() || osrelease.Wants(p) || skipPath(p) {
		return false
	}
	ext := strings.ToLower(path.Ext(p))
	if skipExts[ext] || strings.Contains(p, ".so.") {
		return false
	}
	return true
}

// MaxSize implements extract.Limited: larger files are never scanned, so
// the walker need not read them for the scanner.
func (s *Scanner) MaxSize() int64 { return s.maxSize }

// Extract implements extract.Extractor; secrets are not packages (a
// LayerScan gathers them as the layer is read).
func (s *Scanner) Extract(ctx context.Context, in extract.Input) ([]inventory.Package, error) {
	return nil, nil
}
