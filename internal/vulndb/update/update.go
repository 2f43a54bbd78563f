// Package update keeps local copies of the upstream advisory feeds current
// and rebuilds the vulnerability DB from them when any changed.
//
// Each feed (see Feeds) is downloaded into CACHE_DIR/feeds/<name>/ with
// conditional requests (ETag / Last-Modified kept in a sidecar file,
// .feed.json), retries with exponential backoff on network errors, 429 and
// 5xx (honouring Retry-After), an idle timeout and a size limit. New
// content is written to a temporary file and renamed into place only once
// it is complete.
//
// The DB is rebuilt in full from all local copies with build.Build (not
// incrementally) when a feed's content changed, the set of feeds changed, or
// the DB is missing or was replaced since the last update. If the build
// fails, the previous copies of the changed feeds are put back and the
// previous DB stays in place.
package update

import (
	"context"
	"errors"
	"fmt"
	"log/slog"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"time"

	"golang.org/x/sync/errgroup"

	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/customs-scanner/customs/internal/vulndb/build"
	"github.com/customs-scanner/customs/internal/vulndb/sqlite"
)

// Progress receives download progress, for a progress bar. Calls may come
// from several goroutines at once.
type Progress interface {
	// Download reports done bytes of total (-1 when unknown) for one file.
	Download(feed, file string, done, total int64)
	// Fetched reports the end of one file's fetch.
	Fetched(feed, file string, o Outcome, err error)
	// Building reports that the DB is being rebuilt from n sources.
	Building(n int)
}

type noProgress struct{}

func (noProgress) Download(string, string, int64, int64)  {}
func (noProgress) Fetched(string, string, Outcome, error) {}
func (noProgress) Building(int)                           {}

// Defaults for Options' zero fields.
const (
	DefaultAttempts = 5
	DefaultBackoff  = time.Second
	DefaultMaxWait  = 2 * time.Minute
	DefaultTimeout  = 60 * time.Second
	DefaultMaxSize  = 2 << 30
	DefaultParallel = 4
)

// Options configure Update. Zero fields take the defaults above.
type Options struct {
	// CacheDir holds the feeds' local copies under CacheDir/feeds.
	CacheDir string
	// DBPath is the DB file to rebuild.
	DBPath string
	// Feeds are the feeds to update and build from (see Feeds, Select).
	Feeds []Feed
	// Force rebuilds the DB even when nothing changed.
	Force bool
	// Replace builds the DB from Feeds alone, dropping the sources of the
	// previous DB that none of them refreshes; by default they are kept.
	Replace bool

	Client    *http.Client
	UserAgent string
	// Attempts is how many times one file is tried.
	Attempts int
	// Backoff is the first retry's wait; it doubles on each retry, with
	// jitter, up to MaxWait, which also caps a server's Retry-After.
	Backoff, MaxWait time.Duration
	// Timeout is how long a request may go without a response or without
	// receiving bytes.
	Timeout time.Duration
	// MaxSize bounds one download, as sent and as stored.
	MaxSize int64
	// Parallel is how many files are downloaded at once.
	Parallel int
	// NVDAPIKey is sent to NVD's API, which then allows requests 0.6 s
	// apart instead of 6 s.
	NVDAPIKey string

	Log      *slog.Logger
	Progress Progress
	// Now, Sleep and Jitter (a number in [0, 1)) are the clock, the wait and
	// the randomness, for tests.
	Now    func() time.Time
	Sleep  func(ctx context.Context, d time.Duration) error
	Jitter func() float64
}

// FeedResult is what happened to one feed.
type FeedResult struct {
	Name, Kind string
	// Path is the build source path of the local copy.
	Path string
	// Outcome is Downloaded if any file changed, Unchanged if all were
	// current, Failed if any file could not be fetched.
	Outcome Outcome
	// Err says why files could not be fetched; the previous copies of those
	// files, if any, are used.
	Err error
	// Usable is true when a local copy exists (new or previous) and went
	// into the DB.
	Usable bool
	// Skipped is why the feed was not fetched at all (a kind this build of
	// customs cannot import).
	Skipped string
	// Previous is when the local copy in use was downloaded, for a feed
	// that failed and went into the DB from an earlier copy; zero when
	// some of its files are new.
	Previous time.Time
	// Kept is set when the feed had no usable copy but the previous DB
	// held it: its records were carried over (see Result.Kept).
	Kept bool
}

