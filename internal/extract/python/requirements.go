package python

import (
	"context"
	"errors"
	"fmt"
	"strings"

	"github.com/customs-scanner/customs/internal/inventory"
)

// maxErrors bounds how many line errors one file reports.
const maxErrors = 10

// requirements reads the "name==version" pins of a pip requirements file.
// Unpinned requirements, options (-r, -e, --index-url, ...), URLs and
// paths are skipped; comments, extras, environment markers, --hash options
// and backslash continuations are understood.
func requirements(ctx context.Context, b []byte) ([]inventory.Package, error) {
	var (
		pkgs []inventory.Package
		errs []error
	)
	lines := strings.Split(string(b), "\n")
	for i := 0; i < len(lines); i++ {
		if i%1024 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		n := i + 1
		line := strings.TrimSuffix(lines[i], "\r")
		for strings.HasSuffix(line, `\`) && i+1 < len(lines) {
			i++
			line = strings.TrimSuffix(line, `\`) + " " + strings.TrimSuffix(lines[i], "\r")
		}
		if c := commentStart(line); c >= 0 {
			line = line[:c]
		}
		line = strings.TrimSpace(line)
		if line == "" || strings.HasPrefix(line, "-") {
			continue
		}
		name, ver, ok := pin(line)
		if !ok {
			continue
		}
		p, err := newPackage(name, ver, Metadata{Source: "requirements"})
		if err != nil {
			if len(errs) < maxErrors {
				errs = append(errs, fmt.Errorf("line %d: %w", n, err))
			}
			continue
		}
		pkgs = append(pkgs, p)
	}
	return pkgs, errors.Join(errs...)
}

// commentStart returns the index of a "#" that starts a comment: at the
// start of the line or after white space (pip's COMMENT_RE).
func commentStart(line string) int {
	for i := 0; i < len(line); i++ {
		if line[i] == '#' && (i == 0 || line[i-1] == ' ' || line[i-1] == '\t') {
			return i
		}
	}
	return -1
}

// pin parses "name[extras] == version [; marker] [--option ...]"; ok is
// false unless the requirement pins exactly one version with == or ===.
func pin(line string) (name, ver string, ok bool) {
	if i := strings.Index(line, " --"); i >= 0 {
		line = line[:i]
	}
	line, _, _ = strings.Cut(line, ";")
	if strings.Contains(line, "@") || strings.Contains(line, "://") {
		return "", "", false
	}
	end := strings.IndexAny(line, "[=<>!~ \t(")
	if end < 0 {
		return "", "", false
	}
	name = line[:end]
	rest := strings.TrimSpace(line[end:])
	if strings.HasPrefix(rest, "[") {
		_, after, found := strings.Cut(rest, "]")
		if !found {
			return "", "", false
		}
		rest = strings.TrimSpace(after)
	}
	rest = strings.TrimSpace(strings.TrimSuffix(strings.TrimPrefix(rest, "("), ")"))
	switch {
	case strings.HasPrefix(rest, "==="):
		ver = rest[3:]
	case strings.HasPrefix(rest, "=="):
		ver = rest[2:]
	default:
		return "", "", false
	}
	ver = strings.TrimSpace(ver)
	if ver == "" || strings.ContainsAny(ver, ",*<>=!~ \t") {
		return "", "", false
	}
	return name, ver, true
}
