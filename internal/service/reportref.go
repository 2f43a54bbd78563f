package service

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"time"

	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/scan"
	"github.com/customs-scanner/customs/internal/store"
)

// JudgeWindow is how long a judgement of a stored report stands when the
// gate depends on the time (a policy, exceptions that expire, VEX
// documents attached in the registry): ReportRef changes every
// JudgeWindow, so an answer cached by it is at most that old.
const JudgeWindow = time.Minute

// ReportRef names one judged report without reading it: the snapshot, the
// build of the DB its findings were last matched against (a re-evaluation
// that finds nothing new changes it in place), and the judgement (the
// gate's hash, customs' version, the time window of a time-dependent
// gate). Two equal refs name equal reports, so a front end can derive
// its ETag and cache key from one.
type ReportRef struct {
	Snapshot int64
	DBBuilt  time.Time
	// Judged identifies the gate and customs' version, and the
	// JudgeWindow when the gate depends on the time.
	Judged string
}

// Key is the ref as a string, a cache key.
func (r ReportRef) Key() string {
	return fmt.Sprintf("%d\x00%s\x00%s", r.Snapshot, r.DBBuilt.UTC().Format(time.RFC3339Nano), r.Judged)
}

// ReportRef returns the ref of the report Report would return for digest
// now, from the snapshot's head (store.Fleet.ReportHead: no packages or
// findings are read). ErrNotFound when the store holds no such image.
func (s *Service) ReportRef(ctx context.Context, digest string) (ReportRef, error) {
	h, err := s.cfg.Store.ReportHead(ctx, digest)
	if errors.Is(err, store.ErrNotFound) {
		return ReportRef{}, ErrNotFound
	}
	if err != nil {
		return ReportRef{}, err
	}
	return s.refOf(h), nil
}

// ReportOf reads the snapshot ref names and judges it with the service's
// gate, as Report does, and returns the ref of what it read: the
// snapshot's DB build may have moved since ref was taken.
func (s *Service) ReportOf(ctx context.Context, ref ReportRef) (*report.Report, ReportRef, error) {
	sr, err := s.cfg.Store.SnapshotReport(ctx, ref.Snapshot)
	if errors.Is(err, store.ErrNotFound) {
		return nil, ReportRef{}, ErrNotFound
	}
	if err != nil {
		return nil, ReportRef{}, err
	}
	got := s.refOf(sr)
	if err := s.judge(ctx, sr.Report); err != nil {
		return nil, ReportRef{}, err
	}
	return sr.Report, got, nil
}

func (s *Service) refOf(sr *store.StoredReport) ReportRef {
	judged := s.judged
	if s.timeDependent {
		judged += "@" + s.cfg.Now().UTC().Truncate(JudgeWindow).Format(time.RFC3339)
	}
	return ReportRef{Snapshot: sr.Snapshot, DBBuilt: sr.DBBuilt, Judged: judged}
}

// judge applies the service's gate to a stored report.
func (s *Service) judge(ctx context.Context, r *report.Report) error {
	if g := s.cfg.Scan.Gate; g != nil {
		return scan.Judge(ctx, r, scan.Options{Gate: g, Now: s.cfg.Now})
	}
	return nil
}

// judgement returns what ReportRef.Judged holds for cfg, and whether the
// gate's judgement depends on the time. A gate without Config.GateHash
// gets a random identity: its refs hold in this process only.
func judgement(cfg Config) (string, bool) {
	h := sha256.New()
	fmt.Fprintf(h, "version=%s\x00", cfg.Version)
	g := cfg.Scan.Gate
	switch {
	case g == nil:
		h.Write([]byte("no gate"))
	case cfg.GateHash != "":
		fmt.Fprintf(h, "gate=%s", cfg.GateHash)
	default:
		fmt.Fprintf(h, "process gate=%s", rand.Text())
	}
	timed := g != nil && (g.Policy != nil || len(g.Exceptions) > 0 || g.VEXReferrers)
	return hex.EncodeToString(h.Sum(nil)[:12]), timed
}
