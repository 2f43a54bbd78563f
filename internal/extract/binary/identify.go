// Package binary identifies software installed without a package manager
// (a static OpenSSL, a downloaded node, a JDK unpacked in /opt) by evidence
// inside the files: each product's own version marker, and where the marker
// alone could be text another program wrote, a second marker that only the
// product's code contains. It never identifies a file by its name alone.
// False positives are worse than misses: when the evidence is ambiguous,
// nothing is reported.
package binary

import (
	"bytes"
	debugelf "debug/elf"
	"fmt"
	"path"
	"strings"
	"sync"
)

// MaxSize is the largest file Identify examines; larger ones are skipped.
const MaxSize = 256 << 20

// maxPerProduct bounds the distinct versions of one product reported for
// one file (two static copies of zlib of different versions can happen).
const maxPerProduct = 4

// Finding is one product identified in a file.
type Finding struct {
	// Product is the short product name: "openssl", "zlib", "curl" (the
	// command-line tool), "libcurl", "busybox", "nginx", "httpd", "node",
	// "python", "redis", "postgresql", "openjdk", "go", "rust".
	Product string `json:"product"`
	// Version is the version as the product writes it ("1.1.1w",
	// "17.0.9", "16beta1").
	Version string `json:"version"`
	// Match is the exact text that identified it.
	Match string `json:"match"`
	// Implementor is the JDK release file's IMPLEMENTOR, if any.
	Implementor string `json:"implementor,omitempty"`
}

// rule finds one product in the bytes of an executable or shared object.
type rule func(b []byte) []Finding

// gated is a rule and the texts it cannot match without: each element of
// need lists alternatives, one of which must occur in the data. None holds
// a NUL, so a text occurs in the NUL-joined data sections only if it
// occurs inside one section, and the sections can be checked in place.
type gated struct {
	name string
	find rule
	need [][]string
}

// binaryRules run on ELF (and other binary) content, in report order. The
// first need of each is its rarest text: most files have none of them.
var binaryRules = []gated{
	{"openssl", openssl, [][]string{{`OPENSSLDIR: "`}, {"OpenSSL "}}},
	{"zlib", zlib, [][]string{{" Copyright 1995-"}}},
	{"libcurl", libcurl, [][]string{{"A libcurl function was given a bad argument"}, {"libcurl/"}}},
	{"curl", curlTool, [][]string{{") %s"}, {"curl "}}},
	{"busybox", busybox, [][]string{{"BusyBox v"}, {"BusyBox is copyrighted by many authors", "Usage: busybox [function"}}},
	{"nginx", nginx, [][]string{{"NGINX environment variable"}, {"nginx version: nginx/"}}},
	{"httpd", httpd, [][]string{{"apache_runtime_status"}, {"Apache/"}}},
	{"node", node, [][]string{{"nodejs.org/download/release/v"}, {"node.js/v"}}},
	{"python", python, [][]string{{"Fatal Python error: "}, {"%.80s (%.80s) %.80s"}}},
	{"redis", redis, [][]string{{"redis_version:"}, {"Redis server v=%s sha=%s"}}},
	{"postgresql", postgresql, [][]string{{"PostgreSQL"}}},
	{"rust", rust, [][]string{{"rustc_metadata"}, {"rustc "}}},
}

// possible reports whether every need of g is among the texts found in
// the data (ruleTexts).
func (g gated) possible(found []bool) bool {
	ts := ruleTexts()
	for _, alts := range g.need {
		ok := false
		for _, t := range alts {
			if found[ts.index[t]] {
				ok = true
				break
			}
		}
		if !ok {
			return false
		}
	}
	return true
}

// ruleTexts is the set of every text the binary rules need, built on
// first use.
var ruleTexts = sync.OnceValue(func() *textSet { return newTextSet(textsOf(binaryRules)) })

// Identify returns the products that path's content is, or contains: for
// executables and shared objects (ELF, or any content starting with a
// binary magic), the binary rules; for a JDK "release" file or a GOROOT
// "VERSION" file (chosen by path, confirmed by content), their fields.
// It is pure and reads content only. Content over MaxSize gives an error.
// An error is returned only for such limits; a file with nothing known in
// it gives nil, nil.
func Identify(path string, content []byte) ([]Finding, error) {
	if len(content) > MaxSize {
		return nil, fmt.Errorf("identify %s: %d bytes is over the %d-byte limit", path, len(content), MaxSize)
	}
	switch {
	case IsJDKRelease(path):
		return jdkRelease(content), nil
	case IsGoVersion(path):
		return goVersion(content), nil
	}
	if !isBinary(content) {
		return nil, nil
	}
	// The rules' texts are looked for in the sections where they are, all
	// in one pass; the sections are joined only for a rule that can match
	// (few files).
	spans, whole := dataSections(content)
	ts := ruleTexts()
	found := make([]bool, len(ts.texts))
	for _, s := range spans {
		ts.find(s, found)
	}
	var (
		out  []Finding
		data []byte
	)
	for _, r := range binaryRules {
		if !r.possible(found) {
			continue
		}
		if data == nil {
			data = join(spans, whole)
		}
		out = append(out, r.find(data)...)
	}
	return out, nil
}

// join returns what the rules read: the sections joined with NUL
// separators, or the content itself when whole.
func join(spans [][]byte, whole bool) []byte {
	if whole {
		return spans[0]
	}
	total := 0
	for _, s := range spans {
		total += len(s) + 1
	}
	out := make([]byte, 0, total)
	for _, s := range spans {
		out = append(out, s...)
		out = append(out, 0)
	}
	return out
}

