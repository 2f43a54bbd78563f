package reevaluate

import (
	"context"

	"github.com/customs-scanner/customs/internal/store"
)

// RunEach is Run with every subject of a full re-evaluation re-matched
// and recorded by one, as --full did before it matched each package row
// once: what the tests hold it to.
func RunEach(ctx context.Context, st store.Store, opts Options) (Result, error) {
	opts.each = true
	return Run(ctx, st, opts)
}
