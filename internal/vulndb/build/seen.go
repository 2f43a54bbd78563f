package build

import (
	"hash/maphash"

	"github.com/customs-scanner/customs/internal/vulndb"
)

// seen is what a build has added: an advisory's records by (source kind,
// ID, ecosystem, package), an advisory without records by (kind, ID), KEV
// entries by CVE. Keys are 64-bit hashes, so a build of millions of
// records holds tens of MB.
type seen struct {
	seed maphash.Seed
	keys map[uint64]struct{}
	kevs map[string]struct{}
}

func newSeen() *seen {
	return &seen{seed: maphash.MakeSeed(), keys: map[uint64]struct{}{}, kevs: map[string]struct{}{}}
}

func (s *seen) key(parts ...string) uint64 {
	var h maphash.Hash
	h.SetSeed(s.seed)
	for _, p := range parts {
		h.WriteString(p)
		h.WriteByte(0)
	}
	return h.Sum64()
}

// advisory notes a and returns what of it to add: with keep, a copy
// without the records already added, or nil when nothing is left.
func (s *seen) advisory(a *vulndb.Advisory, keep bool) *vulndb.Advisory {
	if len(a.Affected) == 0 {
		k := s.key(a.Source, a.ID)
		if _, ok := s.keys[k]; ok && keep {
			return nil
		}
		s.keys[k] = struct{}{}
		return a
	}
	var out []vulndb.Affected
	added := make(map[uint64]struct{}, len(a.Affected))
	for _, af := range a.Affected {
		k := s.key(a.Source, a.ID, af.Ecosystem, af.Package)
		if _, ok := s.keys[k]; ok && keep {
			continue
		}
		added[k] = struct{}{}
		out = append(out, af)
	}
	for k := range added {
		s.keys[k] = struct{}{}
	}
	s.keys[s.key(a.Source, a.ID)] = struct{}{}
	if len(out) == 0 {
		return nil
	}
	if len(out) == len(a.Affected) {
		return a
	}
	c := *a
	c.Affected = out
	return &c
}

// kev notes a KEV entry and reports whether to add it: with keep, only
// when no source added it before.
func (s *seen) kev(cve string, keep bool) bool {
	if _, ok := s.kevs[cve]; ok && keep {
		return false
	}
	s.kevs[cve] = struct{}{}
	return true
}
