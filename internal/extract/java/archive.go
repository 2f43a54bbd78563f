package java

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"path"
	"slices"
	"sort"
	"strings"
)

// Limits applied to one top-level file by Prepare. Nested archives must be
// inflated into memory to be opened, so peak memory is bounded by
// MaxDepth × MaxNestedSize beside the file itself; all inflation together
// by MaxInflated.
const (
	// MaxDepth is how many archive levels below the top-level file are
	// opened (outer.ear!app.war!WEB-INF/lib/x.jar is depth 2).
	MaxDepth = 4
	// MaxInflated is the total of bytes inflated from all entries read
	// (metadata files and nested archives) of one top-level file.
	MaxInflated = 1 << 30
	// MaxNestedSize is the largest nested archive that is opened.
	MaxNestedSize = 64 << 20
	// MaxEntries is the total of zip entries, over all levels, that one
	// top-level file may declare; an archive that would go past it is not
	// opened.
	MaxEntries = 200_000
	// MaxRatio and ratioFloor define a zip bomb entry: one that inflates to
	// more than ratioFloor bytes at more than MaxRatio times its compressed
	// size is refused.
	MaxRatio   = 100
	ratioFloor = 1 << 20
	// maxMetaSize bounds a pom.properties or MANIFEST.MF that is read.
	maxMetaSize = 1 << 20
	// maxPoms bounds the pom.properties read from one archive (a shaded
	// jar of hundreds of artifacts is rare; thousands is an attack).
	maxPoms = 512
	// maxProblems bounds the problems recorded for one file.
	maxProblems = 20
)

// Found is what Prepare keeps of one top-level file: the facts read from
// each archive in it, in a compact JSON form that Extract turns into
// packages.
type Found struct {
	Archives []Archive `json:"a,omitempty"`
	// Problems are entries or nested archives that were refused or could
	// not be read (limits, corrupt data); Extract reports them as an error
	// beside the packages.
	Problems []string `json:"p,omitempty"`
}

// Archive is one archive: the top-level file (Path "") or a nested one.
type Archive struct {
	// Path is the archive's path inside the top-level file, levels joined
	// with "!": "WEB-INF/lib/x.jar", "app.war!WEB-INF/lib/x.jar".
	Path string `json:"path,omitempty"`
	// Poms are the META-INF/maven/**/pom.properties files, sorted by path.
	Poms []Pom `json:"poms,omitempty"`
	// Manifest holds the identifying main attributes of
	// META-INF/MANIFEST.MF (see manifestKeys).
	Manifest map[string]string `json:"mf,omitempty"`
}

// Pom is one pom.properties.
type Pom struct {
	Path       string `json:"path"`
	GroupID    string `json:"g,omitempty"`
	ArtifactID string `json:"a,omitempty"`
	Version    string `json:"v,omitempty"`
}

// archiveExts are the extensions of archives that are opened, top level or
// nested: Java, web and enterprise archives, Jenkins plugins (jpi, hpi),
// JBoss service archives (sar) and persistence archives (par).
var archiveExts = []string{".jar", ".war", ".ear", ".jpi", ".hpi", ".sar", ".par"}

// isArchive reports whether name has one of archiveExts (in any case)
// after at least one other byte. It lowers only the extension: Wants asks
// it of every file of every layer, and scans of every entry of an archive.
func isArchive(name string) bool {
	ext := path.Ext(name)
	return len(ext) < len(name) && slices.Contains(archiveExts, strings.ToLower(ext))
}

// limits are the bounds of one scan; tests shrink them.
type limits struct {
	depth      int
	inflated   int64
	nestedSize int64
	entries    int
}

var defaultLimits = limits{depth: MaxDepth, inflated: MaxInflated, nestedSize: MaxNestedSize, entries: MaxEntries}

// scan is the state of one Prepare call.
type scan struct {
	limits
	found    Found
	inflated int64
	entries  int
}

func (s *scan) problem(format string, args ...any) {
	if len(s.found.Problems) < maxProblems {
		s.found.Problems = append(s.found.Problems, fmt.Sprintf(format, args...))
	} else if len(s.found.Problems) == maxProblems {
		s.found.Problems = append(s.found.Problems, "more problems not listed")
	}
}

// Prepare reads the archive in content and returns the JSON of a Found. It
// fails only when the top-level file is not a readable zip; trouble further
// in is recorded in Found.Problems.
func (Extractor) Prepare(_ string, content []byte) ([]byte, error) {
	return prepare(content, defaultLimits)
}

func prepare(content []byte, lim limits) ([]byte, error) {
	s := &scan{limits: lim}
	if err := s.archive(content, "", 0); err != nil {
		return nil, fmt.Errorf("open archive: %w", err)
	}
	return json.Marshal(s.found)
}

