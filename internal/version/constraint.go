package version

import (
	"fmt"
	"strings"
)

// Upstreamer is implemented by schemes whose versions carry a
// distribution's revision of an upstream version (dpkg's
// [epoch:]upstream-revision, apk's version-rN, rpm's version-release).
type Upstreamer interface {
	// Upstream returns the upstream version of s: "3.0.15" for dpkg's
	// "3.0.15-1~deb12u1" and apk's "3.0.15-r0".
	Upstream(s string) string
}

// Upstream returns the upstream version of s in scheme, or s when the
// scheme has no revisions.
func Upstream(scheme Scheme, s string) string {
	if u, ok := scheme.(Upstreamer); ok {
		return u.Upstream(s)
	}
	return s
}

// Constraint is a version range: every bound must hold. It is written as
// comma-separated comparisons, "<3.0.15" or ">=1.2,<2", and compares in
// whatever scheme it is checked with, so one range reads dpkg versions as
// dpkg does and apk versions as apk does.
type Constraint []Bound

// Bound is one comparison of a Constraint.
type Bound struct {
	// Op is one of <, <=, >, >=, =, !=.
	Op      string
	Version string
}

// ParseConstraint reads a range: comparisons separated by commas, each an
// operator (<, <=, >, >=, = or ==, !=; none means =) and a version.
func ParseConstraint(s string) (Constraint, error) {
	var c Constraint
	for _, part := range strings.Split(s, ",") {
		part = strings.TrimSpace(part)
		if part == "" {
			return nil, fmt.Errorf("version range %q: an empty comparison; write <3.0.15 or >=1.2,<2", s)
		}
		op := "="
		for _, o := range []string{"<=", ">=", "==", "!=", "<", ">", "="} {
			if rest, ok := strings.CutPrefix(part, o); ok {
				op, part = o, strings.TrimSpace(rest)
				break
			}
		}
		if op == "==" {
			op = "="
		}
		if part == "" || strings.ContainsAny(part, "<>=! \t") {
			return nil, fmt.Errorf("version range %q: %q is not an operator and a version; write <3.0.15 or >=1.2,<2", s, part)
		}
		c = append(c, Bound{Op: op, Version: part})
	}
	return c, nil
}

// Contains reports whether v, a version of scheme, is in the range. A
// version or bound that scheme cannot parse is an error.
func (c Constraint) Contains(scheme Scheme, v string) (bool, error) {
	pv, err := scheme.Parse(v)
	if err != nil {
		return false, err
	}
	for _, b := range c {
		bv, err := scheme.Parse(b.Version)
		if err != nil {
			return false, fmt.Errorf("version range: %s is not a %s version: %w", b.Version, scheme.Name(), err)
		}
		n := pv.Compare(bv)
		var ok bool
		switch b.Op {
		case "<":
			ok = n < 0
		case "<=":
			ok = n <= 0
		case ">":
			ok = n > 0
		case ">=":
			ok = n >= 0
		case "=":
			ok = n == 0
		case "!=":
			ok = n != 0
		}
		if !ok {
			return false, nil
		}
	}
	return true, nil
}

// String writes the range as ParseConstraint reads it.
func (c Constraint) String() string {
	parts := make([]string, len(c))
	for i, b := range c {
		parts[i] = b.Op + b.Version
	}
	return strings.Join(parts, ",")
}
