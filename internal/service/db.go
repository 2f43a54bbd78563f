package service

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"time"

	"github.com/customs-scanner/customs/internal/scan"
	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/customs-scanner/customs/internal/vulndb/sqlite"
)

// DBInfo describes the vulnerability DB the workers of this process use.
type DBInfo struct {
	Path          string              `json:"path"`
	SchemaVersion int                 `json:"schemaVersion"`
	Built         time.Time           `json:"built"`
	Age           time.Duration       `json:"-"`
	Sources       []vulndb.SourceInfo `json:"sources"`
	Advisories    int                 `json:"advisories"`
}

// ErrNoDB is DB's error when the configured DB file is missing.
var ErrNoDB = errors.New("no vulnerability DB")

// DB describes the vulnerability DB, read again whenever its file changed
// (db update renames a new file into place).
func (s *Service) DB(ctx context.Context) (DBInfo, error) {
	path := s.cfg.Scan.DBPath
	if path == "" {
		return DBInfo{}, fmt.Errorf("%w: the service runs without one", ErrNoDB)
	}
	st, err := os.Stat(path)
	if errors.Is(err, fs.ErrNotExist) {
		return DBInfo{}, fmt.Errorf("%w at %s", ErrNoDB, path)
	}
	if err != nil {
		return DBInfo{}, err
	}
	s.dbMu.Lock()
	defer s.dbMu.Unlock()
	if s.dbStat == nil || !os.SameFile(s.dbStat, st) || !st.ModTime().Equal(s.dbStat.ModTime()) || st.Size() != s.dbStat.Size() {
		db, err := sqlite.Open(ctx, path)
		if err != nil {
			return DBInfo{}, err
		}
		info, err := db.Info(ctx)
		db.Close()
		if err != nil {
			return DBInfo{}, err
		}
		s.dbInfo = DBInfo{Path: path, SchemaVersion: info.SchemaVersion, Built: info.Built.UTC(), Sources: info.Sources, Advisories: info.Advisories}
		s.dbStat = st
	}
	d := s.dbInfo
	d.Age = s.cfg.Now().Sub(d.Built)
	return d, nil
}

// Ready reports whether the service can answer: the store is reachable,
// the DB is there and not older than the scans' DBMaxAge.
func (s *Service) Ready(ctx context.Context) error {
	if _, err := s.cfg.Store.Due(ctx, s.cfg.Now(), 1); err != nil {
		return fmt.Errorf("store: %w", err)
	}
	if err := s.q.ping(ctx); err != nil {
		return fmt.Errorf("queue: %w", err)
	}
	if s.cfg.Scan.DBPath == "" {
		return nil
	}
	d, err := s.DB(ctx)
	if err != nil {
		return err
	}
	maxAge := s.cfg.Scan.DBMaxAge
	if maxAge == 0 {
		maxAge = scan.DefaultDBMaxAge
	}
	if d.Age > maxAge {
		return fmt.Errorf("the vulnerability DB was built %s ago, more than %s", d.Age.Round(time.Minute), maxAge)
	}
	return nil
}
