package cli

import (
	"fmt"
	"io"
	"net/http"
	"os"
	"slices"
	"strings"
	"sync"
	"text/tabwriter"
	"time"

	"github.com/spf13/cobra"
	"golang.org/x/term"

	"github.com/customs-scanner/customs/internal/scan"
	"github.com/customs-scanner/customs/internal/vulndb/update"
)

// updateFlags are the flags of `customs db update`.
type updateFlags struct {
	feeds      []string
	overrides  []string
	force      bool
	replace    bool
	timeout    time.Duration
	noProgress bool
	list       bool
	attempts   int
	// noReevaluate skips re-evaluating the store after the update.
	noReevaluate bool
}

func newDBUpdateCmd(g *globals) *cobra.Command {
	var f updateFlags
	cmd := &cobra.Command{
		Use:   "update [--feeds NAME,...] [--feed NAME=URL ...]",
		Short: "Download the advisory feeds from upstream and rebuild the DB if any changed",
		Long: `Download the advisory feeds from their upstream sites over HTTPS into CACHE_DIR/feeds/NAME/
and rebuild the vulnerability DB from the local copies when any of them changed.

Downloads are conditional (ETag / Last-Modified), so an update with nothing new transfers
almost nothing and leaves the DB alone ("DB is up to date"). Failed requests are retried with
exponential backoff (honouring Retry-After). The DB is rebuilt in full from all local copies
(not incrementally); it is written beside the old one and renamed into place, so scans running
meanwhile keep reading the old DB, and a failed update leaves it untouched.

An update never narrows what the DB holds. The sources it does not refresh are kept: those
of db build (imported again from their paths), feeds not selected this time (from their local
copies), and a feed that cannot be downloaded or imported (its previous local copy, else its
records in the previous DB). Each is listed with what was kept; --replace builds from the
selected feeds alone. A failed feed is a warning (exit 0); a feed that is in no DB at all
gives exit 2. When no feed can be reached, the update stops at the first attempt per host and
leaves the DB as it was. Feeds whose kind this build of customs cannot import yet are listed
as skipped.

The default feeds cover every ecosystem customs inventories, so the first update downloads
hundreds of MB (the OSV exports are most of it, and they change daily). CI runners are better
served by one job that updates and pushes a signed DB and ` + "`customs db pull`" + ` (or --db-ref)
everywhere else; see docs/db-distribution.md.

Feeds (* = enabled by default; select with --feeds, e.g. --feeds default,redhat or --feeds all):
` + feedHelp() + `
The nvd feed pages through NVD's CVE API 2.0: the first update reads every CVE (about 160
requests, 6 s apart as NVD asks; 0.6 s with an API key in $NVD_API_KEY), later ones only
what changed since. Ubuntu's CVE tracker is not included (a git repository without a plain
HTTPS archive; osv-ubuntu carries Ubuntu's data). GitHub's reviewed advisories (GHSA) are
part of each osv-* export.`,
		Example: `  customs db update
  customs db update --feeds default,redhat,nvd
  customs db update --feeds osv-go,osv-npm,kev
  customs db update --feed osv-go=https://mirror.example.com/osv/Go/all.zip
  customs db update --feed alpine=https://mirror.example.com/secdb/`,
		Args: cobra.NoArgs,
		RunE: func(cmd *cobra.Command, _ []string) error { return runUpdate(cmd, g, &f) },
	}
	fl := cmd.Flags()
	fl.StringSliceVar(&f.feeds, "feeds", []string{"default"}, "feeds to update and build from, by name; \"default\" and \"all\" name groups")
	fl.StringArrayVar(&f.overrides, "feed", nil, "replace a feed's upstream as NAME=URL (repeatable): the file's URL, or the base URL of a multi-file feed")
	fl.BoolVar(&f.force, "force", false, "rebuild the DB even if no feed changed")
	fl.BoolVar(&f.replace, "replace", false, "build from the selected feeds alone, dropping the DB's other sources (kept by default)")
	fl.DurationVar(&f.timeout, "timeout", update.DefaultTimeout, "give up on a request that sends nothing for this long")
	fl.IntVar(&f.attempts, "attempts", update.DefaultAttempts, "how many times to try each download")
	fl.BoolVar(&f.noProgress, "no-progress", false, "do not draw a progress bar")
	fl.BoolVar(&f.list, "list", false, "list the feeds with their URLs and exit")
	fl.BoolVar(&f.noReevaluate, "no-reevaluate", false, "do not re-evaluate the store (--store) against the updated DB")
	return cmd
}

func feedHelp() string {
	var b strings.Builder
	tw := tabwriter.NewWriter(&b, 0, 4, 2, ' ', 0)
	for _, f := range update.Feeds(scan.Ecosystems().Feeds()) {
		mark := " "
		if f.Default {
			mark = "*"
		}
		fmt.Fprintf(tw, "  %s %s\t%s\t%s\n", mark, f.Name, f.Kind, f.About)
	}
	tw.Flush()
	return b.String()
}

