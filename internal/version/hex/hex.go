// Package hex implements the version ordering of Hex packages (OSV
// ecosystem "Hex", Elixir and Erlang): Elixir's Version module follows
// Semantic Versioning 2.0.0 precedence (https://semver.org/#spec-item-11),
// build metadata ignored, which is the ordering Cargo uses; this scheme
// parses and compares as version/cargo does, under its own name.
package hex

import (
	"fmt"

	"github.com/customs-scanner/customs/internal/version"
	"github.com/customs-scanner/customs/internal/version/cargo"
)

// Scheme is the Hex version scheme. It implements version.Scheme.
type Scheme struct{}

var _ version.Scheme = Scheme{}

// Name returns "hex".
func (Scheme) Name() string { return "hex" }

// Parse parses a Hex version (mix.lock writes strict SemVer: "1.14.0",
// "2.0.0-rc.1"); advisories' versions are parsed as leniently as cargo.Parse
// does.
func (Scheme) Parse(s string) (version.Version, error) {
	v, err := cargo.Parse(s)
	if err != nil {
		return nil, fmt.Errorf("hex: %w", err)
	}
	return v, nil
}
