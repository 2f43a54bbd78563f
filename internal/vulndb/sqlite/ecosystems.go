package sqlite

import (
	"context"
	"fmt"
	"strings"
)

// Ecosystems returns every ecosystem the DB holds package records in
// ("debian:12", "alpine:3.10", "Go", "cpe"), with how many packages it
// holds records for. A scan asks it to say which parts of an inventory the
// DB covers: a DB without a distribution's records finds nothing in its
// packages, and that must not read as "no findings".
//
// The answer is read once, from the ecosystems table written at build
// time; a DB built before that table existed is answered from its blocks
// (every block decompressed once). Callers must not modify the map.
func (d *DB) Ecosystems(ctx context.Context) (map[string]int, error) {
	d.ecoOnce.Do(func() { d.ecos, d.ecoErr = d.loadEcosystems(context.WithoutCancel(ctx)) })
	if d.ecoErr != nil {
		return nil, fmt.Errorf("read the DB's ecosystems: %w", d.ecoErr)
	}
	return d.ecos, nil
}

func (d *DB) loadEcosystems(ctx context.Context) (map[string]int, error) {
	rows, err := d.db.QueryContext(ctx, `SELECT ecosystem, packages FROM ecosystems`)
	if err != nil {
		if strings.Contains(err.Error(), "no such table") {
			return d.countEcosystems(ctx)
		}
		return nil, err
	}
	defer rows.Close()
	out := map[string]int{}
	for rows.Next() {
		var (
			eco string
			n   int
		)
		if err := rows.Scan(&eco, &n); err != nil {
			return nil, err
		}
		out[eco] = n
	}
	return out, rows.Err()
}

// countEcosystems counts the packages of each ecosystem by walking every
// block, for a DB built without the ecosystems table.
func (d *DB) countEcosystems(ctx context.Context) (map[string]int, error) {
	out := map[string]int{}
	for b := range d.blockKeys {
		run, err := d.readRun(ctx, d.block, int64(b), "block")
		if err != nil {
			return nil, err
		}
		err = walkRun(run, func(_, eco, _ []byte) bool {
			out[string(eco)]++
			return true
		})
		if err != nil {
			return nil, fmt.Errorf("block %d: %w", b, err)
		}
	}
	return out, nil
}
