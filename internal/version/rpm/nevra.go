package rpm

import (
	"fmt"
	"strings"
)

// NEVRA is a package name, EVR and architecture, as rpm -q and advisories
// write installed packages ("bash-0:5.1.8-9.el9.x86_64").
type NEVRA struct {
	// Name is "" when the string had none (an EVRA).
	Name string
	EVR  Version
	// Arch is "" when the string had no known architecture suffix.
	Arch string
}

// arches are the architecture suffixes ParseNEVRA recognises: there is no
// telling ".el9" from an architecture otherwise.
var arches = map[string]bool{
	"aarch64": true, "i386": true, "i586": true, "i686": true, "noarch": true,
	"ppc64": true, "ppc64le": true, "riscv": true, "riscv64": true, "s390": true,
	"s390x": true, "src": true, "nosrc": true, "x86_64": true,
}

// ParseNEVRA parses "[NAME-][EPOCH:]VERSION-RELEASE[.ARCH]". A string with
// two or more '-' has a name (everything before the second to last '-'); the
// release is required; a trailing ".ARCH" is split off only for known
// architectures.
func ParseNEVRA(s string) (NEVRA, error) {
	var n NEVRA
	rest := s
	switch strings.Count(s, "-") {
	case 0:
		return NEVRA{}, fmt.Errorf("rpm nevra %q: no version-release separator", s)
	case 1:
	default:
		i := strings.LastIndexByte(s, '-')
		i = strings.LastIndexByte(s[:i], '-')
		n.Name, rest = s[:i], s[i+1:]
		if n.Name == "" {
			return NEVRA{}, fmt.Errorf("rpm nevra %q: empty name", s)
		}
	}
	if i := strings.LastIndexByte(rest, '.'); i > strings.LastIndexByte(rest, '-') && arches[rest[i+1:]] {
		n.Arch, rest = rest[i+1:], rest[:i]
	}
	v, err := Parse(rest)
	if err != nil {
		return NEVRA{}, fmt.Errorf("rpm nevra %q: %w", s, err)
	}
	n.EVR = v
	return n, nil
}

// String formats the NEVRA as parsed.
func (n NEVRA) String() string {
	s := n.EVR.String()
	if n.Name != "" {
		s = n.Name + "-" + s
	}
	if n.Arch != "" {
		s += "." + n.Arch
	}
	return s
}

// Compare orders by name (absent first, then as strings), EVR and
// architecture (absent first, then as strings).
func (n NEVRA) Compare(o NEVRA) int {
	if c := compareOptional(n.Name, o.Name); c != 0 {
		return c
	}
	if c := n.EVR.Compare(o.EVR); c != 0 {
		return c
	}
	return compareOptional(n.Arch, o.Arch)
}

func compareOptional(a, b string) int {
	switch {
	case a == b:
		return 0
	case a == "":
		return -1
	case b == "":
		return 1
	}
	return strings.Compare(a, b)
}
