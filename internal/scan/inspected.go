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

// typeName names a metadata type in records ("dpkg.Metadata").
func typeName(t reflect.Type) string { return t.String() }

// inspectedRecord is a report before matching, in the form a second scan
// decodes fastest: the report without its packages in JSON (its many
// fields a second scan only passes on), the packages in a record
// (encodeRecord), which keeps what the report's JSON leaves out.
//
// What matching does not need, the packages OS packages own and the
// relationships (two thirds of the bytes), is a record of its own,
// ownedRecord, decoded while the packages are matched.
type inspectedRecord struct {
	Report   []byte // JSON
	Packages []inventory.Package
}

type ownedRecord struct {
	Owned         []inventory.Package
	Relationships []inventory.Relationship
}

func ownedKey(key string) string { return layerfs.Key("owned", key) }

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
// give back as it is (metadata of a type metadataTypes does not list) is
// not cached.
func (a *analyser) putInspected(key string, r *report.Report) {
	cp := *r
	cp.Packages, cp.Owned, cp.Relationships = nil, nil, nil
	js, err := json.Marshal(&cp)
	if err != nil {
		return
	}
	ib, err := encodeRecord(inspectedRecord{Report: js, Packages: r.Packages})
	if err != nil {
		a.log.Debug("inspected record not cached", "err", err)
		return
	}
	ob, err := encodeRecord(ownedRecord{Owned: r.Owned, Relationships: r.Relationships})
	if err != nil {
		a.log.Debug("owned record not cached", "err", err)
		return
	}
	// The owned record first: the main one is only used with it.
	if err := a.cache.PutBlob(ownedKey(key), ob); err != nil {
		a.log.Debug("cache write", "err", err)
		return
	}
	if err := a.cache.PutBlob(key, ib); err != nil {
		a.log.Debug("cache write", "err", err)
	}
}

// inspected returns the report cached under key, without its time and
// tool version, and its owned packages and relationships are being
// decoded: wait sets them, or reports false when the cache had none.
func (a *analyser) inspected(key string) (r *report.Report, wait func() bool, ok bool) {
	ob, found := a.cache.GetBlob(ownedKey(key))
	if !found {
		return nil, nil, false
	}
	ib, found := a.cache.GetBlob(key)
	if !found {
		return nil, nil, false
	}
	var rec inspectedRecord
	if decodeRecord(ib, &rec) != nil || json.Unmarshal(rec.Report, &r) != nil || r == nil {
		return nil, nil, false
	}
	r.Packages = rec.Packages
	if r.Packages == nil {
		r.Packages = []inventory.Package{}
	}
	done := make(chan bool, 1)
	var own ownedRecord
	go func() { done <- decodeRecord(ob, &own) == nil }()
	wait = func() bool {
		if !<-done {
			return false
		}
		r.Owned, r.Relationships = own.Owned, own.Relationships
		return true
	}
	return r, wait, true
}
