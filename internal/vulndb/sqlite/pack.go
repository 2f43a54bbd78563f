package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"time"

	"github.com/klauspost/compress/zstd"

	"github.com/customs-scanner/customs/internal/vulndb"
)

const (
	// chunkSize is how many advisories share one compressed chunk: ByID
	// decompresses one chunk (about 300 KiB) and keeps the last few.
	chunkSize = 512
	// blockSize is the uncompressed size at which a block of package
	// records is closed: a lookup decompresses one block, a few tens of
	// microseconds.
	blockSize = 24 << 10
	// chunkDictSize is the size of the dictionary sampled from the
	// advisories: compressing each chunk as if it followed a sample of the
	// whole file saves 8% over compressing it alone.
	chunkDictSize = 256 << 10
	// epssRunSize is how many EPSS scores share a run (about 100 KiB).
	epssRunSize = 4096
)

// The dictionary ID written in every chunk's frame, and the names of the
// blobs.
const (
	chunkDictID uint32 = 1

	blobChunkDict = "dict/chunks"
	blobKEV       = "kev"
	// Bloom filters (see bloom.go) of the block keys (package, ecosystem)
	// and of the advisory IDs.
	blobPackageBloom = "bloom/packages"
	blobIDBloom      = "bloom/ids"
)

// packedRecord is one affected record as stored in a block entry, with the
// advisory fields matching needs. Short keys: there are hundreds of
// thousands of them.
type packedRecord struct {
	ID        string    `json:"i"`
	Source    string    `json:"s"`
	Aliases   []string  `json:"a,omitempty"`
	Severity  string    `json:"v,omitempty"`
	Withdrawn time.Time `json:"w,omitzero"`
	// Affected has Ecosystem and Package cleared: the entry is keyed on them.
	Affected vulndb.Affected `json:"f"`
}

// packer writes the read-side tables of one build.
type packer struct {
	ctx   context.Context
	tx    *sql.Tx
	plain *zstd.Encoder // for the blobs
}