// Result is the outcome of Update.
type Result struct {
	Feeds []FeedResult
	// Rebuilt is true when a new DB was built; Info describes the DB in place.
	Rebuilt bool
	Info    vulndb.Info
	// Kept are the sources of the previous DB that no feed of this update
	// refreshed (those of db build, feeds not selected this time, feeds
	// without a usable copy): an update never drops what the DB held.
	Kept []KeptSource
}

// Missing returns the feeds that have no usable local copy, were not
// skipped and were not kept from the previous DB: an enabled feed that is
// in no DB.
func (r *Result) Missing() []string {
	var out []string
	for _, f := range r.Feeds {
		if !f.Usable && f.Skipped == "" && !f.Kept {
			out = append(out, f.Name)
		}
	}
	return out
}

// ErrBusy is wrapped by Update's error when another update of the same
// cache directory is running.
var ErrBusy = errors.New("another update of these feeds is running")

type updater struct {
	opt Options
	log *slog.Logger

	// unreachable holds the hosts found unreachable (see unreachable),
	// with why.
	mu          sync.Mutex
	unreachable map[string]error
}

// feedWork is one feed during an update.
type feedWork struct {
	feed  Feed
	dir   string
	prev  *feedState
	next  *feedState
	res   *FeedResult
	got   []*fetched // by file index; nil when nothing new
	outs  []Outcome
	errs  []error
	moved []string // files whose previous copy is in a backup
	// tree is an Untar feed's newly extracted tree (or an NVD feed's full
	// sync), not yet in place; extracted is set once it is.
	tree      string
	extracted bool
	// nvd is an NVDAPI feed's sync, nvdErr why it failed.
	nvd    *nvdSync
	nvdErr error
}

