// Package ubuntu imports the Ubuntu CVE Tracker in its native form: a
// checkout of ubuntu-cve-tracker with one RFC 822-like file per CVE in
// active/, retired/ and ignored/ (https://git.launchpad.net/ubuntu-cve-tracker,
// format described in its README and scripts/cve_lib.py).
package ubuntu

import (
	"compress/gzip"
	"context"
	"fmt"
	"io"
	"os"
	"path"
	"path/filepath"
	"strings"

	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/customs-scanner/customs/internal/vulndb/feeds/errlist"
	"github.com/customs-scanner/customs/internal/vulndb/feeds/feedio"
)

// Source is the Advisory.Source of every advisory this package produces.
const Source = "ubuntu-tracker"

// Subdirs are the tracker directories Import reads, in this order.
var Subdirs = []string{"active", "retired", "ignored"}

// Import reads an ubuntu-cve-tracker checkout at dir and adds one advisory
// per CVE file to sink (see Parse for the mapping). Each of active/,
// retired/ and ignored/ is read from the directory, or, where the directory
// is absent, from NAME.tar.gz beside it (a gzipped tar of the directory, as
// the retired/ tree is sometimes shipped). Only files named like a candidate
// (CVE-2020-1967) are read: 00boilerplate*, not-for-us.txt and README are
// not records. A missing subdirectory is skipped; none at all is an error.
//
// It returns the number of advisories passed to sink.Add. Files it cannot
// parse, and lines it skips, are reported as *errlist.FileError in the returned
// error (errors.Join'ed, the first 100 kept) beside the count. An unreadable
// dir or archive, a sink error or a cancelled ctx stop the import.
func Import(ctx context.Context, dir string, sink vulndb.Sink) (int, error) {
	st, err := os.Stat(dir)
	if err != nil {
		return 0, fmt.Errorf("import ubuntu tracker: %w", err)
	}
	if !st.IsDir() {
		return 0, fmt.Errorf("import ubuntu tracker: %s is not a directory", dir)
	}
	imp := &importer{sink: sink, errs: errlist.List{Noun: "tracker files with problems"}}
	found := 0
	for _, sub := range Subdirs {
		p := filepath.Join(dir, sub)
		if st, err := os.Stat(p); err == nil && st.IsDir() {
			found++
			if err := imp.dir(ctx, p); err != nil {
				return imp.added, fmt.Errorf("import ubuntu tracker %s: %w", p, err)
			}
			continue
		}
		tgz := p + ".tar.gz"
		if _, err := os.Stat(tgz); err != nil {
			continue
		}
		found++
		if err := imp.tarball(ctx, tgz); err != nil {
			return imp.added, fmt.Errorf("import ubuntu tracker %s: %w", tgz, err)
		}
	}
	if found == 0 {
		return 0, fmt.Errorf("import ubuntu tracker: no %s under %s", strings.Join(Subdirs, ", "), dir)
	}
	return imp.added, imp.err()
}

type importer struct {
	sink  vulndb.Sink
	added int
	errs  errlist.List
}

func (imp *importer) warn(path string, err error) {
	imp.errs.Add(&errlist.FileError{Path: path, Err: err})
}

func (imp *importer) err() error { return imp.errs.Err() }

// IsRecordName tells whether a file name is a tracker record: a candidate
// ID such as CVE-2020-1967.
func IsRecordName(name string) bool {
	return strings.HasPrefix(name, "CVE-") && cveRE.MatchString(name)
}

func (imp *importer) dir(ctx context.Context, dir string) error {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return err
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return err
		}
		if !e.Type().IsRegular() || !IsRecordName(e.Name()) {
			continue
		}
		p := filepath.Join(dir, e.Name())
		data, err := feedio.ReadFile(p, maxFileSize)
		if err != nil {
			imp.warn(p, err)
			continue
		}
		if err := imp.record(ctx, p, data); err != nil {
			return err
		}
	}
	return nil
}

// tarball reads the records of a gzipped tar, in archive order.
func (imp *importer) tarball(ctx context.Context, p string) error {
	f, err := os.Open(p)
	if err != nil {
		return err
	}
	defer f.Close()
	zr, err := gzip.NewReader(f)
	if err != nil {
		return err
	}
	defer zr.Close()
	return imp.tarStream(ctx, p, zr)
}

// tarStream reads the records of a tar stream, in archive order.
func (imp *importer) tarStream(ctx context.Context, p string, r io.Reader) error {
	want := func(name string) bool { return IsRecordName(path.Base(name)) }
	return feedio.Tar(ctx, r, maxFileSize, want, func(name string, data []byte, err error) error {
		if err != nil {
			imp.warn(p+"!"+name, err)
			return nil
		}
		return imp.record(ctx, p+"!"+name, data)
	})
}

// record parses one file and hands its advisory to the sink; only a sink
// error is returned.
func (imp *importer) record(ctx context.Context, name string, data []byte) error {
	adv, err := Parse(data)
	if err != nil {
		imp.warn(name, err)
	}
	if adv == nil {
		return nil
	}
	if err := imp.sink.Add(ctx, adv); err != nil {
		return fmt.Errorf("add %s: %w", adv.ID, err)
	}
	imp.added++
	return nil
}
