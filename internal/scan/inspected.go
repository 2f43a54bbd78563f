package scan

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"reflect"
	"strconv"

	"github.com/customs-scanner/customs/internal/extract/apk"
	"github.com/customs-scanner/customs/internal/extract/binary"
	"github.com/customs-scanner/customs/internal/extract/cargo"
	"github.com/customs-scanner/customs/internal/extract/dart"
	"github.com/customs-scanner/customs/internal/extract/dotnet"
	"github.com/customs-scanner/customs/internal/extract/dpkg"
	"github.com/customs-scanner/customs/internal/extract/gobinary"
	"github.com/customs-scanner/customs/internal/extract/java"
	npmext "github.com/customs-scanner/customs/internal/extract/npm"
	"github.com/customs-scanner/customs/internal/extract/php"
	"github.com/customs-scanner/customs/internal/extract/python"
	"github.com/customs-scanner/customs/internal/extract/rpm"
	"github.com/customs-scanner/customs/internal/extract/ruby"
	"github.com/customs-scanner/customs/internal/inventory"
	"github.com/customs-scanner/customs/internal/layerfs"
	"github.com/customs-scanner/customs/internal/report"
)

// A second scan of an unchanged source (same file identity, same build,
// same options) takes the whole analysis from one record: the report as it
// stood before matching. Matching runs again, against whatever DB is given.

// metadataTypes are the types extractors put in inventory.Package.Metadata,
// by name, so a cached package gets its metadata back as the same type. A
// report with metadata of another type is not cached.
var metadataTypes = func() map[string]reflect.Type {
	m := map[string]reflect.Type{}
	for _, v := range []any{
		apk.Metadata{}, binary.Metadata{}, cargo.Metadata{}, dart.Metadata{}, dotnet.Metadata{},
		dpkg.Metadata{}, gobinary.Metadata{}, java.Metadata{}, npmext.Metadata{}, php.Metadata{},
		python.Metadata{}, rpm.Metadata{}, ruby.Metadata{},
	} {
		t := reflect.TypeOf(v)
		m[typeName(t)] = t
	}
	return m
}()

func typeName(t reflect.Type) string { return t.PkgPath() + "." + t.Name() }

// inspectedRecord is a report before matching, with its packages in a form
// that keeps what the report's JSON leaves out.
type inspectedRecord struct {
	Report   *report.Report  `json:"report"`
	Packages []cachedPackage `json:"packages"`
	Owned    []cachedPackage `json:"owned"`
}

type cachedPackage struct {
	Package   inventory.Package `json:"p"`
	AlsoMatch []string          `json:"alsoMatch,omitempty"`
	MetaType  string            `json:"metaType,omitempty"`
	Meta      json.RawMessage   `json:"meta,omitempty"`
}

// inspectedKey names the analysis of the source with identity id, for ref
// and every option that changes the report before matching.
func (a *analyser) inspectedKey(id, ref string, opts Options) string {
	sec := ""
	if a.sec != nil {
		sec = a.sec.ID()
	}
	df := sha256.Sum256(opts.Dockerfile)
	return layerfs.Key("inspected", analyserVersion, a.build, a.sig, sec, a.skipSig, id, ref,
		strconv.FormatBool(opts.KeepOwned), strconv.FormatBool(opts.Config), hex.EncodeToString(df[:]))
}

// putInspected caches r (before matching) under key; a report it cannot
// give back as it is (metadata of an unknown type) is not cached.
func (a *analyser) putInspected(key string, r *report.Report) {
	rec := inspectedRecord{}
	var ok bool
	if rec.Packages, ok = encodePackages(r.Packages); !ok {
		return
	}
	if rec.Owned, ok = encodePackages(r.Owned); !ok {
		return
	}
	cp := *r
	cp.Packages, cp.Owned = nil, nil
	rec.Report = &cp
	if err := a.cache.PutRecord(key, rec); err != nil {
		a.log.Debug("cache write", "err", err)
	}
}

// inspected returns the report cached under key, without its time and
// tool version.
func (a *analyser) inspected(key string) (*report.Report, bool) {
	var rec inspectedRecord
	if !a.cache.GetRecord(key, &rec) || rec.Report == nil {
		return nil, false
	}
	r := rec.Report
	var ok bool
	if r.Packages, ok = decodePackages(rec.Packages); !ok {
		return nil, false
	}
	if r.Packages == nil {
		r.Packages = []inventory.Package{}
	}
	if r.Owned, ok = decodePackages(rec.Owned); !ok {
		return nil, false
	}
	return r, true
}

func encodePackages(pkgs []inventory.Package) ([]cachedPackage, bool) {
	if pkgs == nil {
		return nil, true
	}
	out := make([]cachedPackage, len(pkgs))
	for i, p := range pkgs {
		c := cachedPackage{AlsoMatch: p.AlsoMatch}
		if p.Metadata != nil {
			t := reflect.TypeOf(p.Metadata)
			name := typeName(t)
			if metadataTypes[name] != t {
				return nil, false
			}
			m, err := json.Marshal(p.Metadata)
			if err != nil {
				return nil, false
			}
			c.MetaType, c.Meta = name, m
		}
		p.Metadata, p.AlsoMatch, p.Files = nil, nil, nil
		c.Package = p
		out[i] = c
	}
	return out, true
}

func decodePackages(cs []cachedPackage) ([]inventory.Package, bool) {
	if cs == nil {
		return nil, true
	}
	out := make([]inventory.Package, len(cs))
	for i, c := range cs {
		p := c.Package
		p.AlsoMatch = c.AlsoMatch
		if c.MetaType != "" {
			t, ok := metadataTypes[c.MetaType]
			if !ok {
				return nil, false
			}
			v := reflect.New(t)
			if err := json.Unmarshal(c.Meta, v.Interface()); err != nil {
				return nil, false
			}
			p.Metadata = v.Elem().Interface()
		}
		out[i] = p
	}
	return out, true
}