// Update downloads the feeds that changed upstream and rebuilds the DB when
// needed. A feed that cannot be downloaded keeps its previous local copy
// (reported in its FeedResult.Err); one with no copy at all is left out of
// the DB (see Result.Missing). Update returns an error, and leaves the
// previous DB and feed copies in place, when ctx is cancelled, no feed has
// a usable copy, or the build fails.
func Update(ctx context.Context, opt Options) (*Result, error) {
	u := &updater{opt: withDefaults(opt)}
	u.log = u.opt.Log
	if len(opt.Feeds) == 0 {
		return nil, errors.New("update vulnerability DB: no feeds")
	}
	root := FeedsDir(opt.CacheDir)
	if err := os.MkdirAll(root, 0o755); err != nil {
		return nil, fmt.Errorf("update vulnerability DB: %w", err)
	}
	unlock, err := lock(filepath.Join(root, ".lock"))
	if err != nil {
		return nil, fmt.Errorf("update vulnerability DB: %w", err)
	}
	defer unlock()
	build.RemoveStale(opt.DBPath, u.log)
	var works []*feedWork
	res := &Result{}
	names := map[string]bool{}
	for _, f := range opt.Feeds {
		if names[f.Name] {
			return nil, fmt.Errorf("update vulnerability DB: feed %s given twice", f.Name)
		}
		names[f.Name] = true
		fr := FeedResult{Name: f.Name, Kind: f.Kind, Outcome: Unchanged}
		if _, err := build.ParseSource(f.Kind + "=" + f.Name); err != nil {
			fr.Skipped = fmt.Sprintf("this build of customs cannot import %q feeds yet", f.Kind)
			res.Feeds = append(res.Feeds, fr)
			continue
		}
		if err := checkName(f.Name); err != nil || (len(f.Files) == 0 && !f.NVDAPI) {
			return nil, fmt.Errorf("update vulnerability DB: feed %q: bad name or no files", f.Name)
		}
		for _, file := range f.Files {
			if err := checkName(file.Name); err != nil {
				return nil, fmt.Errorf("update vulnerability DB: feed %s: %w", f.Name, err)
			}
		}
		dir := filepath.Join(root, f.Name)
		if err := os.MkdirAll(dir, 0o755); err != nil {
			return nil, fmt.Errorf("update vulnerability DB: %w", err)
		}
		cleanLeftovers(dir)
		prev, err := loadState(dir)
		if err != nil {
			u.log.Warn("feed state unreadable; downloading again", "feed", f.Name, "error", err)
		}
		switch {
		case f.NVDAPI:
			fr.Path = filepath.Join(dir, treeDir)
		case f.Unpack == Untar:
			if len(f.Files) != 1 {
				return nil, fmt.Errorf("update vulnerability DB: feed %s: an archive feed has one file", f.Name)
			}
			fr.Path = filepath.Join(dir, treeDir)
		case len(f.Files) == 1:
			fr.Path = filepath.Join(dir, f.Files[0].Name)
		default:
			fr.Path = dir
		}
		res.Feeds = append(res.Feeds, fr)
		works = append(works, &feedWork{
			feed: f, dir: dir, prev: prev,
			got: make([]*fetched, len(f.Files)), outs: make([]Outcome, len(f.Files)), errs: make([]error, len(f.Files)),
		})
	}
	if len(works) == 0 {
		return res, fmt.Errorf("update vulnerability DB: this build of customs cannot import any of the selected feeds (%s)", skippedKinds(res))
	}
	for i, j := 0, 0; i < len(res.Feeds); i++ {
		if res.Feeds[i].Skipped == "" {
			works[j].res = &res.Feeds[i]
			j++
		}
	}

	if err := u.fetchAll(ctx, works); err != nil {
		discard(works)
		return nil, fmt.Errorf("update vulnerability DB: %w", err)
	}

	// Decide what the new state of each feed is and whether the DB is current.
	changed := false
	digests := map[string]string{}
	for _, w := range works {
		if w.feed.Unpack == Untar {
			u.extractTree(ctx, w)
		}
		w.next = &feedState{Feed: w.feed.Name, Kind: w.feed.Kind, Path: w.res.Path, Files: map[string]*fileState{}}
		if w.feed.NVDAPI {
			if !u.decideNVD(w) {
				continue
			}
			if w.res.Outcome == Downloaded {
				changed = true
			}
			digests[w.feed.Name] = w.next.digest()
			continue
		}
		var errs []error
		for i, file := range w.feed.Files {
			old := w.prev.Files[file.Name]
			switch w.outs[i] {
			case Downloaded:
				w.res.Outcome = maxOutcome(w.res.Outcome, Downloaded)
				w.next.Files[file.Name] = &w.got[i].state
			case Unchanged:
				st := *old
				st.Checked = u.opt.Now().UTC()
				if g := w.got[i]; g != nil { // same bytes, new validators
					st.ETag, st.LastModified, st.URL = g.state.ETag, g.state.LastModified, g.state.URL
				}
				w.next.Files[file.Name] = &st
			case Failed:
				errs = append(errs, w.errs[i])
				if old != nil {
					w.next.Files[file.Name] = old
				}
			}
		}
		if len(errs) > 0 {
			w.res.Outcome = Failed
			w.res.Err = errors.Join(errs...)
			if len(errs) > 1 { // each is logged at debug level by fetchAll
				w.res.Err = fmt.Errorf("%d of %d files failed, the first: %w", len(errs), len(w.feed.Files), errs[0])
			}
			var ue *UnreachableError
			if errors.As(errs[0], &ue) && len(errs) == len(w.feed.Files) {
				w.res.Err = ue // the host says it all
			}
		}
		w.res.Usable = len(w.next.Files) > 0
		if !w.res.Usable {
			continue
		}
		if w.res.Outcome == Failed {
			w.res.Previous = previousCopy(w)
		}
		if w.res.Outcome == Downloaded || (w.res.Outcome == Failed && hasDownload(w)) || w.tree != "" {
			changed = true
		}
		digests[w.feed.Name] = w.next.digest()
	}
	prev := u.previous(ctx)
	sources := u.sources(works, prev, res)
	if len(digests) == 0 {
		// Nothing to refresh from: the previous DB, if any, stays whole
		// (its feeds are marked Kept); nothing else was done.
		discard(works)
		res.Info, res.Kept = prev.info, nil
		return res, &NothingError{Feeds: len(works), DB: prev.info.Path, Unreachable: u.unreachableHosts(), First: firstErr(res)}
	}
	// The build record names the kept sources too: keeping another set
	// (or none, with Replace) makes another DB.
	for _, k := range res.Kept {
		digests["kept "+k.Kind+"="+k.Path] = "kept"
	}

	// Put new files in place, keeping the previous copies until the build
	// succeeds; sidecars are written in any case (304s refresh Checked).
	if err := u.install(works); err != nil {
		u.rollback(works)
		return res, fmt.Errorf("update vulnerability DB: %w", err)
	}

	if !changed && !opt.Force {
		if info, ok := u.current(ctx, root, digests); ok {
			res.Info = info
			u.commit(works)
			return res, nil
		}
	}
	u.opt.Progress.Building(len(sources))
	built, err := build.Rebuild(ctx, opt.DBPath, sources, u.log)
	var partial *build.PartialError
	if err != nil && !errors.As(err, &partial) {
		u.rollback(works)
		return res, err
	}
	// A partial build installed a DB without the feeds it could not
	// import; it is reported, and the next update builds again.
	// A feed whose new copy could not be imported went in from the
	// previous DB; its new copy goes, so the next update fetches it again.
	var failed, ok []*feedWork
	for _, w := range works {
		i := slices.IndexFunc(built.Copied, func(c build.Copied) bool { return c.Source.Path == w.res.Path && c.Source.Kind == w.feed.Kind })
		if i < 0 || !w.res.Usable {
			ok = append(ok, w)
			continue
		}
		failed = append(failed, w)
		w.res.Outcome, w.res.Err, w.res.Previous = Failed, built.Copied[i].Why, time.Time{}
		delete(digests, w.feed.Name)
	}
	u.rollback(failed)
	u.commit(ok)
	res.Rebuilt, res.Info = true, built.Info
	res.noteCopied(built.Copied)
	if partial != nil {
		return res, err
	}
	rec := buildRecord{DB: absPath(opt.DBPath), Built: built.Info.Built, Feeds: digests}
	if err := writeJSON(filepath.Join(root, buildFile), rec); err != nil {
		u.log.Warn("record DB build", "error", err)
	}
	return res, nil
}

