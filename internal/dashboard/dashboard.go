// Package dashboard is customs serve's web dashboard (docs/dashboard.md):
// server-rendered pages over what the store and the service answer, at
// stable addresses (/images/sha256:…, /vulnerabilities/CVE-…). It renders;
// it decides nothing about findings. Every string from an image or a
// store is data: html/template escapes it by context, and nothing here
// marks such a string as safe.
package dashboard

import (
	"bytes"
	"context"
	"embed"
	"errors"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"time"

	"github.com/customs-scanner/customs/internal/service"
	"github.com/customs-scanner/customs/internal/store"
)

// Limits of the pages, named as docs/dashboard.md lists them.
const (
	// PageTimeout bounds the store and service calls of one page.
	PageTimeout = 10 * time.Second
	// ListPage is how many rows a long list shows at once; the rest are
	// one "next" link away.
	ListPage = 100
	// OverviewTTL is how long the overview's counts and trend are kept
	// before they are computed again (in the background: a page never
	// waits for them once they were computed once).
	OverviewTTL = time.Minute
	// OverviewWait is how long the overview waits for the fleet's first
	// counts before it is shown without them.
	OverviewWait = time.Second
	// OverviewTimeout bounds one computation of the counts.
	OverviewTimeout = 5 * time.Minute
	// TrendDays is the span of the overview's trend.
	TrendDays = 30
)

//go:embed templates/*.html
var templateFS embed.FS

//go:embed static
var staticFS embed.FS

// Options configure the dashboard.
type Options struct {
	Logger *slog.Logger
	// Now is the clock; nil means time.Now.
	Now func() time.Time
	// PageSize is how many rows a long list shows at once; 0 means
	// ListPage.
	PageSize int
	// OverviewWait is how long the overview waits for the fleet's first
	// counts; 0 means OverviewWait.
	OverviewWait time.Duration
}

// Dashboard serves the pages of one service.
type Dashboard struct {
	svc   *service.Service
	st    store.Store
	log   *slog.Logger
	now   func() time.Time
	pages map[string]*template.Template
	mux   *http.ServeMux
	ov    overviewCache
	// pageSize is Options.PageSize, overviewWait Options.OverviewWait.
	pageSize     int
	overviewWait time.Duration
}

// New returns the dashboard of svc, its templates parsed.
func New(svc *service.Service, opts Options) (*Dashboard, error) {
	d := &Dashboard{svc: svc, st: svc.Store(), log: opts.Logger, now: opts.Now, mux: http.NewServeMux()}
	if d.log == nil {
		d.log = slog.New(slog.DiscardHandler)
	}
	if d.now == nil {
		d.now = time.Now
	}
	if d.pageSize = opts.PageSize; d.pageSize <= 0 {
		d.pageSize = ListPage
	}
	if d.overviewWait = opts.OverviewWait; d.overviewWait <= 0 {
		d.overviewWait = OverviewWait
	}
	d.ov.ready = make(chan struct{})
	var err error
	if d.pages, err = parsePages(); err != nil {
		return nil, err
	}
	static, _ := fs.Sub(staticFS, "static")
	files := http.FileServerFS(static)
	d.mux.Handle("GET /static/", http.StripPrefix("/static/", http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Cache-Control", "public, max-age=3600")
		w.Header().Set("X-Content-Type-Options", "nosniff")
		files.ServeHTTP(w, r)
	})))
	for pattern, h := range map[string]func(*http.Request) (int, string, any, error){
		"GET /{$}":                             d.overview,
		"GET /images":                          d.subjects(store.KindImage),
		"GET /hosts":                           d.subjects(store.KindHost),
		"GET /images/{digest}":                 d.image,
		"GET /hosts/{digest}":                  d.host,
		"GET /images/{digest}/layers/{diffID}": d.layer,
		"GET /vulnerabilities/{id}":            d.vulnerability,
		"GET /drift/{id}":                      d.driftReport,
		"GET /packages/{name...}":              d.pkg,
		"GET /feeds":                           d.feeds,
		"GET /jobs":                            d.jobs,
		"GET /notifications":                   d.notifications,
		"GET /search":                          d.search,
		"/":                                    d.notFound,
	} {
		d.mux.Handle(pattern, d.page(h))
	}
	return d, nil
}

// ServeHTTP serves the pages and /static/.
func (d *Dashboard) ServeHTTP(w http.ResponseWriter, r *http.Request) { d.mux.ServeHTTP(w, r) }

// Handler is the dashboard as an http.Handler.
func (d *Dashboard) Handler() http.Handler { return d }

// errNotFound makes a page answer 404 with its message.
type errNotFound struct{ msg string }

func (e *errNotFound) Error() string { return e.msg }

func notFound(format string, args ...any) error { return &errNotFound{fmt.Sprintf(format, args...)} }

// errBadRequest makes a page answer 400 with its message.
type errBadRequest struct{ msg string }

func (e *errBadRequest) Error() string { return e.msg }

// redirect is a page's answer that sends the browser elsewhere (search).
type redirect struct{ to string }

// page turns a page function (status, template name, data) into a
// handler: the page is rendered into a buffer first, so a failure is a
// whole error page, never half a page.
func (d *Dashboard) page(f func(*http.Request) (int, string, any, error)) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			d.render(w, r, http.StatusMethodNotAllowed, "error", errorPage{Title: "Method not allowed", Message: "The dashboard's pages are read with GET."})
			return
		}
		ctx, cancel := context.WithTimeout(r.Context(), PageTimeout)
		defer cancel()
		r = r.WithContext(ctx)
		code, name, data, err := f(r)
		if rd, ok := data.(redirect); ok && err == nil {
			http.Redirect(w, r, rd.to, http.StatusSeeOther)
			return
		}
		if err != nil {
			var nf *errNotFound
			var br *errBadRequest
			var re *service.RequestError
			switch {
			case errors.As(err, &nf):
				code, data = http.StatusNotFound, errorPage{Title: "Not found", Message: nf.msg}
			case errors.As(err, &br):
				code, data = http.StatusBadRequest, errorPage{Title: "Bad request", Message: br.msg}
			case errors.As(err, &re):
				code, data = http.StatusBadRequest, errorPage{Title: "Bad request", Message: re.Msg}
			case errors.Is(err, context.DeadlineExceeded):
				code, data = http.StatusGatewayTimeout, errorPage{Title: "Too slow", Message: "The page took too long to read; try again."}
			default:
				d.log.Error("dashboard", "path", r.URL.Path, "error", err)
				code, data = http.StatusInternalServerError, errorPage{Title: "Internal error", Message: "The page could not be read; the server's log has the details."}
			}
			name = "error"
		}
		d.render(w, r, code, name, data)
	})
}

// errorPage is the data of the error template.
type errorPage struct {
	Title   string
	Message string
}

func (d *Dashboard) render(w http.ResponseWriter, r *http.Request, code int, name string, data any) {
	var buf bytes.Buffer
	t := d.pages[name]
	if err := t.ExecuteTemplate(&buf, "layout", data); err != nil {
		d.log.Error("dashboard: render", "page", name, "error", err)
		buf.Reset()
		code = http.StatusInternalServerError
		d.pages["error"].ExecuteTemplate(&buf, "layout", errorPage{Title: "Internal error", Message: "The page could not be shown."})
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(code)
	if r.Method != http.MethodHead {
		w.Write(buf.Bytes())
	}
}

func (d *Dashboard) notFound(r *http.Request) (int, string, any, error) {
	return 0, "", nil, notFound("There is no page at %s.", r.URL.Path)
}
