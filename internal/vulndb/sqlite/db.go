// Package sqlite stores the vulnerability DB in one SQLite file, through the
// pure-Go driver modernc.org/sqlite. A file is written once by a Writer
// (into a temporary file, renamed into place on Commit) and then only read,
// so any number of processes can read it while a new one is being built.
package sqlite

import (
	"bytes"
	"context"
	"database/sql"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"maps"
	"net/url"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/customs-scanner/customs/internal/vulndb"

	_ "modernc.org/sqlite" // registers the "sqlite" driver
)

// ErrNotDB is wrapped by Open's error when the file is not a customs
// vulnerability DB (not SQLite, truncated, or another application's file).
var ErrNotDB = errors.New("not a customs vulnerability DB")

// ErrSchemaVersion is wrapped by Open's error when the DB was written with
// another schema version than vulndb.SchemaVersion.
var ErrSchemaVersion = errors.New("unsupported vulnerability DB schema version")

// DB is a read-only handle on a vulnerability DB file. It implements
// vulndb.Reader and is safe for concurrent use.
type DB struct {
	path             string
	db               *sql.DB
	block, chunk, ep *sql.Stmt
	dec              *zstd.Decoder

	// blockKeys and chunkKeys are the sparse indexes: the first key of
	// each block and chunk, in order (element i is run i's).
	blockKeys, chunkKeys []runKey
	// pkgBloom and idBloom answer most misses without a decompression.
	pkgBloom, idBloom *bloom

	// kevs is the KEV catalog, decoded on first use.
	kevOnce sync.Once
	kevs    map[string]vulndb.KEV
	kevErr  error

	// epssKeys is the first CVE of each EPSS run, read on first use;
	// epssRuns caches decompressed runs.
	epssOnce sync.Once
	epssKeys []runKey
	epssErr  error
	epssRuns map[int][]byte

	// ecos counts packages per ecosystem, read on first use.
	ecoOnce sync.Once
	ecos    map[string]int
	ecoErr  error

	// blocks and chunks cache recently decompressed package blocks and
	// advisory chunks with their directories decoded: a scan looks
	// packages up in name order, so neighbours often share a block, and
	// asks for the IDs of its findings, which share chunks.
	mu             sync.Mutex
	blocks, chunks runCache
}

// blockCacheSize and chunkCacheSize are how many decoded package blocks
// (about blockSize each) and advisory chunks a DB keeps.
const blockCacheSize, chunkCacheSize = 256, 32

// runCache holds decoded runs by number, dropping the oldest past its size.
type runCache struct {
	runs  map[int64]*indexedRun
	order []int64
}

// indexedRun is a decompressed run and, for chunks, its decoded
// directory. A block is walked instead: a scan looks up one or two names
// in most blocks it reads, and decoding a whole directory costs more than
// walking to the name.
type indexedRun struct {
	raw []byte
	idx *runIndex
}

func (c *runCache) get(n int64) (*indexedRun, bool) {
	r, ok := c.runs[n]
	return r, ok
}

func (c *runCache) put(n int64, r *indexedRun, size int) {
	if c.runs == nil {
		c.runs = map[int64]*indexedRun{}
	}
	if _, ok := c.runs[n]; !ok {
		if len(c.order) >= size {
			delete(c.runs, c.order[0])
			c.order = c.order[1:]
		}
		c.order = append(c.order, n)
	}
	c.runs[n] = r
}

// cachedRun returns run n (read with stmt) from c, reading, decompressing
// and indexing it when c does not have it.
func (d *DB) cachedRun(ctx context.Context, c *runCache, size int, stmt *sql.Stmt, n int64, what string, index bool) (*indexedRun, error) {
	d.mu.Lock()
	r, ok := c.get(n)
	d.mu.Unlock()
	if ok {
		return r, nil
	}
	raw, err := d.readRun(ctx, stmt, n, what)
	if err != nil {
		return nil, err
	}
	r = &indexedRun{raw: raw}
	if index {
		if r.idx, err = indexRun(raw); err != nil {
			return nil, fmt.Errorf("%s %d: %w", what, n, err)
		}
	}
	d.mu.Lock()
	c.put(n, r, size)
	d.mu.Unlock()
	return r, nil
}

var (
	_ vulndb.Reader   = (*DB)(nil)
	_ vulndb.Enricher = (*DB)(nil)
)

// sqliteHeader is the first 16 bytes of every SQLite 3 database file
// (https://www.sqlite.org/fileformat.html#the_database_header).
var sqliteHeader = []byte("SQLite format 3\x00")