func withDefaults(o Options) Options {
	if o.Client == nil {
		o.Client = &http.Client{}
	}
	if o.UserAgent == "" {
		o.UserAgent = "customs (vulnerability DB update)"
	}
	if o.Attempts <= 0 {
		o.Attempts = DefaultAttempts
	}
	if o.Backoff <= 0 {
		o.Backoff = DefaultBackoff
	}
	if o.MaxWait <= 0 {
		o.MaxWait = DefaultMaxWait
	}
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.MaxSize <= 0 {
		o.MaxSize = DefaultMaxSize
	}
	if o.Parallel <= 0 {
		o.Parallel = DefaultParallel
	}
	if o.Log == nil {
		o.Log = slog.New(slog.DiscardHandler)
	}
	if o.Progress == nil {
		o.Progress = noProgress{}
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	if o.Sleep == nil {
		o.Sleep = sleep
	}
	if o.Jitter == nil {
		o.Jitter = defaultJitter
	}
	return o
}

// fetchAll fetches every file of every feed, Parallel at a time. A file that
// fails is recorded in its feed; only a cancelled ctx is an error.
func (u *updater) fetchAll(ctx context.Context, works []*feedWork) error {
	g, gctx := errgroup.WithContext(ctx)
	g.SetLimit(u.opt.Parallel)
	for _, w := range works {
		if w.feed.NVDAPI {
			g.Go(func() error {
				_, err := os.Stat(filepath.Join(w.dir, treeDir))
				w.nvd, w.nvdErr = u.syncNVD(gctx, w.feed, w.dir, w.prev.NVD, err == nil)
				out := Downloaded
				if w.nvdErr != nil {
					out = Failed
				}
				u.opt.Progress.Fetched(w.feed.Name, "api", out, w.nvdErr)
				return nil
			})
			continue
		}
		for i, file := range w.feed.Files {
			g.Go(func() error {
				out, got, err := u.fetchFile(gctx, w.feed, file, w.dir, w.prev.Files[file.Name])
				w.outs[i], w.got[i], w.errs[i] = out, got, err
				u.opt.Progress.Fetched(w.feed.Name, file.Name, out, err)
				if err != nil {
					u.log.Debug("fetch failed", "feed", w.feed.Name, "file", file.Name, "error", err)
				}
				return nil
			})
		}
	}
	g.Wait()
	return ctx.Err()
}

// install renames downloaded files into place, moving each previous copy to
// a backup, and writes the sidecars.
func (u *updater) install(works []*feedWork) error {
	for _, w := range works {
		for i, file := range w.feed.Files {
			g := w.got[i]
			if g == nil || g.tmp == "" {
				continue
			}
			dst := filepath.Join(w.dir, file.Name)
			if err := os.Rename(dst, backupName(w.dir, file.Name)); err == nil {
				w.moved = append(w.moved, file.Name)
			} else if !errors.Is(err, os.ErrNotExist) {
				return fmt.Errorf("feed %s: back up %s: %w", w.feed.Name, file.Name, err)
			}
			if err := os.Rename(g.tmp, dst); err != nil {
				return fmt.Errorf("feed %s: install %s: %w", w.feed.Name, file.Name, err)
			}
			g.tmp = ""
			fi, err := os.Stat(dst)
			if err != nil {
				return fmt.Errorf("feed %s: %w", w.feed.Name, err)
			}
			w.next.Files[file.Name].ModTime = fi.ModTime()
		}
		if w.tree != "" {
			if err := u.installTree(w); err != nil {
				return fmt.Errorf("feed %s: %w", w.feed.Name, err)
			}
		}
		if w.nvd != nil && !w.nvd.full && w.nvd.staged != "" {
			added, err := mergeDelta(w.nvd.staged, filepath.Join(w.dir, treeDir))
			w.nvd.staged = ""
			w.next.NVD.Records += added
			if err != nil {
				return fmt.Errorf("feed %s: %w", w.feed.Name, err)
			}
		}
		if w.next != nil {
			if err := writeJSON(filepath.Join(w.dir, stateFile), w.next); err != nil {
				return fmt.Errorf("feed %s: write state: %w", w.feed.Name, err)
			}
		}
	}
	return nil
}

// extractTree extracts an Untar feed's archive beside its tree when the
// archive is new or the tree is missing. An archive that cannot be
// extracted counts as a failed download: a new one is dropped (the previous
// archive and tree stay); a previous one, whose tree is gone, is no longer
// a usable copy.
func (u *updater) extractTree(ctx context.Context, w *feedWork) {
	name := w.feed.Files[0].Name
	var src string
	switch _, err := os.Stat(filepath.Join(w.dir, treeDir)); {
	case w.outs[0] == Downloaded:
		src = w.got[0].tmp
	case err != nil && w.prev.Files[name] != nil:
		src = filepath.Join(w.dir, name)
	default:
		return
	}
	tmp := filepath.Join(w.dir, fmt.Sprintf(".tmp-%s-%d", treeDir, time.Now().UnixNano()))
	err := extractTarGz(ctx, src, tmp, u.opt.MaxSize)
	if err == nil {
		w.tree = tmp
		return
	}
	if w.outs[0] == Downloaded {
		os.Remove(w.got[0].tmp)
		w.got[0] = nil
	} else {
		delete(w.prev.Files, name)
	}
	w.outs[0], w.errs[0] = Failed, err
}

// decideNVD sets an NVDAPI feed's result and next state from its sync and
// reports whether the feed has a usable copy.
func (u *updater) decideNVD(w *feedWork) bool {
	_, err := os.Stat(filepath.Join(w.dir, treeDir))
	haveTree := err == nil && w.prev.NVD != nil
	s := w.nvd
	switch {
	case w.nvdErr != nil:
		w.res.Outcome, w.res.Err = Failed, w.nvdErr
		w.next.NVD = w.prev.NVD
		w.res.Usable = haveTree
		return haveTree
	case s.full && s.written == 0:
		os.RemoveAll(s.staged)
		s.staged = ""
		w.res.Outcome, w.res.Err = Failed, errors.New("nvd: the API returned no CVEs")
		w.next.NVD = w.prev.NVD
		w.res.Usable = haveTree
		return haveTree
	case s.full:
		w.tree, s.staged = s.staged, ""
		w.res.Outcome = Downloaded
		s.state.Changed = s.state.Checked
	case s.written == 0:
		os.RemoveAll(s.staged)
		s.staged = ""
		w.res.Outcome = Unchanged
		s.state.Changed = w.prev.NVD.Changed
	default:
		w.res.Outcome = Downloaded
		s.state.Changed = s.state.Checked
	}
	st := s.state
	w.next.NVD = &st
	w.res.Usable = true
	return true
}

// installTree swaps an Untar feed's new tree in, keeping the previous tree
// as a backup.
func (u *updater) installTree(w *feedWork) error {
	tmp := w.tree
	dst := filepath.Join(w.dir, treeDir)
	if err := os.Rename(dst, backupName(w.dir, treeDir)); err == nil {
		w.moved = append(w.moved, treeDir)
	} else if !errors.Is(err, os.ErrNotExist) {
		os.RemoveAll(tmp)
		return fmt.Errorf("back up %s: %w", dst, err)
	}
	if err := os.Rename(tmp, dst); err != nil {
		return fmt.Errorf("install %s: %w", dst, err)
	}
	w.tree, w.extracted = "", true
	return nil
}

// rollback puts the previous copies and sidecars back.
func (u *updater) rollback(works []*feedWork) {
	discard(works)
	for _, w := range works {
		restored := w.moved
		if w.extracted && !slices.Contains(restored, treeDir) {
			os.RemoveAll(filepath.Join(w.dir, treeDir))
		}
		for _, name := range w.moved {
			if name == treeDir {
				os.RemoveAll(filepath.Join(w.dir, name))
			}
			if err := os.Rename(backupName(w.dir, name), filepath.Join(w.dir, name)); err != nil {
				u.log.Warn("restore previous feed copy", "feed", w.feed.Name, "file", name, "error", err)
			}
		}
		w.moved = nil
		for i, file := range w.feed.Files {
			if w.outs[i] == Downloaded && w.prev.Files[file.Name] == nil && !slices.Contains(restored, file.Name) {
				os.Remove(filepath.Join(w.dir, file.Name))
			}
		}
		if w.prev != nil && w.next != nil {
			prev := *w.prev
			prev.Feed, prev.Kind, prev.Path = w.feed.Name, w.feed.Kind, w.res.Path
			if err := writeJSON(filepath.Join(w.dir, stateFile), &prev); err != nil {
				u.log.Warn("restore feed state", "feed", w.feed.Name, "error", err)
			}
		}
	}
}

// commit drops the backups of replaced copies.
func (u *updater) commit(works []*feedWork) {
	for _, w := range works {
		for _, name := range w.moved {
			os.RemoveAll(backupName(w.dir, name))
		}
		w.moved = nil
	}
}

// current reports whether the DB at DBPath is the one the last update built
// from exactly these feed contents.
func (u *updater) current(ctx context.Context, root string, digests map[string]string) (vulndb.Info, bool) {
	var rec buildRecord
	if err := readJSON(filepath.Join(root, buildFile), &rec); err != nil {
		return vulndb.Info{}, false
	}
	if rec.DB != absPath(u.opt.DBPath) || len(rec.Feeds) != len(digests) {
		return vulndb.Info{}, false
	}
	for n, d := range digests {
		if rec.Feeds[n] != d {
			return vulndb.Info{}, false
		}
	}
	db, err := sqlite.Open(ctx, u.opt.DBPath)
	if err != nil {
		u.log.Debug("DB not usable; rebuilding", "error", err)
		return vulndb.Info{}, false
	}
	defer db.Close()
	info, err := db.Info(ctx)
	if err != nil || !info.Built.Equal(rec.Built) {
		return vulndb.Info{}, false
	}
	return info, true
}

// discard removes downloaded files not yet installed.
func discard(works []*feedWork) {
	for _, w := range works {
		for _, g := range w.got {
			if g != nil && g.tmp != "" {
				os.Remove(g.tmp)
				g.tmp = ""
			}
		}
		if w.tree != "" {
			os.RemoveAll(w.tree)
			w.tree = ""
		}
		if w.nvd != nil && w.nvd.staged != "" {
			os.RemoveAll(w.nvd.staged)
			w.nvd.staged = ""
		}
	}
}

// cleanLeftovers removes what an interrupted update left in dir. A backup
// whose file is missing (the update stopped between the two renames) is
// put back; the sidecar check then decides whether it is still current.
func cleanLeftovers(dir string) {
	ents, err := os.ReadDir(dir)
	if err != nil {
		return
	}
	for _, e := range ents {
		name := e.Name()
		if !leftover(name) {
			continue
		}
		p := filepath.Join(dir, name)
		if orig, ok := strings.CutSuffix(strings.TrimPrefix(name, "."), ".prev"); ok && !strings.HasPrefix(name, ".tmp-") {
			if _, err := os.Lstat(filepath.Join(dir, orig)); errors.Is(err, os.ErrNotExist) && checkName(orig) == nil {
				os.Rename(p, filepath.Join(dir, orig))
				continue
			}
		}
		os.RemoveAll(p)
	}
}

func hasDownload(w *feedWork) bool {
	for _, o := range w.outs {
		if o == Downloaded {
			return true
		}
	}
	return false
}

func maxOutcome(a, b Outcome) Outcome {
	if a == Failed || b == Failed {
		return Failed
	}
	return max(a, b)
}

// firstErr returns the first feed's error, prefixed with its name.
func firstErr(r *Result) string {
	for _, f := range r.Feeds {
		if f.Err != nil {
			return f.Name + ": " + f.Err.Error()
		}
	}
	return ""
}

func skippedKinds(r *Result) string {
	var s []string
	for _, f := range r.Feeds {
		s = append(s, f.Name+": kind "+f.Kind)
	}
	return strings.Join(s, ", ")
}

func absPath(p string) string {
	if a, err := filepath.Abs(p); err == nil {
		return a
	}
	return p
}
