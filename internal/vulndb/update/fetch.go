package update

import (
	"compress/gzip"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	neturl "net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Outcome is how one file's fetch ended.
type Outcome int

const (
	// Failed means no new copy was stored; the previous one, if any, stays.
	Failed Outcome = iota
	// Unchanged means the server answered 304 Not Modified, or sent the same
	// bytes again.
	Unchanged
	// Downloaded means new content was stored.
	Downloaded
)

func (o Outcome) String() string {
	switch o {
	case Unchanged:
		return "unchanged"
	case Downloaded:
		return "downloaded"
	}
	return "failed"
}

// StatusError is a final HTTP status that is not retried (404, 403, ...), or
// the last retryable one when the attempts ran out.
type StatusError struct {
	URL    string
	Status int
}

func (e *StatusError) Error() string {
	return fmt.Sprintf("GET %s: %d %s", e.URL, e.Status, http.StatusText(e.Status))
}

// ErrTooLarge is wrapped when a download exceeds Options.MaxSize.
var ErrTooLarge = errors.New("download exceeds the size limit")

// fetched is a file downloaded to a temporary path, not yet in place.
type fetched struct {
	tmp   string
	state fileState
}

// fetchFile GETs one URL conditionally on prev, with retries. On 200 the
// body is written to a temporary file in dir and returned (Downloaded);
// on 304 (or the same bytes) the outcome is Unchanged.
func (u *updater) fetchFile(ctx context.Context, feed Feed, file File, dir string, prev *fileState) (Outcome, *fetched, error) {
	url := feed.URL(file)
	if feed.Latest != "" {
		name, err := u.latest(ctx, feed, dir)
		if err != nil {
			return Failed, nil, err
		}
		url = feed.Base + name
	}
	host := hostOf(url)
	for attempt := 0; ; attempt++ {
		if down := u.down(host); down != nil {
			return Failed, nil, fmt.Errorf("GET %s: %w", url, down)
		}
		out, got, retry, wait, err := u.try(ctx, feed, file, url, dir, prev)
		if err == nil {
			return out, got, nil
		}
		if cause := unreachable(err); cause != nil && ctx.Err() == nil {
			// No name or nothing listening: asking again, or for this
			// host's other files, only makes an offline update slow.
			u.markDown(host, cause)
			return Failed, nil, fmt.Errorf("GET %s: %w", url, cause)
		}
		if !retry || attempt+1 >= u.opt.Attempts || ctx.Err() != nil {
			if ctx.Err() != nil {
				return Failed, nil, ctx.Err()
			}
			return Failed, nil, err
		}
		d := u.backoff(attempt)
		if wait > d {
			d = min(wait, u.opt.MaxWait)
		}
		u.log.Debug("retrying download", "feed", feed.Name, "url", url, "attempt", attempt+1, "wait", d, "error", err)
		if err := u.opt.Sleep(ctx, d); err != nil {
			return Failed, nil, err
		}
	}
}

// maxLatest bounds the pointer file Feed.Latest names.
const maxLatest = 4 << 10

// latest reads the name of the current download from the pointer file
// Feed.Latest (Red Hat's archive_latest.txt holds
// "csaf_vex_2025-12-06.tar.zst"). The name must be one plain path segment,
// so a pointer cannot send update to another directory or site.
func (u *updater) latest(ctx context.Context, feed Feed, dir string) (string, error) {
	ptr := Feed{Name: feed.Name, Base: feed.Base + feed.Latest, Files: []File{{Name: "latest"}}}
	_, got, err := u.fetchFile(ctx, ptr, ptr.Files[0], dir, nil)
	if err != nil {
		return "", err
	}
	defer os.Remove(got.tmp)
	if got.state.Size > maxLatest {
		return "", fmt.Errorf("GET %s: %d bytes, not a file name", ptr.Base, got.state.Size)
	}
	b, err := os.ReadFile(got.tmp)
	if err != nil {
		return "", fmt.Errorf("read %s: %w", ptr.Base, err)
	}
	name := strings.TrimSpace(string(b))
	if !latestName.MatchString(name) || strings.Contains(name, "..") {
		return "", fmt.Errorf("GET %s: %.80q is not a file name", ptr.Base, name)
	}
	return name, nil
}

var latestName = regexp.MustCompile(`^[A-Za-z0-9][A-Za-z0-9._-]*$`)

// backoff is exponential with jitter: a random duration in [d/2, d] with
// d = Backoff * 2^attempt, at most MaxWait.
func (u *updater) backoff(attempt int) time.Duration {
	d := u.opt.Backoff << min(attempt, 30)
	if d <= 0 || d > u.opt.MaxWait {
		d = u.opt.MaxWait
	}
	return d/2 + time.Duration(u.opt.Jitter()*float64(d/2))
}

// try makes one request. retry says whether a failure may be retried and
// wait is the server's Retry-After, if any.
func (u *updater) try(ctx context.Context, feed Feed, file File, url, dir string, prev *fileState) (out Outcome, got *fetched, retry bool, wait time.Duration, err error) {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	// The timeout is for silence, not for the whole transfer: it restarts
	// whenever bytes arrive, so a large download on a slow link goes on.
	errIdle := fmt.Errorf("GET %s: no response for %s", url, u.opt.Timeout)
	idle := time.AfterFunc(u.opt.Timeout, func() { cancel(errIdle) })
	defer idle.Stop()

	req, err := http.NewRequestWithContext(ctx, http.MethodGet, url, nil)
	if err != nil {
		return Failed, nil, false, 0, fmt.Errorf("GET %s: %w", url, err)
	}
	req.Header.Set("User-Agent", u.opt.UserAgent)
	if feed.apiKey != "" {
		req.Header.Set("apiKey", feed.apiKey)
	}
	if prev != nil && prev.URL == url {
		if prev.ETag != "" {
			req.Header.Set("If-None-Match", prev.ETag)
		}
		if prev.LastModified != "" {
			req.Header.Set("If-Modified-Since", prev.LastModified)
		}
	}
	resp, err := u.opt.Client.Do(req)
	if err != nil {
		var ue *neturl.Error // says GET and the URL again
		if errors.As(err, &ue) {
			err = ue.Err
		}
		if c := context.Cause(ctx); c == errIdle {
			err = c
		}
		return Failed, nil, true, 0, fmt.Errorf("GET %s: %w", url, err)
	}
	defer resp.Body.Close()
	idle.Reset(u.opt.Timeout)

	switch {
	case resp.StatusCode == http.StatusNotModified && prev != nil:
		return Unchanged, nil, false, 0, nil
	case resp.StatusCode == http.StatusTooManyRequests || resp.StatusCode >= 500:
		return Failed, nil, true, retryAfter(resp.Header.Get("Retry-After"), u.opt.Now()), &StatusError{URL: url, Status: resp.StatusCode}
	case resp.StatusCode != http.StatusOK:
		return Failed, nil, false, 0, &StatusError{URL: url, Status: resp.StatusCode}
	}
	if resp.ContentLength > u.opt.MaxSize {
		return Failed, nil, false, 0, fmt.Errorf("GET %s: %d bytes: %w (%d)", url, resp.ContentLength, ErrTooLarge, u.opt.MaxSize)
	}

	var body io.Reader = &progressReader{r: resp.Body, total: resp.ContentLength, onRead: func(done, total int64) {
		idle.Reset(u.opt.Timeout)
		u.opt.Progress.Download(feed.Name, file.Name, done, total)
	}}
	body = &limitReader{r: body, n: u.opt.MaxSize, url: url}
	if feed.Unpack == Gunzip {
		zr, err := gzip.NewReader(body)
		if err != nil {
			return Failed, nil, isNetErr(ctx, err), 0, fmt.Errorf("GET %s: gunzip: %w", url, netCause(ctx, err))
		}
		body = &limitReader{r: zr, n: u.opt.MaxSize, url: url}
	}

	tmp, err := os.CreateTemp(dir, ".tmp-"+file.Name+"-*")
	if err != nil {
		return Failed, nil, false, 0, fmt.Errorf("store %s: %w", url, err)
	}
	keep := false
	defer func() {
		if !keep {
			tmp.Close()
			os.Remove(tmp.Name())
		}
	}()
	h := sha256.New()
	n, err := io.Copy(io.MultiWriter(tmp, h), body)
	if err != nil {
		if errors.Is(err, ErrTooLarge) {
			return Failed, nil, false, 0, err
		}
		var pe *os.PathError
		if errors.As(err, &pe) { // the local disk, not the network
			return Failed, nil, false, 0, fmt.Errorf("store %s: %w", url, err)
		}
		return Failed, nil, isNetErr(ctx, err), 0, fmt.Errorf("GET %s: read body: %w", url, netCause(ctx, err))
	}
	// net/http reports a body shorter than Content-Length as
	// io.ErrUnexpectedEOF; check anyway, since a decoded body has no length.
	if !resp.Uncompressed && feed.Unpack != Gunzip && resp.ContentLength >= 0 && n != resp.ContentLength {
		return Failed, nil, true, 0, fmt.Errorf("GET %s: got %d of %d bytes", url, n, resp.ContentLength)
	}
	if err := tmp.Sync(); err != nil {
		return Failed, nil, false, 0, fmt.Errorf("store %s: %w", url, err)
	}
	if err := tmp.Close(); err != nil {
		return Failed, nil, false, 0, fmt.Errorf("store %s: %w", url, err)
	}
	now := u.opt.Now().UTC()
	st := fileState{
		URL:          url,
		ETag:         resp.Header.Get("ETag"),
		LastModified: resp.Header.Get("Last-Modified"),
		Fetched:      now,
		Checked:      now,
		Size:         n,
		SHA256:       hex.EncodeToString(h.Sum(nil)),
	}
	if prev != nil && prev.SHA256 == st.SHA256 && prev.Size == st.Size {
		// Same bytes without a validator the server honours: nothing to do.
		os.Remove(tmp.Name())
		keep = true
		return Unchanged, &fetched{state: st}, false, 0, nil
	}
	keep = true
	return Downloaded, &fetched{tmp: tmp.Name(), state: st}, false, 0, nil
}

// isNetErr says whether err came from the transfer (retryable) rather than
// from the content (a broken gzip stream is not fixed by asking again,
// except when the stream was cut short).
func isNetErr(ctx context.Context, err error) bool {
	if ctx.Err() != nil {
		return true
	}
	return !errors.Is(err, gzip.ErrHeader) && !errors.Is(err, gzip.ErrChecksum)
}

// netCause prefers the idle timeout's cause over "context canceled".
func netCause(ctx context.Context, err error) error {
	if c := context.Cause(ctx); c != nil && !errors.Is(c, context.Canceled) {
		return c
	}
	return err
}

// retryAfter parses a Retry-After header: delay-seconds or an HTTP-date.
func retryAfter(v string, now time.Time) time.Duration {
	if v == "" {
		return 0
	}
	if s, err := strconv.ParseInt(v, 10, 64); err == nil && s >= 0 {
		const maxSeconds = 24 * 60 * 60 // the caller caps it much lower; this only avoids overflow
		return time.Duration(min(s, maxSeconds)) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// progressReader reports bytes read so far.
type progressReader struct {
	r      io.Reader
	done   int64
	total  int64
	onRead func(done, total int64)
}

func (p *progressReader) Read(b []byte) (int, error) {
	n, err := p.r.Read(b)
	if n > 0 {
		p.done += int64(n)
		p.onRead(p.done, p.total)
	}
	return n, err
}

// limitReader fails with ErrTooLarge past n bytes.
type limitReader struct {
	r   io.Reader
	n   int64
	url string
}

func (l *limitReader) Read(b []byte) (int, error) {
	if l.n < 0 {
		return 0, fmt.Errorf("GET %s: %w", l.url, ErrTooLarge)
	}
	if int64(len(b)) > l.n+1 {
		b = b[:l.n+1]
	}
	n, err := l.r.Read(b)
	l.n -= int64(n)
	if l.n < 0 {
		return n, fmt.Errorf("GET %s: %w", l.url, ErrTooLarge)
	}
	return n, err
}

// sleep waits d or until ctx is done.
func sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

func defaultJitter() float64 { return rand.Float64() }

// leftover reports whether a directory entry is a temporary file or backup
// an interrupted update left behind.
func leftover(name string) bool {
	return strings.HasPrefix(name, ".tmp-") || (strings.HasPrefix(name, ".") && strings.HasSuffix(name, ".prev"))
}

// backupName is where a file's previous copy waits until the new DB is built.
func backupName(dir, name string) string { return filepath.Join(dir, "."+name+".prev") }

// unreachable returns the cause when err says the host cannot be reached
// at all: its name does not resolve (or no resolver answers), nothing
// listens on the port, or there is no route to it. Such a failure is not
// retried, and the host's other files are not tried.
func unreachable(err error) error {
	var dns *net.DNSError
	if errors.As(err, &dns) {
		return &UnreachableError{Host: dns.Name, Err: errors.New(dns.Err)}
	}
	var op *net.OpError
	if errors.As(err, &op) && op.Op == "dial" {
		for _, e := range []error{syscall.ECONNREFUSED, syscall.ENETUNREACH, syscall.EHOSTUNREACH} {
			if errors.Is(err, e) {
				host := ""
				if op.Addr != nil {
					host = op.Addr.String()
				}
				return &UnreachableError{Host: host, Err: e}
			}
		}
	}
	return nil
}

// UnreachableError is a fetch's error when the host could not be reached
// at all: its name does not resolve, nothing listens, no route.
type UnreachableError struct {
	Host string
	Err  error
}

func (e *UnreachableError) Error() string { return "cannot reach " + e.Host + ": " + e.Err.Error() }

func (e *UnreachableError) Unwrap() error { return e.Err }

// down returns why host was found unreachable earlier in this update, or nil.
func (u *updater) down(host string) error {
	u.mu.Lock()
	defer u.mu.Unlock()
	return u.unreachable[host]
}

func (u *updater) markDown(host string, cause error) {
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.unreachable == nil {
		u.unreachable = map[string]error{}
	}
	if u.unreachable[host] == nil {
		u.unreachable[host] = cause
	}
}

// hostOf returns the host:port a URL names, or the URL when it cannot be
// parsed (the request then fails on its own).
func hostOf(u string) string {
	if p, err := neturl.Parse(u); err == nil {
		return p.Host
	}
	return u
}
