package scan

import (
	"fmt"
	"maps"
	"slices"
	"strings"

	"github.com/customs-scanner/customs/internal/ecosystem"
	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/extract/apk"
	"github.com/customs-scanner/customs/internal/extract/binary"
	"github.com/customs-scanner/customs/internal/extract/cargo"
	"github.com/customs-scanner/customs/internal/extract/dart"
	"github.com/customs-scanner/customs/internal/extract/dotnet"
	"github.com/customs-scanner/customs/internal/extract/dpkg"
	"github.com/customs-scanner/customs/internal/extract/elixir"
	"github.com/customs-scanner/customs/internal/extract/gobinary"
	"github.com/customs-scanner/customs/internal/extract/java"
	npmext "github.com/customs-scanner/customs/internal/extract/npm"
	"github.com/customs-scanner/customs/internal/extract/php"
	"github.com/customs-scanner/customs/internal/extract/python"
	"github.com/customs-scanner/customs/internal/extract/rpm"
	"github.com/customs-scanner/customs/internal/extract/ruby"
	"github.com/customs-scanner/customs/internal/version"
)

// Extractors is the default extractor list. Adding an ecosystem is one new
// folder under extract/ whose extractor describes it (extract.Describer:
// PURL type, advisory namespaces, version scheme, feeds) and one line here.
func Extractors() []extract.Extractor {
	return []extract.Extractor{
		dpkg.New(),
		apk.New(),
		rpm.New(),
		npmext.New(),
		python.New(),
		ruby.New(),
		php.New(),
		dotnet.New(),
		java.New(),
		cargo.New(),
		elixir.New(),
		dart.New(),
		gobinary.New(),
		binary.New(),
	}
}

// Ecosystems is the registered ecosystems: the descriptor of each of
// Extractors, in their order. Matching (Schemes), SBOM reading and db
// update's default feeds are built from it, so an ecosystem is declared in
// one place, its folder.
func Ecosystems() ecosystem.List {
	var l ecosystem.List
	for _, e := range Extractors() {
		if d, ok := e.(extract.Describer); ok {
			l = append(l, d.Descriptor())
		}
	}
	return l
}

// Schemes maps package types to their version rules for matching.
func Schemes() map[string]version.Scheme { return Ecosystems().Schemes() }

// unknownTypes says which components of an SBOM no ecosystem declares, by
// PURL type ("3 components of package types customs has no ecosystem for
// were not matched: swift (2), cocoapods (1)"); "" when there are none.
func unknownTypes(counts map[string]int) string {
	if len(counts) == 0 {
		return ""
	}
	n := 0
	types := slices.Sorted(maps.Keys(counts))
	parts := make([]string, len(types))
	for i, t := range types {
		n += counts[t]
		parts[i] = fmt.Sprintf("%s (%d)", t, counts[t])
	}
	return fmt.Sprintf("%d components of package types customs has no ecosystem for were not matched: %s", n, strings.Join(parts, ", "))
}
