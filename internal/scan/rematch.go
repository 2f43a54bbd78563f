package scan

import (
	"context"
	"errors"
	"io/fs"
	"os"

	"github.com/customs-scanner/customs/internal/report"
)

// Rematch replaces r's findings by matching the packages r holds against
// the DB at opts.DBPath, without reading the target: re-evaluation of an
// inventory kept in the store. The gate is not applied.
func Rematch(ctx context.Context, r *report.Report, opts Options) error {
	if opts.DBPath == "" {
		return errors.New("rematch: no vulnerability DB given")
	}
	if _, err := os.Stat(opts.DBPath); errors.Is(err, fs.ErrNotExist) {
		return &NoDBError{Path: opts.DBPath}
	}
	r.Findings = nil
	if err := matchReport(ctx, r, opts); err != nil {
		return err
	}
	r.Summarize()
	return nil
}