// Open opens the DB at path read-only. The file is opened immutable: a DB file
// is never modified after it is renamed into place, and a rebuild replaces it
// with a new file, so readers never take locks and never block a writer.
//
// Open refuses a file that is not a customs DB (the error wraps ErrNotDB) or
// that has another schema version (the error wraps ErrSchemaVersion); both
// errors tell the user what to run. A missing file gives an error wrapping
// fs.ErrNotExist.
func Open(ctx context.Context, path string) (*DB, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("open vulnerability DB %s: %w", path, err)
	}
	if err := checkFile(abs); err != nil {
		return nil, err
	}
	dsn := (&url.URL{Scheme: "file", Path: filepath.ToSlash(abs), RawQuery: "mode=ro&immutable=1&_pragma=mmap_size(1073741824)"}).String()
	db, err := sql.Open("sqlite", dsn)
	if err != nil {
		return nil, fmt.Errorf("open vulnerability DB %s: %w", path, err)
	}
	d := &DB{path: abs, db: db}
	if err := d.pin(ctx); err != nil {
		db.Close()
		return nil, fmt.Errorf("open vulnerability DB %s: %w", path, err)
	}
	if err := d.checkSchema(ctx); err != nil {
		db.Close()
		return nil, err
	}
	for _, p := range []struct {
		stmt **sql.Stmt
		q    string
	}{
		{&d.block, `SELECT data FROM blocks WHERE block = ?1`},
		{&d.chunk, `SELECT data FROM chunks WHERE chunk = ?1`},
		{&d.ep, `SELECT data FROM epss_runs WHERE run = ?1`},
	} {
		if err != nil {
			break
		}
		*p.stmt, err = db.PrepareContext(ctx, p.q)
	}
	if err != nil {
		db.Close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("open vulnerability DB %s: %w", path, ctx.Err())
		}
		return nil, notDB(abs, err.Error())
	}
	if err := d.loadIndexes(ctx); err != nil {
		d.Close()
		if ctx.Err() != nil {
			return nil, fmt.Errorf("open vulnerability DB %s: %w", path, ctx.Err())
		}
		return nil, notDB(abs, err.Error())
	}
	return d, nil
}

// pin opens every connection of the pool up front and keeps them open, so
// that all of them read the file that was at path when Open ran: a rebuild
// renames a new file over path, and a connection opened later would see it.
func (d *DB) pin(ctx context.Context) error {
	n := min(runtime.GOMAXPROCS(0), 8)
	d.db.SetMaxOpenConns(n)
	d.db.SetMaxIdleConns(n)
	d.db.SetConnMaxLifetime(0)
	d.db.SetConnMaxIdleTime(0)
	conns := make([]*sql.Conn, 0, n)
	defer func() {
		for _, c := range conns {
			c.Close() // returns it to the pool
		}
	}()
	for range n {
		c, err := d.db.Conn(ctx)
		if err != nil {
			return err
		}
		conns = append(conns, c)
	}
	return nil
}

func notDB(path, why string) error {
	return fmt.Errorf("%w: %s: %s; run `customs db build` or `customs db update`", ErrNotDB, path, why)
}

// checkFile reads the SQLite header so that a random, empty or truncated file
// gets a clear error before SQLite sees it.
func checkFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open vulnerability DB: %w; run `customs db update` to download one or `customs db build` to build one", err)
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return fmt.Errorf("open vulnerability DB: %w", err)
	}
	if !st.Mode().IsRegular() {
		return notDB(path, "not a regular file")
	}
	var h [100]byte
	if _, err := io.ReadFull(f, h[:]); err != nil {
		if errors.Is(err, io.EOF) || errors.Is(err, io.ErrUnexpectedEOF) {
			return notDB(path, fmt.Sprintf("file too short (%d bytes)", st.Size()))
		}
		return fmt.Errorf("open vulnerability DB %s: %w", path, err)
	}
	if !bytes.Equal(h[:16], sqliteHeader) {
		return notDB(path, "not an SQLite file")
	}
	pageSize := int64(binary.BigEndian.Uint16(h[16:18]))
	if pageSize == 1 {
		pageSize = 65536
	}
	pages := int64(binary.BigEndian.Uint32(h[28:32]))
	// The in-header size is valid when the change counter equals the
	// version-valid-for number; every SQLite since 3.7.0 writes it.
	if binary.BigEndian.Uint32(h[24:28]) == binary.BigEndian.Uint32(h[92:96]) && st.Size() < pages*pageSize {
		return notDB(path, fmt.Sprintf("truncated: %d bytes, header says %d", st.Size(), pages*pageSize))
	}
	return nil
}

