package scan

import (
	"bytes"
	"crypto/sha256"
	"encoding/gob"
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

// typeName is short ("dpkg.Metadata"): it is written once per package.
func typeName(t reflect.Type) string { return t.String() }

// inspectedRecord is a report before matching, with its packages in a form
// that keeps what the report's JSON leaves out. The layer DiffIDs and
// history lines every package repeats are written once, in Layers: a
// package names them by index (a 1.2 GB image's 3,700 packages share 3).
//
// What matching does not need, the packages OS packages own and the
// relationships (two thirds of the bytes), is a record of its own,
// ownedRecord, decoded while the packages are matched.
type inspectedRecord struct {
	Report   *report.Report  `json:"report"`
	Layers   []string        `json:"layers"`
	Packages []cachedPackage `json:"packages"`
}

type ownedRecord struct {
	Layers        []string                 `json:"layers"`
	Owned         []cachedPackage          `json:"owned"`
	Relationships []inventory.Relationship `json:"relationships"`
}

func ownedKey(key string) string { return layerfs.Key("owned", key) }

type cachedPackage struct {
	Package inventory.Package `json:"p"`
	// Layer, CreatedBy and LocationLayers index Layers.
	Layer          int             `json:"l"`
	CreatedBy      int             `json:"c"`
	LocationLayers []int           `json:"ll"`
	AlsoMatch      []string        `json:"alsoMatch,omitempty"`
	MetaType       string          `json:"metaType,omitempty"`
	Meta           json.RawMessage `json:"meta,omitempty"`
}

// layerTable numbers the strings of an inspectedRecord's Layers.
type layerTable struct {
	list []string
	ids  map[string]int
}

func (t *layerTable) id(s string) int {
	if i, ok := t.ids[s]; ok {
		return i
	}
	t.ids[s] = len(t.list)
	t.list = append(t.list, s)
	return len(t.list) - 1
}

// inspectedKey names the analysis of the source with identity id, for ref
// and every option that changes the report before matching (a.sig holds
// the skip rules).
func (a *analyser) inspectedKey(id, ref string, opts Options) string {
	sec := ""
	if a.sec != nil {
		sec = a.sec.ID()
	}
	df := sha256.Sum256(opts.Dockerfile)
	return layerfs.Key("inspected", analyserVersion, a.build, a.sig, sec, id, ref,
		strconv.FormatBool(opts.KeepOwned), strconv.FormatBool(opts.Config), hex.EncodeToString(df[:]))
}

// putInspected caches r (before matching) under key; a report it cannot
// give back as it is (metadata of an unknown type) is not cached.
func (a *analyser) putInspected(key string, r *report.Report) {
	rec, own := inspectedRecord{}, ownedRecord{Relationships: r.Relationships}
	lt := &layerTable{ids: map[string]int{}}
	var ok bool
	if rec.Packages, ok = encodePackages(r.Packages, lt); !ok {
		return
	}
	if own.Owned, ok = encodePackages(r.Owned, lt); !ok {
		return
	}
	rec.Layers, own.Layers = lt.list, lt.list
	cp := *r
	cp.Packages, cp.Owned, cp.Relationships = nil, nil, nil
	rec.Report = &cp
	if a.putInspectedGob(key, rec, own) {
		return
	}
	// The owned record first: the main one is only used with it.
	if err := a.cache.PutRecord(ownedKey(key), own); err != nil {
		a.log.Debug("cache write", "err", err)
		return
	}
	if err := a.cache.PutRecord(key, rec); err != nil {
		a.log.Debug("cache write", "err", err)
	}
}

// inspectedGob is an inspectedRecord in the form a second scan decodes
// fastest: the packages in gob (several times faster to decode than JSON,
// which was most of a second scan's time), the report without them in
// JSON, which keeps nil and empty apart (gob does not). The owned record
// is gob too. Both are written only when they decode back to the very
// records they came from; otherwise the JSON records are written.
type inspectedGob struct {
	Report   []byte // JSON
	Layers   []string
	Packages []cachedPackage
}

// putInspectedGob writes rec and own as blobs, the owned one first, and
// reports whether it did.
func (a *analyser) putInspectedGob(key string, rec inspectedRecord, own ownedRecord) bool {
	report, err := json.Marshal(rec.Report)
	if err != nil {
		return false
	}
	ib, ok := gobRoundTrip(inspectedGob{Report: report, Layers: rec.Layers, Packages: rec.Packages})
	if !ok {
		a.log.Debug("inspected record not in gob: it does not round-trip")
		return false
	}
	ob, ok := gobRoundTrip(own)
	if !ok {
		a.log.Debug("owned record not in gob: it does not round-trip")
		return false
	}
	if err := a.cache.PutBlob(ownedKey(key), ob); err != nil {
		a.log.Debug("cache write", "err", err)
		return true // a cache that cannot be written: the JSON would fail too
	}
	if err := a.cache.PutBlob(key, ib); err != nil {
		a.log.Debug("cache write", "err", err)
	}
	return true
}

// gobRoundTrip returns v in gob, and whether it decodes back deeply equal
// to v: whether v holds nothing gob cannot give back as it was (gobSafe),
// which is checked instead of decoding it again (a second copy of every
// package, most of what the end of a scan allocates).
func gobRoundTrip[T any](v T) ([]byte, bool) {
	if !gobSafe(reflect.ValueOf(v)) {
		return nil, false
	}
	var buf bytes.Buffer
	if err := gob.NewEncoder(&buf).Encode(v); err != nil {
		return nil, false
	}
	return buf.Bytes(), true
}

// gobSafe reports whether gob decodes what v holds back deeply equal: no
// empty slice or map that is not nil, no pointer to a zero value, no
// interface, func or channel that is not nil, no unexported field that is
// not zero (gob gives the first two back as nil and leaves the rest out).
func gobSafe(v reflect.Value) bool {
	switch v.Kind() {
	case reflect.Slice:
		if v.IsNil() {
			return true
		}
		if v.Len() == 0 {
			return false
		}
		if v.Type().Elem().Kind() == reflect.Uint8 {
			return true // []byte
		}
		for i := range v.Len() {
			if !gobSafe(v.Index(i)) {
				return false
			}
		}
	case reflect.Array:
		for i := range v.Len() {
			if !gobSafe(v.Index(i)) {
				return false
			}
		}
	case reflect.Map:
		if v.IsNil() {
			return true
		}
		if v.Len() == 0 {
			return false
		}
		for it := v.MapRange(); it.Next(); {
			if !gobSafe(it.Key()) || !gobSafe(it.Value()) {
				return false
			}
		}
	case reflect.Pointer:
		if v.IsNil() {
			return true
		}
		return !v.Elem().IsZero() && gobSafe(v.Elem())
	case reflect.Struct:
		t := v.Type()
		for i := range v.NumField() {
			f := v.Field(i)
			if !t.Field(i).IsExported() {
				if !f.IsZero() {
					return false
				}
				continue
			}
			if !gobSafe(f) {
				return false
			}
		}
	case reflect.Interface, reflect.Func, reflect.Chan, reflect.UnsafePointer:
		return v.IsNil()
	}
	return true
}

// inspected returns the report cached under key, without its time and
// tool version, and its owned packages and relationships are being
// decoded: wait sets them, or reports false when the cache had none.
func (a *analyser) inspected(key string) (r *report.Report, wait func() bool, ok bool) {
	var (
		rec    inspectedRecord
		decode func(*ownedRecord) bool // decodes the owned record
	)
	if ob, found := a.cache.GetBlob(ownedKey(key)); found {
		ib, found := a.cache.GetBlob(key)
		if !found {
			return nil, nil, false
		}
		var g inspectedGob
		if gob.NewDecoder(bytes.NewReader(ib)).Decode(&g) != nil || json.Unmarshal(g.Report, &rec.Report) != nil {
			return nil, nil, false
		}
		rec.Layers, rec.Packages = g.Layers, g.Packages
		decode = func(own *ownedRecord) bool { return gob.NewDecoder(bytes.NewReader(ob)).Decode(own) == nil }
	} else {
		if !a.cache.HasRecord(ownedKey(key)) || !a.cache.GetRecord(key, &rec) {
			return nil, nil, false
		}
		decode = func(own *ownedRecord) bool { return a.cache.GetRecord(ownedKey(key), own) }
	}
	if rec.Report == nil {
		return nil, nil, false
	}
	r = rec.Report
	if r.Packages, ok = decodePackages(rec.Packages, rec.Layers); !ok {
		return nil, nil, false
	}
	if r.Packages == nil {
		r.Packages = []inventory.Package{}
	}
	done := make(chan bool, 1)
	var (
		owned []inventory.Package
		rels  []inventory.Relationship
	)
	go func() {
		var own ownedRecord
		if !decode(&own) {
			done <- false
			return
		}
		var ok bool
		owned, ok = decodePackages(own.Owned, own.Layers)
		rels = own.Relationships
		done <- ok
	}()
	wait = func() bool {
		if !<-done {
			return false
		}
		r.Owned, r.Relationships = owned, rels
		return true
	}
	return r, wait, true
}

func encodePackages(pkgs []inventory.Package, lt *layerTable) ([]cachedPackage, bool) {
	if pkgs == nil {
		return nil, true
	}
	out := make([]cachedPackage, len(pkgs))
	for i, p := range pkgs {
		c := cachedPackage{AlsoMatch: p.AlsoMatch, Layer: lt.id(p.Layer), CreatedBy: lt.id(p.CreatedBy)}
		p.Layer, p.CreatedBy = "", ""
		if p.Locations != nil {
			locs := make([]inventory.Location, len(p.Locations))
			c.LocationLayers = make([]int, len(p.Locations))
			for j, l := range p.Locations {
				c.LocationLayers[j] = lt.id(l.Layer)
				locs[j] = inventory.Location{Path: l.Path}
			}
			p.Locations = locs
		}
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

func decodePackages(cs []cachedPackage, layers []string) ([]inventory.Package, bool) {
	if cs == nil {
		return nil, true
	}
	at := func(i int) (string, bool) {
		if i < 0 || i >= len(layers) {
			return "", false
		}
		return layers[i], true
	}
	out := make([]inventory.Package, len(cs))
	for i, c := range cs {
		p := c.Package
		p.AlsoMatch = c.AlsoMatch
		var ok1, ok2 bool
		p.Layer, ok1 = at(c.Layer)
		p.CreatedBy, ok2 = at(c.CreatedBy)
		if !ok1 || !ok2 || len(c.LocationLayers) != len(p.Locations) {
			return nil, false
		}
		for j, l := range c.LocationLayers {
			var ok bool
			if p.Locations[j].Layer, ok = at(l); !ok {
				return nil, false
			}
		}
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
