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

// chunkSize is how many advisories share one compressed chunk: large enough
// to compress well, small enough that ByID decompresses little.
const chunkSize = 128

// blockSize is the uncompressed size at which a block of package rows is
// closed: big enough to compress well, small enough to decompress in a few
// microseconds per lookup.
const blockSize = 16 << 10

// packedRecord is one affected record as stored in a packages row, with the
// advisory fields matching needs. Short keys: there are hundreds of
// thousands of them.
type packedRecord struct {
	Seq       int64     `json:"q"`
	ID        string    `json:"i"`
	Source    string    `json:"s"`
	Aliases   []string  `json:"a,omitempty"`
	Severity  string    `json:"v,omitempty"`
	Withdrawn time.Time `json:"w,omitzero"`
	// Affected has Ecosystem and Package cleared: the row is keyed on them.
	Affected vulndb.Affected `json:"f"`
}

// advHead is what package records copy from their advisory.
type advHead struct {
	seq                      int64
	id, source, summary, sev string
	aliases                  []string
	withdrawn                time.Time
}

// pack turns the staging tables into the read-side tables and drops them.
func (w *Writer) pack(ctx context.Context) error {
	enc, err := zstd.NewWriter(nil, zstd.WithEncoderLevel(zstd.SpeedBestCompression), zstd.WithEncoderConcurrency(1))
	if err != nil {
		return err
	}
	defer enc.Close()
	tx := w.tx

	// Advisories, in rowid order, into numbered chunks.
	heads := map[int64]*advHead{}
	rows, err := tx.QueryContext(ctx, `SELECT rowid, id, source, json FROM advisories ORDER BY id, source`)
	if err != nil {
		return err
	}
	insAdv, err := tx.PrepareContext(ctx, `INSERT INTO adv (id, source, seq) VALUES (?2, ?3, ?1)`)
	if err != nil {
		rows.Close()
		return err
	}
	defer insAdv.Close()
	insChunk, err := tx.PrepareContext(ctx, `INSERT INTO chunks (chunk, data) VALUES (?1, ?2)`)
	if err != nil {
		rows.Close()
		return err
	}
	defer insChunk.Close()
	var (
		seq   int64
		chunk []json.RawMessage
	)
	flush := func() error {
		if len(chunk) == 0 {
			return nil
		}
		b, err := json.Marshal(chunk)
		if err != nil {
			return err
		}
		_, err = insChunk.ExecContext(ctx, (seq-1)/chunkSize, enc.EncodeAll(b, nil))
		chunk = chunk[:0]
		return err
	}
	for rows.Next() {
		var (
			rowid      int64
			id, source string
			js         []byte
		)
		if err := rows.Scan(&rowid, &id, &source, &js); err != nil {
			rows.Close()
			return err
		}
		var a vulndb.Advisory
		if err := json.Unmarshal(js, &a); err != nil {
			rows.Close()
			return fmt.Errorf("advisory %s: %w", id, err)
		}
		heads[rowid] = &advHead{seq: seq, id: id, source: source, sev: a.Severity, aliases: a.Aliases, withdrawn: a.Withdrawn}
		if _, err := insAdv.ExecContext(ctx, seq, id, source); err != nil {
			rows.Close()
			return err
		}
		chunk = append(chunk, js)
		seq++
		if len(chunk) == chunkSize {
			if err := flush(); err != nil {
				rows.Close()
				return err
			}
		}
	}
	if err := rows.Err(); err != nil {
		rows.Close()
		return err
	}
	rows.Close()
	if err := flush(); err != nil {
		return err
	}

	// Affected records, grouped per package; consecutive packages share a
	// compressed block (most packages' records are a few hundred bytes, too
	// small to compress alone).
	rows, err = tx.QueryContext(ctx, `SELECT ecosystem, package, advisory, json FROM affected ORDER BY package, ecosystem, advisory, rowid`)
	if err != nil {
		return err
	}
	defer rows.Close()
	insPkg, err := tx.PrepareContext(ctx, `INSERT INTO packages (ecosystem, package, block, off, len) VALUES (?1, ?2, ?3, ?4, ?5)`)
	if err != nil {
		return err
	}
	defer insPkg.Close()
	insBlock, err := tx.PrepareContext(ctx, `INSERT INTO blocks (block, data) VALUES (?1, ?2)`)
	if err != nil {
		return err
	}
	defer insBlock.Close()
	var (
		curEco, curPkg string
		recs           []packedRecord
		affected       int
		block          []byte
		blockNo        int64
	)
	flushBlock := func() error {
		if len(block) == 0 {
			return nil
		}
		if _, err := insBlock.ExecContext(ctx, blockNo, enc.EncodeAll(block, nil)); err != nil {
			return err
		}
		block = block[:0]
		blockNo++
		return nil
	}
	emit := func() error {
		if len(recs) == 0 {
			return nil
		}
		b, err := json.Marshal(recs)
		if err != nil {
			return err
		}
		recs = recs[:0]
		if _, err := insPkg.ExecContext(ctx, curEco, curPkg, blockNo, len(block), len(b)); err != nil {
			return err
		}
		block = append(block, b...)
		if len(block) >= blockSize {
			return flushBlock()
		}
		return nil
	}
	for rows.Next() {
		var (
			eco, pkg string
			advisory int64
			js       []byte
		)
		if err := rows.Scan(&eco, &pkg, &advisory, &js); err != nil {
			return err
		}
		if eco != curEco || pkg != curPkg {
			if err := emit(); err != nil {
				return err
			}
			curEco, curPkg = eco, pkg
		}
		h := heads[advisory]
		if h == nil {
			return fmt.Errorf("affected record of unknown advisory %d", advisory)
		}
		var aff vulndb.Affected
		if err := json.Unmarshal(js, &aff); err != nil {
			return fmt.Errorf("affected record of %s: %w", h.id, err)
		}
		aff.Ecosystem, aff.Package = "", ""
		recs = append(recs, packedRecord{Seq: h.seq, ID: h.id, Source: h.source, Aliases: h.aliases, Severity: h.sev, Withdrawn: h.withdrawn, Affected: aff})
		affected++
	}
	if err := rows.Err(); err != nil {
		return err
	}
	if err := emit(); err != nil {
		return err
	}
	if err := flushBlock(); err != nil {
		return err
	}
	rows.Close()
	for k, v := range map[string]string{
		"advisories": strconv.FormatInt(seq, 10),
		"affected":   strconv.Itoa(affected),
	} {
		if _, err := tx.ExecContext(ctx, `INSERT INTO meta (key, value) VALUES (?1, ?2)`, k, v); err != nil {
			return err
		}
	}
	for _, q := range []string{`DROP TABLE affected`, `DROP TABLE advisories`} {
		if _, err := tx.ExecContext(ctx, q); err != nil {
			return err
		}
	}
	return nil
}

// newDecoder makes the decoder shared by all lookups of a DB; DecodeAll is
// safe for concurrent use.
func newDecoder() (*zstd.Decoder, error) {
	return zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(256<<20))
}

// queryRow is the subset of *sql.Stmt the lookups use.
type queryRow interface {
	QueryRowContext(ctx context.Context, args ...any) *sql.Row
}
