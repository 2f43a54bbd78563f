package sqlite

import (
	"context"
	"fmt"

	"github.com/klauspost/compress/zstd"
)

// maxBlob bounds what one blob may decompress to (dictionaries, the KEV
// catalog, a run): a damaged or hostile file cannot make a lookup allocate
// more.
const maxBlob = 256 << 20

// loadIndexes reads the sparse indexes, the Bloom filters and the chunks'
// dictionary, and makes the decoder the lookups share (DecodeAll is safe
// for concurrent use).
func (d *DB) loadIndexes(ctx context.Context) error {
	var err error
	if d.blockKeys, err = d.keys(ctx, `SELECT block, package, ecosystem FROM block_keys ORDER BY block`); err != nil {
		return fmt.Errorf("block index: %w", err)
	}
	if d.chunkKeys, err = d.keys(ctx, `SELECT chunk, id, source FROM chunk_keys ORDER BY chunk`); err != nil {
		return fmt.Errorf("chunk index: %w", err)
	}
	// The blobs are compressed without a dictionary; the chunks' one is
	// added once read.
	if d.dec, err = zstd.NewReader(nil, zstd.WithDecoderConcurrency(0), zstd.WithDecoderMaxMemory(maxBlob)); err != nil {
		return err
	}
	for _, f := range []struct {
		name string
		dst  **bloom
	}{{blobPackageBloom, &d.pkgBloom}, {blobIDBloom, &d.idBloom}} {
		b, err := d.blob(ctx, f.name)
		if err != nil {
			return err
		}
		if *f.dst, err = unmarshalBloom(b); err != nil {
			return fmt.Errorf("blob %s: %w", f.name, err)
		}
	}
	dict, err := d.blob(ctx, blobChunkDict)
	if err != nil || len(dict) == 0 {
		return err
	}
	return d.dec.ResetWithOptions(nil, zstd.WithDecoderDictRaw(chunkDictID, dict))
}

// keys reads a sparse index: rows (n, a, b) numbered 0, 1, ... in order
// of the keys.
func (d *DB) keys(ctx context.Context, query string) ([]runKey, error) {
	rows, err := d.db.QueryContext(ctx, query)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []runKey
	for rows.Next() {
		var (
			n int64
			k runKey
		)
		if err := rows.Scan(&n, &k.a, &k.b); err != nil {
			return nil, err
		}
		if n != int64(len(out)) {
			return nil, fmt.Errorf("run %d missing", len(out))
		}
		if len(out) > 0 && !out[len(out)-1].less(k) {
			return nil, fmt.Errorf("run %d out of order", n)
		}
		out = append(out, k)
	}
	return out, rows.Err()
}

// blob returns the named blob decompressed.
func (d *DB) blob(ctx context.Context, name string) ([]byte, error) {
	var b []byte
	if err := d.db.QueryRowContext(ctx, `SELECT data FROM blobs WHERE name = ?1`, name).Scan(&b); err != nil {
		return nil, fmt.Errorf("blob %s: %w", name, err)
	}
	out, err := d.dec.DecodeAll(b, nil)
	if err != nil {
		return nil, fmt.Errorf("blob %s: %w", name, err)
	}
	return out, nil
}
