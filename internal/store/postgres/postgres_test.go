package postgres_test

import (
	"context"
	"strings"
	"testing"

	"github.com/customs-scanner/customs/internal/shareddata"
	"github.com/customs-scanner/customs/internal/store/postgres"
	"github.com/customs-scanner/customs/internal/store/storetest"
)

func TestSuite(t *testing.T) {
	dsn := shareddata.Postgres(t)
	storetest.Run(t, storetest.Backend{
		Fresh: func(t *testing.T) string { return storetest.PostgresSchema(t, dsn) },
		Open: func(ctx context.Context, name string) (storetest.Store, error) {
			return postgres.Open(ctx, name)
		},
		Size: func(ctx context.Context, s storetest.Store) (int64, error) {
			// Tables with their indexes and TOAST, in the test's schema.
			var n int64
			err := s.DB().QueryRowContext(ctx, `SELECT COALESCE(SUM(pg_total_relation_size(c.oid)), 0)::bigint FROM pg_class c
				JOIN pg_namespace ns ON ns.oid = c.relnamespace WHERE ns.nspname = current_schema() AND c.relkind = 'r'`).Scan(&n)
			return n, err
		},
	})
}

// TestUnreachable: a server that does not answer gives one line naming
// the store without its password.
func TestUnreachable(t *testing.T) {
	_, err := postgres.Open(t.Context(), "postgres://customs:s3cret@127.0.0.1:1/customs?connect_timeout=2")
	if err == nil {
		t.Fatal("opened a store on port 1")
	}
	msg := err.Error()
	if strings.Contains(msg, "s3cret") || !strings.Contains(msg, "127.0.0.1:1") || strings.Contains(msg, "\n") || !strings.Contains(msg, "check the host") {
		t.Errorf("error %q: want one line naming the store, saying what to check, without the password", msg)
	}
}