// archive reads one zip held in b, whose path inside the top-level file
// is at (empty for the top level), at nesting depth.
func (s *scan) archive(b []byte, at string, depth int) error {
	n, err := declaredEntries(b)
	if err != nil {
		return err
	}
	if s.entries+n > s.limits.entries {
		return fmt.Errorf("declares %d entries, over the limit of %d per file", n, s.limits.entries)
	}
	zr, err := zip.NewReader(bytes.NewReader(b), int64(len(b)))
	if err != nil && !errors.Is(err, zip.ErrInsecurePath) {
		return err
	}
	s.entries += len(zr.File)
	a := Archive{Path: at}
	var nested []*zip.File
	tooManyPoms := false
	for _, f := range zr.File {
		name := f.Name
		switch {
		case strings.EqualFold(name, "META-INF/MANIFEST.MF"):
			data, err := s.read(f, maxMetaSize)
			if err != nil {
				s.problem("%s: %v", join(at, name), err)
				continue
			}
			a.Manifest = parseManifest(data)
		case strings.HasPrefix(name, "META-INF/maven/") && path.Base(name) == "pom.properties":
			if len(a.Poms) >= maxPoms {
				if !tooManyPoms {
					s.problem("%s: more than %d pom.properties, the rest ignored", join(at, "META-INF/maven/"), maxPoms)
					tooManyPoms = true
				}
				continue
			}
			data, err := s.read(f, maxMetaSize)
			if err != nil {
				s.problem("%s: %v", join(at, name), err)
				continue
			}
			a.Poms = append(a.Poms, pomFrom(name, parseProperties(data)))
		case isArchive(name) && !f.FileInfo().IsDir():
			nested = append(nested, f)
		}
	}
	sort.Slice(a.Poms, func(i, j int) bool { return a.Poms[i].Path < a.Poms[j].Path })
	// Every archive is kept: without metadata its file name still names it.
	s.found.Archives = append(s.found.Archives, a)
	for _, f := range nested {
		inner := join(at, f.Name)
		if depth+1 > s.depth {
			s.problem("%s: not opened: nested deeper than %d archives", inner, s.depth)
			continue
		}
		data, err := s.read(f, s.nestedSize)
		if err != nil {
			s.problem("%s: %v", inner, err)
			continue
		}
		if err := s.archive(data, inner, depth+1); err != nil {
			s.problem("%s: %v", inner, err)
		}
	}
	return nil
}

// read inflates one entry, refusing zip bombs, entries over limit bytes and
// anything past the file's inflation budget.
func (s *scan) read(f *zip.File, limit int64) ([]byte, error) {
	size := f.UncompressedSize64
	if size > uint64(limit) {
		return nil, fmt.Errorf("refused: %d bytes inflated, over the limit of %d", size, limit)
	}
	if size > ratioFloor && size > MaxRatio*f.CompressedSize64 {
		return nil, fmt.Errorf("refused: compression ratio over %d (%d bytes from %d), a zip bomb", MaxRatio, size, f.CompressedSize64)
	}
	if s.inflated+int64(size) > s.limits.inflated {
		return nil, fmt.Errorf("refused: the file would inflate to more than %d bytes", s.limits.inflated)
	}
	rc, err := f.Open()
	if err != nil {
		return nil, err
	}
	defer rc.Close()
	// archive/zip fails reads past the declared size; the LimitReader
	// bounds memory whatever the header says.
	data, err := io.ReadAll(io.LimitReader(rc, int64(size)+1))
	s.inflated += int64(len(data))
	if err != nil {
		return nil, err
	}
	if uint64(len(data)) != size {
		return nil, fmt.Errorf("inflated %d bytes, header says %d", len(data), size)
	}
	return data, nil
}

func join(at, name string) string {
	if at == "" {
		return name
	}
	return at + "!" + name
}

// declaredEntries returns the entry count the end of central directory
// record of the zip in b declares (zip64 included), so that a central
// directory of millions of entries is refused before archive/zip allocates
// it.
func declaredEntries(b []byte) (int, error) {
	const eocdLen = 22
	start := len(b) - eocdLen - 0xFFFF
	if start < 0 {
		start = 0
	}
	i := bytes.LastIndex(b[start:], []byte("PK\x05\x06"))
	if i < 0 || start+i+eocdLen > len(b) {
		return 0, errors.New("not a zip archive: no end of central directory")
	}
	i += start
	n := uint64(binary.LittleEndian.Uint16(b[i+10:]))
	if n == 0xFFFF && i >= 20 && string(b[i-20:i-16]) == "PK\x06\x07" {
		off := binary.LittleEndian.Uint64(b[i-20+8:])
		if off < uint64(len(b)) && off+56 <= uint64(len(b)) && string(b[off:off+4]) == "PK\x06\x06" {
			n = binary.LittleEndian.Uint64(b[off+32:])
		}
	}
	if n > MaxEntries {
		return 0, fmt.Errorf("declares %d entries, over the limit of %d per file", n, MaxEntries)
	}
	return int(n), nil
}