// pack turns the staging tables into the read-side tables and drops them.
func (w *Writer) pack(ctx context.Context) error {
	plain, err := newEncoder(0, nil)
	if err != nil {
		return err
	}
	defer plain.Close()
	p := &packer{ctx: ctx, tx: w.tx, plain: plain}
	heads, advisories, err := p.chunks()
	if err != nil {
		return err
	}
	affected, err := p.blocks(heads)
	if err != nil {
		return err
	}
	if err := p.kev(); err != nil {
		return err
	}
	if err := p.epss(); err != nil {
		return err
	}
	for k, v := range map[string]string{
		"advisories": strconv.FormatInt(advisories, 10),
		"affected":   strconv.Itoa(affected),
	} {
		if _, err := p.tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?1, ?2)`, k, v); err != nil {
			return err
		}
	}
	for _, q := range []string{`DROP TABLE affected`, `DROP TABLE advisories`, `DROP TABLE kev`, `DROP TABLE epss`} {
		if _, err := p.tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// newEncoder makes the encoder of one kind of run; dict may be empty.
func newEncoder(id uint32, dict []byte) (*zstd.Encoder, error) {
	opts := []zstd.EOption{zstd.WithEncoderLevel(zstd.SpeedBestCompression), zstd.WithEncoderConcurrency(1)}
	if len(dict) > 0 {
		opts = append(opts, zstd.WithEncoderDictRaw(id, dict))
	}
	return zstd.NewWriter(nil, opts...)
}

// runTable writes one kind of run: its compressed data, numbered from 0,
// and its first key (keyParts of it) in the kind's keys table.
type runTable struct {
	enc        *zstd.Encoder
	data, keys *sql.Stmt
	keyParts   int
	n          int64
}

func (p *packer) runTable(enc *zstd.Encoder, insData, insKey string, keyParts int) (*runTable, error) {
	data, err := p.tx.PrepareContext(p.ctx, insData)
	if err != nil {
		return nil, err
	}
	keys, err := p.tx.PrepareContext(p.ctx, insKey)
	if err != nil {
		data.Close()
		return nil, err
	}
	return &runTable{enc: enc, data: data, keys: keys, keyParts: keyParts}, nil
}

func (t *runTable) close() {
	t.data.Close()
	t.keys.Close()
}

// flush writes run, unless it is empty, and resets it.
func (t *runTable) flush(ctx context.Context, run *runBuilder) error {
	if run.n == 0 {
		return nil
	}
	first := run.first
	if _, err := t.data.ExecContext(ctx, t.n, t.enc.EncodeAll(run.bytes(), nil)); err != nil {
		return err
	}
	if _, err := t.keys.ExecContext(ctx, []any{t.n, first.a, first.b}[:1+t.keyParts]...); err != nil {
		return err
	}
	t.n++
	return nil
}

// putBlob stores a compressed blob.
func (p *packer) putBlob(name string, b []byte) error {
	_, err := p.tx.ExecContext(p.ctx, `INSERT INTO blobs (name, data) VALUES (?1, ?2)`, name, p.plain.EncodeAll(b, nil))
	return err
}

// sampleAdvisories returns about size bytes of advisories in the form a
// chunk stores them, taken at an even stride over the staging table (in
// import order) so that every feed is represented: the chunks' dictionary.
func (p *packer) sampleAdvisories(size int) ([]byte, error) {
	var total int64
	if err := p.tx.QueryRowContext(p.ctx, `SELECT coalesce(sum(length(json)), 0) FROM advisories`).Scan(&total); err != nil {
		return nil, err
	}
	// A stride of total/size rows takes size/(average row) rows.
	rows, err := p.tx.QueryContext(p.ctx, `SELECT json FROM advisories WHERE rowid % ?1 = 0 ORDER BY rowid`, max(1, total/int64(size)))
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []byte
	for rows.Next() && len(out) < size {
		var js []byte
		if err := rows.Scan(&js); err != nil {
			return nil, err
		}
		_, b, err := stored(js)
		if err != nil {
			return nil, err
		}
		out = append(out, b...)
	}
	return out, rows.Err()
}

// chunks packs the advisories, in (id, source) order, into chunks of
// chunkSize; it returns, by staging rowid, every advisory's fields that its
// package records copy (a packedRecord without Affected).
func (p *packer) chunks() (map[int64]*packedRecord, int64, error) {
	ctx, tx := p.ctx, p.tx
	dict, err := p.sampleAdvisories(chunkDictSize)
	if err != nil {
		return nil, 0, err
	}
	if err := p.putBlob(blobChunkDict, dict); err != nil {
		return nil, 0, err
	}
	enc, err := newEncoder(chunkDictID, dict)
	if err != nil {
		return nil, 0, err
	}
	defer enc.Close()
	out, err := p.runTable(enc, `INSERT INTO chunks (chunk, data) VALUES (?1, ?2)`, `INSERT INTO chunk_keys (chunk, id, source) VALUES (?1, ?2, ?3)`, 2)
	if err != nil {
		return nil, 0, err
	}
	defer out.close()

	heads := map[int64]*packedRecord{}
	var (
		seq int64
		run runBuilder
		ids []uint64
	)
	rows, err := tx.QueryContext(ctx, `SELECT rowid, id, source, json FROM advisories ORDER BY id, source`)
	if err != nil {
		return nil, 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			rowid      int64
			id, source string
			js         []byte
		)
		if err := rows.Scan(&rowid, &id, &source, &js); err != nil {
			return nil, 0, err
		}
		a, b, err := stored(js)
		if err != nil {
			return nil, 0, fmt.Errorf("advisory %s: %w", id, err)
		}
		heads[rowid] = &packedRecord{ID: id, Source: source, Aliases: a.Aliases, Severity: a.Severity, Withdrawn: a.Withdrawn}
		run.add(id, source, b)
		ids = append(ids, keyHash(id, ""))
		seq++
		if seq%chunkSize == 0 {
			if err := out.flush(ctx, &run); err != nil {
				return nil, 0, err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return nil, 0, err
	}
	if err := p.putBlob(blobIDBloom, newBloom(ids).marshal()); err != nil {
		return nil, 0, err
	}
	return heads, seq, out.flush(ctx, &run)
}

// stored returns a staged advisory and the JSON a chunk stores for it:
// without ID and Source, which are its key in the chunk's directory.
func stored(js []byte) (*vulndb.Advisory, []byte, error) {
	a := new(vulndb.Advisory)
	if err := json.Unmarshal(js, a); err != nil {
		return nil, nil, err
	}
	c := *a
	c.ID, c.Source, c.Affected = "", "", nil
	b, err := json.Marshal(&c)
	return a, b, err
}

// blocks packs the affected records, grouped per (package, ecosystem),
// into blocks of about blockSize, and counts the packages of each ecosystem
// into the ecosystems table; it returns how many records it packed.
func (p *packer) blocks(heads map[int64]*packedRecord) (int, error) {
	ctx, tx := p.ctx, p.tx
	// No dictionary: with one, klauspost's best level re-copies 32 MB of
	// match tables for every block (compressing the shared data's blocks
	// took 2.9 s instead of 0.34 s) and lookups decode more slowly, for a
	// 10% smaller blocks table.
	enc, err := newEncoder(0, nil)
	if err != nil {
		return 0, err
	}
	defer enc.Close()
	out, err := p.runTable(enc, `INSERT INTO blocks (block, data) VALUES (?1, ?2)`, `INSERT INTO block_keys (block, package, ecosystem) VALUES (?1, ?2, ?3)`, 2)
	if err != nil {
		return 0, err
	}
	defer out.close()

	var (
		cur      runKey // (package, ecosystem)
		recs     []packedRecord
		affected int
		run      runBuilder
		keys     []uint64
		ecos     = map[string]int{} // packages per ecosystem
	)
	emit := func() error {
		if len(recs) == 0 {
			return nil
		}
		ecos[cur.b]++
		b, err := json.Marshal(recs)
		if err != nil {
			return err
		}
		recs = recs[:0]
		run.add(cur.a, cur.b, b)
		keys = append(keys, keyHash(cur.a, cur.b))
		if run.size() >= blockSize {
			return out.flush(ctx, &run)
		}
		return nil
	}
	rows, err := tx.QueryContext(ctx, `SELECT ecosystem, package, advisory, json FROM affected ORDER BY package, ecosystem, advisory, rowid`)
	if err != nil {
		return 0, err
	}
	defer rows.Close()
	for rows.Next() {
		var (
			eco, pkg string
			advisory int64
			js       []byte
		)
		if err := rows.Scan(&eco, &pkg, &advisory, &js); err != nil {
			return 0, err
		}
		if k := (runKey{pkg, eco}); k != cur {
			if err := emit(); err != nil {
				return 0, err
			}
			cur = k
		}
		h := heads[advisory]
		if h == nil {
			return 0, fmt.Errorf("affected record of unknown advisory %d", advisory)
		}
		r := *h
		if err := json.Unmarshal(js, &r.Affected); err != nil {
			return 0, fmt.Errorf("affected record of %s: %w", h.ID, err)
		}
		r.Affected.Ecosystem, r.Affected.Package = "", ""
		recs = append(recs, r)
		affected++
	}
	if err := rows.Err(); err != nil {
		return 0, err
	}
	if err := emit(); err != nil {
		return 0, err
	}
	if err := p.putBlob(blobPackageBloom, newBloom(keys).marshal()); err != nil {
		return 0, err
	}
	for eco, n := range ecos {
		if _, err := tx.ExecContext(ctx, `INSERT INTO ecosystems (ecosystem, packages) VALUES (?1, ?2)`, eco, n); err != nil {
			return 0, err
		}
	}
	return affected, out.flush(ctx, &run)
}

// kev packs the KEV catalog into one blob: it is small, and a scan that
// asks for one entry asks for many.
func (p *packer) kev() error {
	rows, err := p.tx.QueryContext(p.ctx, `SELECT json FROM kev ORDER BY cve`)
	if err != nil {
		return err
	}
	defer rows.Close()
	var all []json.RawMessage
	for rows.Next() {
		var js []byte
		if err := rows.Scan(&js); err != nil {
			return err
		}
		all = append(all, js)
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if all == nil {
		all = []json.RawMessage{}
	}
	b, err := json.Marshal(all)
	if err != nil {
		return err
	}
	return p.putBlob(blobKEV, b)
}

// epss packs the EPSS scores into runs of epssRunSize in CVE order: a real
// feed has 300k of them, 15 MB as table rows.
func (p *packer) epss() error {
	ctx, tx := p.ctx, p.tx
	rows, err := tx.QueryContext(ctx, `SELECT cve, score, percentile, date FROM epss ORDER BY cve`)
	if err != nil {
		return err
	}
	defer rows.Close()
	out, err := p.runTable(p.plain, `INSERT INTO epss_runs (run, data) VALUES (?1, ?2)`, `INSERT INTO epss_keys (run, cve) VALUES (?1, ?2)`, 1)
	if err != nil {
		return err
	}
	defer out.close()
	var run runBuilder
	for rows.Next() {
		var (
			cve, date         string
			score, percentile float64
		)
		if err := rows.Scan(&cve, &score, &percentile, &date); err != nil {
			return err
		}
		rec := strconv.AppendFloat(nil, score, 'g', -1, 64)
		rec = append(rec, ',')
		rec = strconv.AppendFloat(rec, percentile, 'g', -1, 64)
		run.add(cve, date, rec)
		if run.n == epssRunSize {
			if err := out.flush(ctx, &run); err != nil {
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		return err
	}
	return out.flush(ctx, &run)
}
