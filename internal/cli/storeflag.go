package cli

import (
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"time"

	"github.com/spf13/cobra"

	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/store"
	"github.com/customs-scanner/customs/internal/store/backend"
	"github.com/customs-scanner/customs/internal/target"
)

// storeDSN returns the store: --store, else $CUSTOMS_STORE, else the
// config file's store key; "" when none is configured.
func (g *globals) storeDSN() (string, error) {
	if g.store != "" {
		return g.store, nil
	}
	if s := os.Getenv("CUSTOMS_STORE"); s != "" {
		return s, nil
	}
	cfg, err := g.config()
	if err != nil {
		return "", err
	}
	return cfg.Store, nil
}

// errNoStore is the error of a command that needs a store and has none.
var errNoStore = errors.New("no store: give --store DSN (a SQLite file, or postgres://USER@HOST/DB), set $CUSTOMS_STORE, or set store in the config file")

// needStore returns the configured store's DSN, checked, or errNoStore.
func (g *globals) needStore() (string, error) {
	dsn, err := g.storeDSN()
	if err != nil {
		return "", err
	}
	if dsn == "" {
		return "", errNoStore
	}
	if _, err := store.ParseDSN(dsn); err != nil {
		return "", err
	}
	return dsn, nil
}

// openStore opens the configured store.
func (g *globals) openStore(ctx context.Context) (store.Store, error) {
	dsn, err := g.needStore()
	if err != nil {
		return nil, err
	}
	return backend.Open(ctx, dsn)
}

// pendingStore is a store being opened while the scan runs, so that
// connecting to it (a PostgreSQL round trip or several, migrations checked)
// adds nothing to the scan's time.
type pendingStore struct {
	done  chan struct{}
	st    store.Store
	err   error
	start time.Time
	took  time.Duration
}

// openStoreAsync starts opening the store dsn.
func openStoreAsync(ctx context.Context, dsn string) *pendingStore {
	p := &pendingStore{done: make(chan struct{}), start: time.Now()}
	go func() {
		defer close(p.done)
		p.st, p.err = backend.Open(ctx, dsn)
		p.took = time.Since(p.start)
	}()
	return p
}

// wait returns the opened store.
func (p *pendingStore) wait() (store.Store, error) {
	<-p.done
	return p.st, p.err
}

// close closes the store once it is open.
func (p *pendingStore) close() {
	if st, err := p.wait(); err == nil {
		st.Close()
	}
}

// recordScan records the report of `customs scan ref` in the store p is
// opening (dsn): an image, or for a root filesystem (dir:PATH) the host
// whose root it is. It prints one line to stderr; the report itself went
// to stdout.
func recordScan(cmd *cobra.Command, g *globals, p *pendingStore, dsn, ref string, r *report.Report) error {
	start := time.Now()
	in := store.Input{Report: r}
	if root, ok := rootOf(ref, r); ok {
		hostname := ""
		if filepath.Clean(root) == "/" {
			hostname, _ = os.Hostname()
		}
		h, err := store.HostOf(os.DirFS(root), hostname)
		if err != nil {
			return fmt.Errorf("record %s: %w", ref, err)
		}
		in.Host = h
	}
	st, err := p.wait()
	if err != nil {
		return err
	}
	opened := time.Now()
	rec, err := st.Record(cmd.Context(), in)
	if err != nil {
		return fmt.Errorf("record %s: %w", ref, err)
	}
	// open is how long opening took (during the scan), waited how much
	// of it the scan did not hide; took is what recording added.
	g.logger().Debug("recorded", "subject", rec.Subject.Digest, "snapshot", rec.Snapshot, "new", rec.New,
		"open", p.took, "waited", opened.Sub(start), "record", time.Since(opened), "took", time.Since(start))
	d, _ := store.ParseDSN(dsn)
	if rec.New {
		fmt.Fprintf(cmd.ErrOrStderr(), "customs: recorded %s %s as snapshot %d in %s\n", rec.Subject.Kind, rec.Subject.Name, rec.Snapshot, d)
	} else {
		fmt.Fprintf(cmd.ErrOrStderr(), "customs: %s %s unchanged since snapshot %d in %s\n", rec.Subject.Kind, rec.Subject.Name, rec.Snapshot, d)
	}
	return nil
}

// rootOf returns the directory a scan of ref read as a root filesystem,
// which is recorded as a host.
func rootOf(ref string, r *report.Report) (string, bool) {
	t := target.Parse(ref)
	switch t.Kind {
	case target.Dir, target.Rootfs:
		return t.Name, true
	case target.Auto:
		if r.Target.Kind == string(target.Dir) {
			return t.Name, true
		}
	}
	return "", false
}
