package java

import (
	"bufio"
	"bytes"
	"path"
	"strconv"
	"strings"
	"unicode/utf8"
)

// manifestKeys are the main-section MANIFEST.MF attributes kept: those that
// name or version the archive.
var manifestKeys = []string{
	"Implementation-Title", "Implementation-Version", "Implementation-Vendor-Id", "Implementation-Vendor",
	"Specification-Title", "Specification-Version",
	"Bundle-SymbolicName", "Bundle-Version", "Bundle-Name",
	"Automatic-Module-Name", "Bundle-License",
}

// maxValue bounds a kept attribute or property value.
const maxValue = 256

// parseManifest reads the main section of a JAR manifest (JAR File
// Specification, "Manifest Specification"): "Name: value" lines, a line
// starting with one space continues the previous one, a blank line ends the
// main section. Attribute names are case-insensitive.
func parseManifest(b []byte) map[string]string {
	out := map[string]string{}
	var key string
	var val strings.Builder
	flush := func() {
		if key == "" {
			return
		}
		for _, k := range manifestKeys {
			if strings.EqualFold(k, key) {
				if _, dup := out[k]; !dup {
					if v := clean(val.String()); v != "" {
						out[k] = v
					}
				}
			}
		}
		key = ""
		val.Reset()
	}
	// Lines end in CR LF, LF or CR.
	b = bytes.ReplaceAll(bytes.ReplaceAll(b, []byte("\r\n"), []byte("\n")), []byte("\r"), []byte("\n"))
	sc := bufio.NewScanner(bytes.NewReader(b))
	sc.Buffer(make([]byte, 0, 4096), maxMetaSize)
	for sc.Scan() {
		line := sc.Text()
		if line == "" {
			break
		}
		if line[0] == ' ' {
			if key != "" && val.Len() < 4*maxValue {
				val.WriteString(line[1:])
			}
			continue
		}
		flush()
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			continue
		}
		key = strings.TrimSpace(k)
		val.WriteString(strings.TrimPrefix(v, " "))
	}
	flush()
	if len(out) == 0 {
		return nil
	}
	return out
}

// parseProperties reads a java.util.Properties text file (Properties.load):
// '#' and '!' comments, "key=value", "key:value" or "key value", a trailing
// backslash continues the line, backslash escapes including \uXXXX.
func parseProperties(b []byte) map[string]string {
	out := map[string]string{}
	// Lines end in CR LF, LF or CR.
	lines := strings.Split(strings.ReplaceAll(strings.ReplaceAll(string(b), "\r\n", "\n"), "\r", "\n"), "\n")
	for i := 0; i < len(lines); i++ {
		line := strings.TrimLeft(lines[i], " \t\f")
		if line == "" || line[0] == '#' || line[0] == '!' {
			continue
		}
		for continues(line) && i+1 < len(lines) {
			i++
			line = line[:len(line)-1] + strings.TrimLeft(lines[i], " \t\f")
		}
		if continues(line) {
			line = line[:len(line)-1]
		}
		// The key ends at the first unescaped '=', ':' or blank.
		end := len(line)
		for j := 0; j < len(line); j++ {
			if line[j] == '\\' {
				j++
				continue
			}
			if strings.IndexByte("=: \t\f", line[j]) >= 0 {
				end = j
				break
			}
		}
		key, rest := line[:end], line[end:]
		rest = strings.TrimLeft(rest, " \t\f")
		if rest != "" && (rest[0] == '=' || rest[0] == ':') {
			rest = strings.TrimLeft(rest[1:], " \t\f")
		}
		// A later key replaces an earlier one, as in Properties.load.
		out[unescape(key)] = clean(unescape(rest))
	}
	return out
}

// continues reports whether a properties line ends in an odd number of
// backslashes.
func continues(line string) bool {
	n := 0
	for i := len(line) - 1; i >= 0 && line[i] == '\\'; i-- {
		n++
	}
	return n%2 == 1
}

func unescape(s string) string {
	if !strings.Contains(s, `\`) {
		return s
	}
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c != '\\' || i+1 == len(s) {
			b.WriteByte(c)
			continue
		}
		i++
		switch s[i] {
		case 't':
			b.WriteByte('\t')
		case 'n':
			b.WriteByte('\n')
		case 'r':
			b.WriteByte('\r')
		case 'f':
			b.WriteByte('\f')
		case 'u':
			if i+5 <= len(s) {
				if n, err := strconv.ParseUint(s[i+1:i+5], 16, 16); err == nil {
					b.WriteRune(rune(n))
					i += 4
					continue
				}
			}
			b.WriteByte('u')
		default:
			b.WriteByte(s[i])
		}
	}
	return b.String()
}

// clean trims a value, drops control characters and invalid UTF-8 and
// bounds its length, so hostile metadata cannot bloat reports.
func clean(s string) string {
	s = strings.TrimSpace(s)
	if len(s) > maxValue {
		s = s[:maxValue]
	}
	s = strings.ToValidUTF8(s, "")
	return strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f || r == utf8.RuneError {
			return -1
		}
		return r
	}, s)
}

// pomFrom makes a Pom of a pom.properties at name; missing groupId or
// artifactId are taken from the path META-INF/maven/<groupId>/<artifactId>/.
func pomFrom(name string, props map[string]string) Pom {
	p := Pom{Path: name, GroupID: props["groupId"], ArtifactID: props["artifactId"], Version: props["version"]}
	parts := strings.Split(name, "/")
	if len(parts) == 5 {
		if p.GroupID == "" {
			p.GroupID = clean(parts[2])
		}
		if p.ArtifactID == "" {
			p.ArtifactID = clean(parts[3])
		}
	}
	return p
}

// qualifiers are the hyphen-separated words that may follow a version in a
// file name (guava-31.1-jre.jar, foo-1.0-SNAPSHOT.jar, bar-2.0-rc-1.jar).
var qualifiers = map[string]bool{
	"snapshot": true, "alpha": true, "beta": true, "rc": true, "cr": true, "m": true, "milestone": true,
	"final": true, "ga": true, "release": true, "sp": true, "jre": true, "jdk": true, "android": true,
	"incubating": true, "preview": true, "pre": true, "dev": true, "b": true, "a": true, "redhat": true,
	"jakarta": true, "native": true, "all": true, "shaded": true, "nodeps": true,
}

// splitFileName splits an archive file name into artifact name and
// version: "commons-logging-1.2.jar" -> ("commons-logging", "1.2"),
// "log4j-1.2-api-2.19.0.jar" -> ("log4j-1.2-api", "2.19.0"). The version
// starts at a "-<digit>" after which every further hyphen-separated word
// starts with a digit or is a known qualifier (optionally with digits,
// "beta3"); the earliest such split wins. Without one the whole base name is
// the name.
func splitFileName(file string) (name, version string) {
	base := path.Base(file)
	if i := strings.LastIndexByte(base, '.'); i > 0 {
		base = base[:i]
	}
	for i := 0; i+1 < len(base); i++ {
		if base[i] != '-' || !isDigit(base[i+1]) || i == 0 {
			continue
		}
		rest := base[i+1:]
		ok := true
		for _, w := range strings.Split(rest, "-")[1:] {
			if w == "" || isDigit(w[0]) {
				continue
			}
			if !qualifiers[strings.ToLower(strings.TrimRight(w, "0123456789."))] {
				ok = false
				break
			}
		}
		if ok {
			return base[:i], rest
		}
	}
	return base, ""
}

func isDigit(c byte) bool { return '0' <= c && c <= '9' }