func runUpdate(cmd *cobra.Command, g *globals, f *updateFlags) error {
	raiseMemoryLimit()
	cfg, err := g.config()
	if err != nil {
		return err
	}
	overrides, err := updateOverrides(cfg.Feeds, f.overrides)
	if err != nil {
		return err
	}
	feeds, err := update.Select(update.Feeds(scan.Ecosystems().Feeds()), f.feeds, overrides)
	if err != nil {
		return err
	}
	out := cmd.OutOrStdout()
	if f.list {
		tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
		fmt.Fprintln(tw, "FEED\tKIND\tURL")
		for _, fd := range feeds {
			if fd.NVDAPI {
				fmt.Fprintf(tw, "%s\t%s\t%s (API 2.0, paged)\n", fd.Name, fd.Kind, fd.Base)
				continue
			}
			if fd.Latest != "" {
				fmt.Fprintf(tw, "%s\t%s\tthe file named in %s\n", fd.Name, fd.Kind, fd.Base+fd.Latest)
				continue
			}
			for _, file := range fd.Files {
				fmt.Fprintf(tw, "%s\t%s\t%s\n", fd.Name, fd.Kind, fd.URL(file))
			}
		}
		return tw.Flush()
	}
	cache, err := g.cache()
	if err != nil {
		return err
	}
	dbPath, err := g.db()
	if err != nil {
		return err
	}
	opt := update.Options{
		CacheDir:  cache,
		DBPath:    dbPath,
		Feeds:     feeds,
		Force:     f.force,
		Replace:   f.replace,
		Client:    &http.Client{Transport: http.DefaultTransport},
		UserAgent: "customs/" + Version,
		Timeout:   f.timeout,
		Attempts:  f.attempts,
		NVDAPIKey: os.Getenv("NVD_API_KEY"),
		Log:       g.logger(),
	}
	var bar *feedBar
	if !f.noProgress && isTerminal(cmd.ErrOrStderr()) {
		bar = newFeedBar(cmd.ErrOrStderr())
		opt.Progress = bar
	}
	start := time.Now()
	res, err := update.Update(cmd.Context(), opt)
	if bar != nil {
		bar.done()
	}
	if res != nil {
		printFeedResults(out, res)
	}
	if err != nil {
		return err
	}
	switch {
	case res.Rebuilt:
		fmt.Fprintf(out, "built %s in %s: %d advisories, %d affected packages from %d sources\n",
			dbPath, time.Since(start).Round(time.Millisecond), res.Info.Advisories, res.Info.Affected, len(res.Info.Sources))
	default:
		fmt.Fprintf(out, "DB is up to date: %s (built %s)\n", dbPath, res.Info.Built.UTC().Format(time.RFC3339))
	}
	if m := res.Missing(); len(m) > 0 {
		return fmt.Errorf("no local copy of %s: left out of the DB", strings.Join(m, ", "))
	}
	if n := failedFeeds(res); n > 0 {
		fmt.Fprintf(cmd.ErrOrStderr(), "customs: warning: %d of %d feeds could not be refreshed; the DB holds their previous data (see above)\n", n, len(res.Feeds))
	}
	return reevaluateAfterDB(cmd, g, f.noReevaluate)
}

// updateOverrides merges feed URL overrides from the config file (a
// feeds: map of NAME: URL) and from --feed NAME=URL flags; flags win.
func updateOverrides(config map[string]string, flags []string) (map[string]string, error) {
	out := make(map[string]string, len(config)+len(flags))
	for name, u := range config {
		out[name] = u
	}
	for _, o := range flags {
		name, u, err := update.ParseOverride(o)
		if err != nil {
			return nil, err
		}
		out[name] = u
	}
	return out, nil
}

