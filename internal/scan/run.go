package scan

import (
	"context"
	"errors"
	"io/fs"
	"os"
	"time"

	"github.com/customs-scanner/customs/internal/image"

	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/target"
)

// DefaultDBMaxAge is how old a DB may be before a scan tells it is stale.
const DefaultDBMaxAge = 7 * 24 * time.Hour

// NoDBError is Run's error when Options.DBPath names no file: a front end
// says how to get a DB.
type NoDBError struct {
	Path string
}

func (e *NoDBError) Error() string { return "no vulnerability DB at " + e.Path }

// Run is the pipeline, one call for every front end: it reads the target
// (or takes its layers from the cache), matches the inventory against the
// DB, tells Handler.StaleDB when the DB is older than Options.DBMaxAge,
// and applies the gate (Judge), whose verdict the report carries.
func Run(ctx context.Context, t target.Ref, opts Options) (*report.Report, error) {
	if err := image.Check(t); err != nil {
		return nil, err
	}
	if opts.DBPath != "" {
		if _, err := os.Stat(opts.DBPath); errors.Is(err, fs.ErrNotExist) {
			return nil, &NoDBError{Path: opts.DBPath}
		}
	}
	r, err := inspect(ctx, t, opts)
	if err != nil {
		return nil, err
	}
	if r.DB != nil {
		maxAge := opts.DBMaxAge
		if maxAge == 0 {
			maxAge = DefaultDBMaxAge
		}
		if age := opts.now()().Sub(r.DB.Built); age > maxAge {
			opts.handler().StaleDB(StaleDB{Built: r.DB.Built, Age: age, MaxAge: maxAge})
		}
	}
	if err := Judge(ctx, r, opts); err != nil {
		return nil, err
	}
	return r, nil
}

// Scan is Run of the TARGET ref, parsed with target.Parse.
func Scan(ctx context.Context, ref string, opts Options) (*report.Report, error) {
	return Run(ctx, target.Parse(ref), opts)
}
