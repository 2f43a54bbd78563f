// Package pep440 implements Python package versions as PEP 440 defines them
// (https://peps.python.org/pep-0440/) and as pypa/packaging's Version class
// parses, normalizes and orders them: [N!]N(.N)*[{a|b|rc}N][.postN][.devN][+local],
// with the spellings the PEP's "Normalization" section accepts (alpha,
// beta, c, pre, preview, rev, r, "-N" post-releases, "-", "_" and "."
// separators, a leading "v", any letter case, surrounding white space).
package pep440

import (
	"fmt"
	"regexp"
	"strings"

	"github.com/customs-scanner/customs/internal/version"
)

// maxLen bounds the input; real versions are far shorter.
const maxLen = 256

// Scheme is the PEP 440 version scheme. It implements version.Scheme.
type Scheme struct{}

var _ version.Scheme = Scheme{}

// Name returns "pep440".
func (Scheme) Name() string { return "pep440" }

// Parse parses s as a PEP 440 version.
func (Scheme) Parse(s string) (version.Version, error) {
	v, err := Parse(s)
	if err != nil {
		return nil, err
	}
	return v, nil
}

// re is packaging's VERSION_PATTERN (packaging/version.py), anchored and
// case-insensitive.
var re = regexp.MustCompile(`(?i)^\s*v?` +
	`(?:(?P<epoch>[0-9]+)!)?` +
	`(?P<release>[0-9]+(?:\.[0-9]+)*)` +
	`(?P<pre>[-_.]?(?P<pre_l>alpha|a|beta|b|preview|pre|c|rc)[-_.]?(?P<pre_n>[0-9]+)?)?` +
	`(?P<post>(?:-(?P<post_n1>[0-9]+))|(?:[-_.]?(?P<post_l>post|rev|r)[-_.]?(?P<post_n2>[0-9]+)?))?` +
	`(?P<dev>[-_.]?(?P<dev_l>dev)[-_.]?(?P<dev_n>[0-9]+)?)?` +
	`(?:\+(?P<local>[a-z0-9]+(?:[-_.][a-z0-9]+)*))?` +
	`\s*$`)

var (
	iEpoch   = re.SubexpIndex("epoch")
	iRelease = re.SubexpIndex("release")
	iPre     = re.SubexpIndex("pre")
	iPreL    = re.SubexpIndex("pre_l")
	iPreN    = re.SubexpIndex("pre_n")
	iPost    = re.SubexpIndex("post")
	iPostN1  = re.SubexpIndex("post_n1")
	iPostN2  = re.SubexpIndex("post_n2")
	iDev     = re.SubexpIndex("dev")
	iDevN    = re.SubexpIndex("dev_n")
	iLocal   = re.SubexpIndex("local")
)

// Version is a parsed PEP 440 version. Numbers are kept as decimal strings
// without leading zeros, so any length compares correctly.
type Version struct {
	Epoch   string
	Release []string
	// PreLabel is "a", "b" or "rc" ("" without a pre-release); PreNum its number.
	PreLabel, PreNum string
	// HasPost and HasDev say whether the parts are present; an implicit
	// number is "0".
	HasPost bool
	PostNum string
	HasDev  bool
	DevNum  string
	// Local holds the local version label's parts, lowercased.
	Local []string
	raw   string
}

// Parse parses s as packaging.version.Version does.
func Parse(s string) (Version, error) {
	if len(s) > maxLen {
		return Version{}, fmt.Errorf("parse pep440 version %q...: longer than %d bytes", s[:32], maxLen)
	}
	m := re.FindStringSubmatch(s)
	if m == nil {
		return Version{}, fmt.Errorf("parse pep440 version %q: invalid version", s)
	}
	v := Version{Epoch: num(m[iEpoch]), raw: strings.TrimSpace(s)}
	for _, p := range strings.Split(m[iRelease], ".") {
		v.Release = append(v.Release, num(p))
	}
	if m[iPre] != "" {
		switch strings.ToLower(m[iPreL]) {
		case "a", "alpha":
			v.PreLabel = "a"
		case "b", "beta":
			v.PreLabel = "b"
		default:
			v.PreLabel = "rc"
		}
		v.PreNum = num(m[iPreN])
	}
	if m[iPost] != "" {
		v.HasPost = true
		v.PostNum = num(m[iPostN1] + m[iPostN2])
	}
	if m[iDev] != "" {
		v.HasDev = true
		v.DevNum = num(m[iDevN])
	}
	if m[iLocal] != "" {
		for _, p := range strings.FieldsFunc(strings.ToLower(m[iLocal]), func(r rune) bool {
			return r == '.' || r == '-' || r == '_'
		}) {
			if isNum(p) {
				p = num(p)
			}
			v.Local = append(v.Local, p)
		}
	}
	return v, nil
}

// num strips leading zeros; "" (an implicit number) is "0".
func num(s string) string {
	s = strings.TrimLeft(s, "0")
	if s == "" {
		return "0"
	}
	return s
}