// printFeedResults writes one line per feed, with why it failed, and one
// per source of the previous DB that was kept without a refresh.
func printFeedResults(out io.Writer, res *update.Result) {
	tw := tabwriter.NewWriter(out, 0, 4, 2, ' ', 0)
	for _, f := range res.Feeds {
		state := f.Outcome.String()
		switch {
		case f.Skipped != "":
			state = "skipped: " + f.Skipped
		case f.Outcome == update.Failed && f.Kept:
			state = "failed, kept from the previous DB"
		case f.Outcome == update.Failed && f.Usable && !f.Previous.IsZero():
			state = "failed, using the copy downloaded " + f.Previous.UTC().Format(time.RFC3339)
		case f.Outcome == update.Failed && f.Usable:
			state = "failed in part, using the files that came"
		case f.Outcome == update.Failed:
			state = "failed, not in the DB"
		}
		if f.Err != nil {
			state += ": " + shorten(oneLine(f.Err.Error()), maxReason)
		}
		fmt.Fprintf(tw, "%s\t%s\n", f.Name, state)
	}
	for _, k := range res.Kept {
		if k.Feed != "" && slices.ContainsFunc(res.Feeds, func(f update.FeedResult) bool { return f.Name == k.Feed }) {
			continue // said on its feed's line
		}
		name, how := k.Kind+"="+k.Path, "kept: imported again from its path"
		if k.Feed != "" {
			name, how = k.Feed, "kept: not selected, imported again from its local copy"
		}
		if k.Copied {
			how = "kept: copied from the previous DB (" + shorten(oneLine(k.Why.Error()), maxReason) + ")"
		}
		fmt.Fprintf(tw, "%s\t%s\n", name, how)
	}
	tw.Flush()
}

// maxReason bounds the error shown on a feed's line.
const maxReason = 120

func failedFeeds(res *update.Result) int {
	n := 0
	for _, f := range res.Feeds {
		if f.Outcome == update.Failed && f.Skipped == "" {
			n++
		}
	}
	return n
}

// shorten cuts s to at most n runes, marking the cut.
func shorten(s string, n int) string {
	if r := []rune(s); len(r) > n {
		return string(r[:n-1]) + "…"
	}
	return s
}

// feedBar draws one status line on a terminal while feeds download: the
// files in flight with bytes/total, and how many are done.
type feedBar struct {
	mu     sync.Mutex
	w      io.Writer
	width  int
	active map[string][2]int64 // "feed/file" -> done, total
	done_  int
	failed int
	last   time.Time
}

func newFeedBar(w io.Writer) *feedBar {
	width := 80
	if f, ok := w.(*os.File); ok {
		if c, _, err := term.GetSize(int(f.Fd())); err == nil && c > 10 {
			width = c
		}
	}
	return &feedBar{w: w, width: width, active: map[string][2]int64{}}
}

func (b *feedBar) Download(feed, file string, done, total int64) {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.active[feed+"/"+file] = [2]int64{done, total}
	if time.Since(b.last) > 100*time.Millisecond {
		b.draw()
	}
}

func (b *feedBar) Fetched(feed, file string, o update.Outcome, err error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	delete(b.active, feed+"/"+file)
	b.done_++
	if o == update.Failed {
		b.failed++
	}
	b.draw()
}

func (b *feedBar) Building(n int) {
	b.mu.Lock()
	defer b.mu.Unlock()
	fmt.Fprintf(b.w, "\r\x1b[Kbuilding the DB from %d feeds…", n)
}

func (b *feedBar) draw() {
	b.last = time.Now()
	keys := make([]string, 0, len(b.active))
	for k := range b.active {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	line := fmt.Sprintf("feeds: %d files done", b.done_)
	if b.failed > 0 {
		line += fmt.Sprintf(" (%d failed)", b.failed)
	}
	for _, k := range keys {
		p := b.active[k]
		if p[1] > 0 {
			line += fmt.Sprintf(" · %s %s/%s", k, mib(p[0]), mib(p[1]))
		} else {
			line += fmt.Sprintf(" · %s %s", k, mib(p[0]))
		}
	}
	if r := []rune(line); len(r) >= b.width {
		line = string(r[:b.width-2]) + "…"
	}
	fmt.Fprintf(b.w, "\r\x1b[K%s", line)
}

func (b *feedBar) done() {
	b.mu.Lock()
	defer b.mu.Unlock()
	fmt.Fprint(b.w, "\r\x1b[K")
}

func mib(n int64) string { return fmt.Sprintf("%.1f MB", float64(n)/(1<<20)) }

// feedStatusByPath returns what db update knows about each feed it keeps
// in cache, by build source path (vulndb.SourceInfo.Path of a DB source
// imported from that copy). Errors give an empty map: the status is extra.
func feedStatusByPath(cache string) map[string]update.FeedStatus {
	feeds, _ := update.Status(cache)
	out := make(map[string]update.FeedStatus, len(feeds))
	for _, f := range feeds {
		out[f.Path] = f
	}
	return out
}

// upstreamColumn says, for a DB source, when its upstream last changed and
// when db update last checked it, for a db status column; "-" for a source
// that db update does not keep.
func upstreamColumn(feeds map[string]update.FeedStatus, sourcePath string) string {
	f, ok := feeds[sourcePath]
	if !ok {
		return "-"
	}
	s := "modified ?"
	if lm := f.LastModified(); !lm.IsZero() {
		s = "modified " + lm.UTC().Format(time.RFC3339)
	}
	if c := f.Checked(); !c.IsZero() {
		s += ", checked " + c.UTC().Format(time.RFC3339)
	}
	return s
}
