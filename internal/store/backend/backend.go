// Package backend opens a store by its DSN: a SQLite file or a
// PostgreSQL database.
package backend

import (
	"context"

	"github.com/customs-scanner/customs/internal/store"
	"github.com/customs-scanner/customs/internal/store/postgres"
	"github.com/customs-scanner/customs/internal/store/sqlite"
)

// Open opens the store dsn names (see store.ParseDSN).
func Open(ctx context.Context, dsn string) (store.Store, error) {
	d, err := store.ParseDSN(dsn)
	if err != nil {
		return nil, err
	}
	if d.Backend == store.Postgres {
		return postgres.Open(ctx, d.Target)
	}
	return sqlite.Open(ctx, d.Target)
}
