// Package version defines how versions are parsed and compared. Each
// ecosystem's rules live in a subpackage (version/dpkg, version/apk, ...).
package version

// Scheme parses version strings of one ecosystem.
type Scheme interface {
	// Name is the scheme's stable name: "dpkg", "apk".
	Name() string
	// Parse parses s. An error means the string is not a valid version in
	// this scheme; matching then reports an undetermined finding.
	Parse(s string) (Version, error)
}

// Version is a parsed version. Compare is only defined between versions of
// the same scheme.
type Version interface {
	// Compare returns -1, 0 or +1 as v is less than, equal to or greater than o.
	Compare(o Version) int
	String() string
}