// dataSections returns the bytes of an ELF file's sections that hold data
// (allocated or not, but not code), in place: the version strings and
// markers the rules look for live there, and skipping code makes
// identification several times faster. The rules read them joined with
// NUL separators (join). Anything that is not a well-formed ELF file is
// returned whole, as the one span, with whole set.
func dataSections(b []byte) (spans [][]byte, whole bool) {
	f, err := debugelf.NewFile(bytes.NewReader(b))
	if err != nil {
		return [][]byte{b}, true
	}
	defer f.Close()
	var total uint64
	for _, s := range f.Sections {
		if s.Type != debugelf.SHT_PROGBITS || s.Flags&debugelf.SHF_EXECINSTR != 0 || s.Size == 0 {
			continue
		}
		end := s.Offset + s.Size
		if end < s.Offset || end > uint64(len(b)) {
			return [][]byte{b}, true // a section outside the file: read it all
		}
		spans = append(spans, b[s.Offset:end])
		total += s.Size + 1
	}
	if len(spans) == 0 || total >= uint64(len(b)) {
		return [][]byte{b}, true
	}
	return spans, false
}

// isBinary reports whether content is an executable or object format the
// binary rules apply to: ELF, Mach-O, PE.
func isBinary(b []byte) bool {
	switch {
	case bytes.HasPrefix(b, []byte("\x7fELF")):
		return true
	case bytes.HasPrefix(b, []byte("MZ")):
		return true
	case bytes.HasPrefix(b, []byte{0xcf, 0xfa, 0xed, 0xfe}), bytes.HasPrefix(b, []byte{0xce, 0xfa, 0xed, 0xfe}),
		bytes.HasPrefix(b, []byte{0xca, 0xfe, 0xba, 0xbe}):
		return true
	}
	return false
}

// IsJDKRelease reports whether p names a JDK/JRE "release" file: a file
// named release under usr/lib/jvm/, opt/, or a directory whose name
// contains "jdk" or "jre".
func IsJDKRelease(p string) bool {
	dir, base := path.Split(p)
	if base != "release" || dir == "" {
		return false
	}
	if strings.HasPrefix(p, "usr/lib/jvm/") || strings.HasPrefix(p, "opt/") {
		return true
	}
	parent := strings.ToLower(path.Base(strings.TrimSuffix(dir, "/")))
	return strings.Contains(parent, "jdk") || strings.Contains(parent, "jre")
}

// IsGoVersion reports whether p names a GOROOT VERSION file (".../go/VERSION").
func IsGoVersion(p string) bool {
	return p == "go/VERSION" || strings.HasSuffix(p, "/go/VERSION")
}

// maxTextFile bounds the release and VERSION files read.
const maxTextFile = 64 << 10

// jdkRelease reads JAVA_VERSION="17.0.9" and IMPLEMENTOR from a JDK release
// file (make/ReleaseFile.gmk). Without a well-formed JAVA_VERSION it is not
// a JDK release file.
func jdkRelease(b []byte) []Finding {
	if len(b) > maxTextFile {
		return nil
	}
	var ver, match, impl string
	for _, line := range strings.Split(string(b), "\n") {
		line = strings.TrimSpace(line)
		k, v, ok := strings.Cut(line, "=")
		if !ok {
			continue
		}
		uq, ok := unquote(v)
		if !ok {
			continue
		}
		switch k {
		case "JAVA_VERSION":
			if validJavaVersion(uq) {
				ver, match = uq, line
			}
		case "IMPLEMENTOR":
			impl = uq
		}
	}
	if ver == "" {
		return nil
	}
	return []Finding{{Product: "openjdk", Version: ver, Match: match, Implementor: impl}}
}

func unquote(v string) (string, bool) {
	if len(v) < 2 || v[0] != '"' || v[len(v)-1] != '"' {
		return "", false
	}
	return v[1 : len(v)-1], true
}

// validJavaVersion accepts "17", "17.0.9", "1.8.0_392", "21-ea".
func validJavaVersion(v string) bool {
	if v == "" || len(v) > 32 || !isDigit(v[0]) {
		return false
	}
	for _, c := range []byte(v) {
		if !isDigit(c) && !isLetter(c) && c != '.' && c != '_' && c != '-' && c != '+' {
			return false
		}
	}
	return true
}

// goVersion reads the first line of GOROOT/VERSION ("go1.22.3", followed
// since Go 1.21 by "time ..." lines).
func goVersion(b []byte) []Finding {
	if len(b) > maxTextFile {
		return nil
	}
	line, _, _ := bytes.Cut(b, []byte("\n"))
	line = bytes.TrimSpace(line)
	if !bytes.HasPrefix(line, []byte("go")) {
		return nil
	}
	v := line[2:]
	e, ok := dotted(v, 0, 2)
	if !ok {
		return nil
	}
	rest := v[e:]
	for _, pre := range []string{"rc", "beta"} {
		if bytes.HasPrefix(rest, []byte(pre)) {
			t := len(pre)
			for t < len(rest) && isDigit(rest[t]) {
				t++
			}
			if t > len(pre) {
				rest = rest[t:]
				e += t
			}
			break
		}
	}
	if len(rest) != 0 {
		return nil
	}
	return []Finding{{Product: "go", Version: string(v[:e]), Match: string(line)}}
}

// addFinding appends f unless the same product and version is already there.
func addFinding(out []Finding, f Finding) []Finding {
	for _, o := range out {
		if o.Product == f.Product && o.Version == f.Version {
			return out
		}
	}
	return append(out, f)
}