func isNum(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return false
		}
	}
	return s != ""
}

// cmpNum compares two decimal strings without leading zeros.
func cmpNum(a, b string) int {
	if len(a) != len(b) {
		return sign(len(a) - len(b))
	}
	return strings.Compare(a, b)
}

func sign(n int) int {
	switch {
	case n < 0:
		return -1
	case n > 0:
		return 1
	}
	return 0
}

// String returns the input as given, without surrounding white space.
func (v Version) String() string { return v.raw }

// Normalized returns the canonical form, as str(packaging.version.Version(s)).
func (v Version) Normalized() string {
	var b strings.Builder
	if v.Epoch != "0" {
		b.WriteString(v.Epoch + "!")
	}
	b.WriteString(v.Public()[len(v.epochPrefix()):])
	if len(v.Local) > 0 {
		b.WriteString("+" + strings.Join(v.Local, "."))
	}
	return b.String()
}

func (v Version) epochPrefix() string {
	if v.Epoch != "0" {
		return v.Epoch + "!"
	}
	return ""
}

// Public returns the normalized version without its local label.
func (v Version) Public() string {
	var b strings.Builder
	b.WriteString(v.epochPrefix())
	b.WriteString(strings.Join(v.Release, "."))
	if v.PreLabel != "" {
		b.WriteString(v.PreLabel + v.PreNum)
	}
	if v.HasPost {
		b.WriteString(".post" + v.PostNum)
	}
	if v.HasDev {
		b.WriteString(".dev" + v.DevNum)
	}
	return b.String()
}

// IsPrerelease reports whether v is a pre-release or a development release.
func (v Version) IsPrerelease() bool { return v.PreLabel != "" || v.HasDev }

// Compare compares v with o, which must be a pep440 Version.
func (v Version) Compare(o version.Version) int { return v.CompareVersion(o.(Version)) }

// CompareVersion orders versions as packaging's _cmpkey: epoch, release
// (trailing zeros ignored), pre-release (a dev release without pre or post
// sorts before all pre-releases, a final release after them), post-release
// (none first), dev release (none last), local label (none first; numeric
// parts above alphanumeric ones, alphanumeric ones lexically).
func (v Version) CompareVersion(o Version) int {
	if c := cmpNum(v.Epoch, o.Epoch); c != 0 {
		return c
	}
	if c := cmpRelease(v.Release, o.Release); c != 0 {
		return c
	}
	if c := cmpRank(v.preRank(), o.preRank()); c != 0 {
		return c
	}
	if v.PreLabel != "" && o.PreLabel != "" {
		if c := cmpNum(v.PreNum, o.PreNum); c != 0 {
			return c
		}
	}
	if c := cmpOpt(v.HasPost, v.PostNum, o.HasPost, o.PostNum, -1); c != 0 {
		return c
	}
	if c := cmpOpt(v.HasDev, v.DevNum, o.HasDev, o.DevNum, 1); c != 0 {
		return c
	}
	return cmpLocal(v.Local, o.Local)
}

// preRank places the pre-release part: 0 for a bare dev release, 1..3 for
// a, b, rc, 4 for none.
func (v Version) preRank() int {
	switch v.PreLabel {
	case "a":
		return 1
	case "b":
		return 2
	case "rc":
		return 3
	}
	if !v.HasPost && v.HasDev {
		return 0
	}
	return 4
}

func cmpRank(a, b int) int { return sign(a - b) }

// cmpOpt compares optional numbers; missing sorts at side (-1 first, +1 last).
func cmpOpt(ha bool, a string, hb bool, b string, side int) int {
	switch {
	case !ha && !hb:
		return 0
	case !ha:
		return side
	case !hb:
		return -side
	}
	return cmpNum(a, b)
}

func cmpRelease(a, b []string) int {
	for i := 0; i < len(a) || i < len(b); i++ {
		x, y := "0", "0"
		if i < len(a) {
			x = a[i]
		}
		if i < len(b) {
			y = b[i]
		}
		if c := cmpNum(x, y); c != 0 {
			return c
		}
	}
	return 0
}

func cmpLocal(a, b []string) int {
	for i := 0; i < len(a) && i < len(b); i++ {
		na, nb := isNum(a[i]), isNum(b[i])
		var c int
		switch {
		case na && nb:
			c = cmpNum(a[i], b[i])
		case na:
			c = 1
		case nb:
			c = -1
		default:
			c = strings.Compare(a[i], b[i])
		}
		if c != 0 {
			return c
		}
	}
	return sign(len(a) - len(b))
}

// Compare parses and compares two version strings.
func Compare(a, b string) (int, error) {
	va, err := Parse(a)
	if err != nil {
		return 0, err
	}
	vb, err := Parse(b)
	if err != nil {
		return 0, err
	}
	return va.CompareVersion(vb), nil
}
