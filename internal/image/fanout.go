package image

import (
	"cmp"
	"context"
	"slices"

	v1 "github.com/google/go-containerregistry/pkg/v1"
	"golang.org/x/sync/errgroup"
)

// fanOut calls fn for items 0..n-1 in that order, at most limit at once.
// The first error cancels the context the others were given, no call
// starts after it, and it is what fanOut returns once every call has
// ended. With limit 1 the calls run one after another.
func fanOut(ctx context.Context, limit, n int, fn func(ctx context.Context, i int) error) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(max(limit, 1))
	for i := range n {
		if gctx.Err() != nil {
			break
		}
		// Go blocks while limit calls are running; a failed call
		// cancels gctx before it frees its slot, so the check at the
		// top of the next call sees the failure.
		g.Go(func() error {
			if err := gctx.Err(); err != nil {
				return err
			}
			return fn(gctx, i)
		})
	}
	if err := g.Wait(); err != nil {
		return err
	}
	return ctx.Err()
}

// largestFirst sorts items by size, largest first, keeping the order of
// equal sizes: the longest job starts first, so the last one to finish
// is short. Items are reordered only when several run at once.
func largestFirst[T any](items []T, limit int, size func(T) int64) {
	if limit <= 1 {
		return
	}
	slices.SortStableFunc(items, func(a, b T) int { return cmp.Compare(size(b), size(a)) })
}

// distinctLayers returns the manifest's layer descriptors without repeats
// (an image may hold the same blob twice; it is handed out once), in the
// order they are to be read.
func distinctLayers(ls []v1.Descriptor, limit int) []v1.Descriptor {
	seen := make(map[v1.Hash]bool, len(ls))
	out := make([]v1.Descriptor, 0, len(ls))
	for _, l := range ls {
		if !seen[l.Digest] {
			seen[l.Digest] = true
			out = append(out, l)
		}
	}
	largestFirst(out, limit, func(d v1.Descriptor) int64 { return d.Size })
	return out
}
