// Package target is what a scan is asked to read: a kind of source and a
// reference within it, parsed once from the user's TARGET (a scheme prefix
// such as "docker-archive:" or "sbom:" and the rest). It is data only: no
// I/O; image.Open finds out what a reference without a scheme names.
package target

import "strings"

// Kind is the kind of source a reference names. Each is also the scheme
// prefix that names it, without the colon.
type Kind string

// Kinds of source. Auto is a reference without a scheme: a file, a
// directory or an image name, told apart when the image is opened.
const (
	Auto          Kind = ""
	DockerArchive Kind = "docker-archive" // a 'docker save' tar
	OCIArchive    Kind = "oci-archive"    // a tar of an OCI image layout
	OCIDir        Kind = "oci-dir"        // an OCI image layout directory
	Registry      Kind = "registry"       // an image in a registry
	Docker        Kind = "docker"         // an image of the local Docker Engine
	Dir           Kind = "dir"            // an unpacked root filesystem
	Rootfs        Kind = "rootfs"         // the same as Dir
	SBOM          Kind = "sbom"           // an existing SBOM, matched without the image
)

// Kinds lists every scheme, in the order help text names them.
var Kinds = []Kind{DockerArchive, OCIArchive, OCIDir, Registry, Docker, Dir, Rootfs, SBOM}

// Image reports whether k names an image or a root filesystem: anything
// but an SBOM (Auto included, as it is opened as an image).
func (k Kind) Image() bool { return k != SBOM }

// Ref is a parsed target.
type Ref struct {
	Kind Kind
	// Name is the reference within the kind: a path for archives,
	// directories and SBOMs, an image reference for a registry or the
	// Docker Engine, and the whole TARGET for Auto.
	Name string
	// Platform selects one image of a multi-platform index, as
	// "os/arch[/variant]"; empty means the opener's default.
	Platform string
}

// Parse splits a TARGET into its kind and name. A prefix that names no
// kind ("alpine:3.20", "./a:b") leaves the whole of s as the name of an
// Auto reference; whether it is a mistyped scheme is decided where the
// file system can be asked (image.Open).
func Parse(s string) Ref {
	if scheme, rest, ok := strings.Cut(s, ":"); ok {
		for _, k := range Kinds {
			if scheme == string(k) {
				return Ref{Kind: k, Name: rest}
			}
		}
	}
	return Ref{Name: s}
}

// String is the TARGET that parses to r (without its platform).
func (r Ref) String() string {
	if r.Kind == Auto {
		return r.Name
	}
	return string(r.Kind) + ":" + r.Name
}
