package update

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/customs-scanner/customs/internal/vulndb"
	"github.com/customs-scanner/customs/internal/vulndb/build"
	"github.com/customs-scanner/customs/internal/vulndb/sqlite"
)

// KeptSource is a source of the previous DB that an update carried into
// the new one without refreshing it.
type KeptSource struct {
	Kind, Path string
	// Feed names the feed whose copy Path is, if any.
	Feed string
	// Copied says the records were copied from the previous DB because
	// Path was gone or could not be imported (Why); otherwise Path was
	// imported again.
	Copied bool
	Why    error
}

// prevDB is the DB an update replaces.
type prevDB struct {
	path string // "" when there is none (or it cannot be read)
	info vulndb.Info
}

// previous reads the sources of the DB at DBPath, which the update keeps.
func (u *updater) previous(ctx context.Context) prevDB {
	db, err := sqlite.Open(ctx, u.opt.DBPath)
	if err != nil {
		if !errors.Is(err, fs.ErrNotExist) {
			u.log.Warn("the previous DB cannot be read; its sources cannot be kept", "error", err)
		}
		return prevDB{}
	}
	defer db.Close()
	info, err := db.Info(ctx)
	if err != nil {
		u.log.Warn("the previous DB cannot be read; its sources cannot be kept", "error", err)
		return prevDB{}
	}
	return prevDB{path: u.opt.DBPath, info: info}
}

// sources returns what to build the DB from: each feed with a usable copy,
// then every source of the previous DB that those do not refresh, kept
// (build.Source.Keep: it only fills in what the fresh feeds lack, so a
// stale copy never contradicts a fresh one). A feed without a usable copy
// that the previous DB held is kept the same way. Every source the
// previous DB held can fall back on copying its records from it.
func (u *updater) sources(works []*feedWork, prev prevDB, res *Result) []build.Source {
	held := func(kind, path string) bool {
		return slices.ContainsFunc(prev.info.Sources, func(s vulndb.SourceInfo) bool { return s.Kind == kind && s.Path == path })
	}
	from := func(kind, path string) string {
		if prev.path != "" && held(kind, path) {
			return prev.path
		}
		return ""
	}
	var out []build.Source
	covered := map[[2]string]bool{}
	for _, w := range works {
		covered[[2]string{w.feed.Kind, w.res.Path}] = true
		switch {
		case w.res.Usable:
			out = append(out, build.Source{Kind: w.feed.Kind, Path: w.res.Path, From: from(w.feed.Kind, w.res.Path)})
		case from(w.feed.Kind, w.res.Path) != "":
			w.res.Kept = true
			out = append(out, build.Source{Kind: w.feed.Kind, Path: w.res.Path, Keep: true, From: prev.path})
			res.Kept = append(res.Kept, KeptSource{Kind: w.feed.Kind, Path: w.res.Path, Feed: w.feed.Name})
		}
	}
	for _, s := range prev.info.Sources {
		if u.opt.Replace {
			break
		}
		if covered[[2]string{s.Kind, s.Path}] {
			continue
		}
		covered[[2]string{s.Kind, s.Path}] = true
		out = append(out, build.Source{Kind: s.Kind, Path: s.Path, Keep: true, From: prev.path})
		res.Kept = append(res.Kept, KeptSource{Kind: s.Kind, Path: s.Path, Feed: feedOfPath(FeedsDir(u.opt.CacheDir), s.Path)})
	}
	return out
}

// feedOfPath returns the name of the feed whose local copy path is, under
// the feeds directory root, or "".
func feedOfPath(root, path string) string {
	rest, ok := strings.CutPrefix(path, root+string(filepath.Separator))
	if !ok {
		return ""
	}
	name, _, _ := strings.Cut(rest, string(filepath.Separator))
	return name
}

// noteCopied records which sources the build copied from the previous DB.
func (r *Result) noteCopied(copied []build.Copied) {
	for _, c := range copied {
		i := slices.IndexFunc(r.Kept, func(k KeptSource) bool { return k.Kind == c.Source.Kind && k.Path == c.Source.Path })
		if i >= 0 {
			r.Kept[i].Copied, r.Kept[i].Why = true, c.Why
			continue
		}
		// A fresh copy that could not be imported.
		r.Kept = append(r.Kept, KeptSource{Kind: c.Source.Kind, Path: c.Source.Path, Copied: true, Why: c.Why})
		for j := range r.Feeds {
			if r.Feeds[j].Path == c.Source.Path && r.Feeds[j].Kind == c.Source.Kind {
				r.Kept[len(r.Kept)-1].Feed = r.Feeds[j].Name
				r.Feeds[j].Kept = true
			}
		}
	}
}

// NothingError is Update's error when no feed has a usable copy: the DB,
// if any, is left as it was.
type NothingError struct {
	// Feeds is how many feeds were tried.
	Feeds int
	// DB is the path of the DB left in place, "" when there is none.
	DB string
	// Unreachable are the hosts that could not be reached at all, sorted.
	Unreachable []string
	// First is the first feed's error, with its name.
	First string
}

func (e *NothingError) Error() string {
	var b strings.Builder
	fmt.Fprintf(&b, "update vulnerability DB: no feed could be downloaded (%d tried) and none has a local copy", e.Feeds)
	if n := len(e.Unreachable); n > 0 {
		fmt.Fprintf(&b, "; %d unreachable hosts: no network?", n)
	}
	if e.First != "" {
		fmt.Fprintf(&b, "; the first: %s", shorten(e.First, 160))
	}
	if e.DB != "" {
		fmt.Fprintf(&b, "; the DB %s is unchanged", e.DB)
	} else {
		b.WriteString("; no DB was built (customs db pull installs a prebuilt one)")
	}
	return b.String()
}

// unreachableHosts lists the hosts found unreachable, sorted.
func (u *updater) unreachableHosts() []string {
	u.mu.Lock()
	defer u.mu.Unlock()
	out := make([]string, 0, len(u.unreachable))
	for h := range u.unreachable {
		out = append(out, h)
	}
	slices.Sort(out)
	return out
}

// previousCopy returns when the oldest file of w's copy in use was
// downloaded, when none of them is new.
func previousCopy(w *feedWork) time.Time {
	var t time.Time
	for i, file := range w.feed.Files {
		if w.outs[i] == Downloaded {
			return time.Time{}
		}
		if st := w.next.Files[file.Name]; st != nil && (t.IsZero() || st.Fetched.Before(t)) {
			t = st.Fetched
		}
	}
	return t
}

// shorten cuts s to at most n runes, marking the cut.
func shorten(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}
