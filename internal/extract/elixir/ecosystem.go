package elixir

import (
	"github.com/customs-scanner/customs/internal/ecosystem"
	"github.com/customs-scanner/customs/internal/version/hex"
)

// Descriptor declares Hex packages (PURL type hex, OSV ecosystem "Hex":
// Elixir and Erlang), ordered by SemVer 2.0 as Elixir's Version does.
func (Extractor) Descriptor() ecosystem.Descriptor {
	return ecosystem.Descriptor{
		Type:       "hex",
		Ecosystems: []string{Ecosystem},
		Scheme:     hex.Scheme{},
		Feeds:      []string{Ecosystem},
	}
}