func (d *DB) checkSchema(ctx context.Context) error {
	var v string
	err := d.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'schema_version'`).Scan(&v)
	if err != nil {
		if ctx.Err() != nil {
			return fmt.Errorf("open vulnerability DB %s: %w", d.path, ctx.Err())
		}
		return notDB(d.path, err.Error())
	}
	n, err := strconv.Atoi(v)
	if err != nil {
		return notDB(d.path, fmt.Sprintf("bad schema_version %q", v))
	}
	switch {
	case n < vulndb.SchemaVersion:
		return fmt.Errorf("%w: %s has schema version %d, this customs reads version %d; run `customs db update` or `customs db build` to replace it",
			ErrSchemaVersion, d.path, n, vulndb.SchemaVersion)
	case n > vulndb.SchemaVersion:
		return fmt.Errorf("%w: %s has schema version %d, newer than the version %d this customs reads; upgrade customs, or run `customs db build` to write a DB it can read",
			ErrSchemaVersion, d.path, n, vulndb.SchemaVersion)
	}
	return nil
}

// Close releases the DB.
func (d *DB) Close() error {
	for _, s := range []*sql.Stmt{d.block, d.chunk, d.ep} {
		if s != nil {
			s.Close()
		}
	}
	if d.dec != nil {
		d.dec.Close()
	}
	return d.db.Close()
}

// ByID returns every source's advisory with this ID, sorted by source, with
// Affected left empty (implements vulndb.Enricher).
func (d *DB) ByID(ctx context.Context, id string) ([]*vulndb.Advisory, error) {
	if !d.idBloom.has(keyHash(id, "")) {
		return nil, nil
	}
	// The chunks that can hold id: from the last one starting before it
	// to the last one starting with it.
	c := max(0, sort.Search(len(d.chunkKeys), func(i int) bool { return d.chunkKeys[i].a >= id })-1)
	var out []*vulndb.Advisory
	for ; c < len(d.chunkKeys) && d.chunkKeys[c].a <= id; c++ {
		run, err := d.cachedRun(ctx, &d.chunks, chunkCacheSize, d.chunk, int64(c), "chunk", true)
		if err != nil {
			return nil, fmt.Errorf("query advisory %s: %w", id, err)
		}
		x := run.idx
		for i := x.search(runKey{id, ""}); i < len(x.keys) && x.keys[i].a == id; i++ {
			adv := new(vulndb.Advisory)
			if err := json.Unmarshal(x.recs[i], adv); err != nil {
				return nil, fmt.Errorf("query advisory %s: chunk %d: %w", id, c, err)
			}
			adv.ID, adv.Source = id, x.keys[i].b
			out = append(out, adv)
		}
	}
	return out, nil
}

// chunkData returns chunk c decompressed, from the cache when it can;
// callers must not modify it.
func (d *DB) chunkData(ctx context.Context, c int64) ([]byte, error) {
	r, err := d.cachedRun(ctx, &d.chunks, chunkCacheSize, d.chunk, c, "chunk", true)
	if err != nil {
		return nil, err
	}
	return r.raw, nil
}

// KEV returns the KEV catalog entry of a CVE, or nil.
func (d *DB) KEV(ctx context.Context, cve string) (*vulndb.KEV, error) {
	// Without the caller's cancellation: the result is kept for every caller.
	d.kevOnce.Do(func() { d.kevs, d.kevErr = d.loadKEV(context.WithoutCancel(ctx)) })
	if d.kevErr != nil {
		return nil, fmt.Errorf("query KEV %s: %w", cve, d.kevErr)
	}
	k, ok := d.kevs[cve]
	if !ok {
		return nil, nil
	}
	return &k, nil
}

func (d *DB) loadKEV(ctx context.Context) (map[string]vulndb.KEV, error) {
	b, err := d.blob(ctx, blobKEV)
	if err != nil {
		return nil, err
	}
	var all []vulndb.KEV
	if err := json.Unmarshal(b, &all); err != nil {
		return nil, fmt.Errorf("decode KEV catalog: %w", err)
	}
	m := make(map[string]vulndb.KEV, len(all))
	for _, k := range all {
		m[k.CVE] = k
	}
	return m, nil
}

// EPSS returns the EPSS score of a CVE, or nil.
func (d *DB) EPSS(ctx context.Context, cve string) (*vulndb.EPSS, error) {
	d.epssOnce.Do(func() {
		d.epssKeys, d.epssErr = d.keys(context.WithoutCancel(ctx), `SELECT run, cve, '' FROM epss_keys ORDER BY run`)
	})
	if d.epssErr != nil {
		return nil, fmt.Errorf("query EPSS %s: %w", cve, d.epssErr)
	}
	r := sort.Search(len(d.epssKeys), func(i int) bool { return d.epssKeys[i].a > cve }) - 1
	if r < 0 {
		return nil, nil
	}
	run, err := d.epssRun(ctx, r)
	if err != nil {
		return nil, fmt.Errorf("query EPSS %s: %w", cve, err)
	}
	var e *vulndb.EPSS
	var derr error
	err = walkRun(run, func(a, date, rec []byte) bool {
		if string(a) == cve {
			e = &vulndb.EPSS{CVE: cve, Date: string(date)}
			s, p, _ := strings.Cut(string(rec), ",")
			if e.Score, derr = strconv.ParseFloat(s, 64); derr == nil {
				e.Percentile, derr = strconv.ParseFloat(p, 64)
			}
		}
		return string(a) < cve
	})
	if err == nil {
		err = derr
	}
	if err != nil {
		return nil, fmt.Errorf("query EPSS %s: run %d: %w", cve, r, err)
	}
	return e, nil
}

// epssRun returns EPSS run r decompressed; callers must not modify it.
// A scan asks for the scores of all its findings, so every run it touches
// is kept (a whole feed is a few MB).
func (d *DB) epssRun(ctx context.Context, r int) ([]byte, error) {
	d.mu.Lock()
	run, ok := d.epssRuns[r]
	d.mu.Unlock()
	if ok {
		return run, nil
	}
	run, err := d.readRun(ctx, d.ep, int64(r), "run")
	if err != nil {
		return nil, err
	}
	d.mu.Lock()
	if d.epssRuns == nil {
		d.epssRuns = map[int][]byte{}
	}
	d.epssRuns[r] = run
	d.mu.Unlock()
	return run, nil
}

// ByPackage returns every affected record for (ecosystem, name), sorted by
// advisory ID then source. Ecosystem and name are matched exactly: feeds store
// distro ecosystems in lower case ("debian:12", "alpine:3.10") and language
// ecosystems as OSV publishes them ("Go", "PyPI", "npm").
//
// The Advisory of a Match carries what matching needs: ID, Source, Aliases,
// Severity and Withdrawn; ByID returns the whole record.
//
// Each advisory yields one Match: records of the same advisory for this
// package with the same status, detail and severity are merged (their ranges
// and versions concatenated). Matches of one advisory share one *Advisory,
// whose Affected holds only the records returned for this package; callers
// must not modify it.
func (d *DB) ByPackage(ctx context.Context, ecosystem, name string) ([]vulndb.Match, error) {
	if !d.pkgBloom.has(keyHash(name, ecosystem)) {
		return nil, nil
	}
	key := runKey{name, ecosystem}
	block := sort.Search(len(d.blockKeys), func(i int) bool { return key.less(d.blockKeys[i]) }) - 1
	if block < 0 {
		return nil, nil
	}
	run, err := d.blockData(ctx, int64(block))
	if err != nil {
		return nil, fmt.Errorf("query %s/%s: %w", ecosystem, name, err)
	}
	var found []byte
	err = walkRun(run, func(a, b, rec []byte) bool {
		if string(a) == name && string(b) == ecosystem {
			found = rec
		}
		// Entries are sorted: stop at or past the key.
		return string(a) < name || string(a) == name && string(b) < ecosystem
	})
	if err != nil {
		return nil, fmt.Errorf("query %s/%s: block %d: %w", ecosystem, name, block, err)
	}
	if found == nil {
		return nil, nil
	}
	var recs []packedRecord
	if err := json.Unmarshal(found, &recs); err != nil {
		return nil, fmt.Errorf("query %s/%s: decode: %w", ecosystem, name, err)
	}
	// Stored in import order; report by advisory ID, then source.
	sort.SliceStable(recs, func(i, j int) bool {
		if recs[i].ID != recs[j].ID {
			return recs[i].ID < recs[j].ID
		}
		return recs[i].Source < recs[j].Source
	})
	var (
		out   []vulndb.Match
		first int // index in out of the first match of the current advisory
		adv   *vulndb.Advisory
	)
	flush := func() {
		if adv == nil {
			return
		}
		adv.Affected = make([]vulndb.Affected, 0, len(out)-first)
		for _, m := range out[first:] {
			adv.Affected = append(adv.Affected, m.Affected)
		}
	}
	for _, r := range recs {
		if adv == nil || r.ID != adv.ID || r.Source != adv.Source {
			flush()
			adv = &vulndb.Advisory{ID: r.ID, Source: r.Source, Aliases: r.Aliases, Severity: r.Severity, Withdrawn: r.Withdrawn}
			first = len(out)
		}
		aff := r.Affected
		aff.Ecosystem, aff.Package = ecosystem, name
		if i := slices.IndexFunc(out[first:], func(m vulndb.Match) bool { return mergeable(m.Affected, aff) }); i >= 0 {
			merge(&out[first+i].Affected, aff)
			continue
		}
		out = append(out, vulndb.Match{Advisory: adv, Affected: aff})
	}
	flush()
	return out, nil
}

// blockData returns block's uncompressed bytes; callers must not modify them.
func (d *DB) blockData(ctx context.Context, block int64) ([]byte, error) {
	r, err := d.cachedRun(ctx, &d.blocks, blockCacheSize, d.block, block, "block", false)
	if err != nil {
		return nil, err
	}
	return r.raw, nil
}

// readRun reads run n with stmt (which selects its data) and decompresses
// it; what names the kind of run in errors.
func (d *DB) readRun(ctx context.Context, stmt *sql.Stmt, n int64, what string) ([]byte, error) {
	var blob []byte
	if err := stmt.QueryRowContext(ctx, n).Scan(&blob); err != nil {
		return nil, fmt.Errorf("%s %d: %w", what, n, err)
	}
	raw, err := d.dec.DecodeAll(blob, nil)
	if err != nil {
		return nil, fmt.Errorf("decompress %s %d: %w", what, n, err)
	}
	return raw, nil
}

func mergeable(a, b vulndb.Affected) bool {
	return a.Status == b.Status && a.StatusDetail == b.StatusDetail && a.Severity == b.Severity
}

// merge appends b's ranges and versions to a, skipping exact duplicates.
func merge(a *vulndb.Affected, b vulndb.Affected) {
	for _, r := range b.Ranges {
		if !slices.Contains(a.Ranges, r) {
			a.Ranges = append(a.Ranges, r)
		}
	}
	for _, v := range b.Versions {
		if !slices.Contains(a.Versions, v) {
			a.Versions = append(a.Versions, v)
		}
	}
}

// Info describes the DB: schema version, build time, sources and counts.
func (d *DB) Info(ctx context.Context) (vulndb.Info, error) {
	info := vulndb.Info{Path: d.path, SchemaVersion: vulndb.SchemaVersion}
	var built string
	if err := d.db.QueryRowContext(ctx, `SELECT value FROM meta WHERE key = 'built'`).Scan(&built); err != nil {
		return info, fmt.Errorf("read DB info: %w", err)
	}
	t, err := time.Parse(time.RFC3339Nano, built)
	if err != nil {
		return info, fmt.Errorf("read DB info: built time %q: %w", built, err)
	}
	info.Built = t
	rows, err := d.db.QueryContext(ctx, `SELECT kind, path, advisories, affected, imported FROM sources ORDER BY rowid`)
	if err != nil {
		return info, fmt.Errorf("read DB info: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var (
			s        vulndb.SourceInfo
			imported string
		)
		if err := rows.Scan(&s.Kind, &s.Path, &s.Advisories, &s.Affected, &imported); err != nil {
			return info, fmt.Errorf("read DB info: %w", err)
		}
		if s.Imported, err = time.Parse(time.RFC3339Nano, imported); err != nil {
			return info, fmt.Errorf("read DB info: import time %q: %w", imported, err)
		}
		info.Sources = append(info.Sources, s)
	}
	if err := rows.Err(); err != nil {
		return info, fmt.Errorf("read DB info: %w", err)
	}
	if err := d.db.QueryRowContext(ctx, `SELECT (SELECT value FROM meta WHERE key = 'advisories'), (SELECT value FROM meta WHERE key = 'affected')`).Scan(&info.Advisories, &info.Affected); err != nil {
		return info, fmt.Errorf("read DB info: %w", err)
	}
	ecos, err := d.Ecosystems(ctx)
	if err != nil {
		return info, fmt.Errorf("read DB info: %w", err)
	}
	info.Ecosystems = maps.Clone(ecos)
	return info, nil
}
