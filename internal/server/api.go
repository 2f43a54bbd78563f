package server

import (
	"bytes"
	"context"
	"crypto/sha256"
	"embed"
	"encoding/base64"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"github.com/customs-scanner/customs/internal/report"
	"github.com/customs-scanner/customs/internal/report/cyclonedx"
	jsonreport "github.com/customs-scanner/customs/internal/report/json"
	"github.com/customs-scanner/customs/internal/report/markdown"
	"github.com/customs-scanner/customs/internal/report/sarif"
	"github.com/customs-scanner/customs/internal/report/spdx"
	"github.com/customs-scanner/customs/internal/server/auditlog"
	"github.com/customs-scanner/customs/internal/service"
	"github.com/customs-scanner/customs/internal/store"
)

//go:embed openapi.json
var openapiFS embed.FS

// OpenAPI is the API's OpenAPI 3.1 document.
func OpenAPI() []byte {
	b, _ := openapiFS.ReadFile("openapi.json")
	return b
}

func (s *Server) openAPI(w http.ResponseWriter, r *http.Request) {
	w.Header().Set("Content-Type", "application/json")
	w.Write(OpenAPI())
}

func contextTimeout(r *http.Request, d time.Duration) (context.Context, context.CancelFunc) {
	return context.WithTimeout(r.Context(), d)
}

// scanRequest is POST /v1/scans's body.
type scanRequest struct {
	Target   string   `json:"target"`
	Platform string   `json:"platform,omitempty"`
	Scanners []string `json:"scanners,omitempty"`
}

// scanDoc is a scan job as the API shows it.
type scanDoc struct {
	service.Job
	Links map[string]string `json:"links"`
}

func docOf(j service.Job) scanDoc {
	d := scanDoc{Job: j, Links: map[string]string{"self": "/v1/scans/" + url.PathEscape(j.ID)}}
	if j.Status == service.Done && j.Digest != "" {
		d.Links["image"] = "/v1/images/" + j.Digest
		d.Links["report"] = "/v1/images/" + j.Digest + "/report"
	}
	return d
}

func (s *Server) postScan(w http.ResponseWriter, r *http.Request) {
	var req scanRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, MaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeProblem(w, http.StatusBadRequest, "the body is not a scan request {target, platform, scanners}: "+err.Error())
		return
	}
	auditlog.From(r.Context()).SetTarget(req.Target)
	ctx, cancel := contextTimeout(r, RequestTimeout)
	defer cancel()
	j, err := s.svc.Submit(ctx, service.Request{Target: req.Target, Platform: req.Platform, Scanners: req.Scanners, Origin: service.OriginAPI})
	if err != nil {
		s.writeError(w, err)
		return
	}
	if j.Status == service.Done {
		writeJSON(w, http.StatusOK, docOf(j))
		return
	}
	w.Header().Set("Location", "/v1/scans/"+url.PathEscape(j.ID))
	writeJSON(w, http.StatusAccepted, docOf(j))
}

func (s *Server) getScan(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := contextTimeout(r, RequestTimeout)
	defer cancel()
	j, err := s.svc.Job(ctx, r.PathValue("id"))
	if err != nil {
		s.writeError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, docOf(j))
}

// imageDoc is GET /v1/images/{digest}.
type imageDoc struct {
	Subject    store.Subject     `json:"subject"`
	Snapshot   int64             `json:"snapshot"`
	ScannedAt  time.Time         `json:"scannedAt"`
	RecordedAt time.Time         `json:"recordedAt"`
	DBBuilt    time.Time         `json:"dbBuilt,omitzero"`
	Tool       string            `json:"tool"`
	Packages   int               `json:"packages"`
	Findings   int               `json:"findings"`
	BySeverity map[string]int    `json:"bySeverity"`
	Links      map[string]string `json:"links"`
}

func (s *Server) getImage(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := contextTimeout(r, RequestTimeout)
	defer cancel()
	digest := r.PathValue("digest")
	snap, err := s.svc.Image(ctx, digest)
	if err != nil {
		s.writeError(w, err)
		return
	}
	by := map[string]int{}
	for _, f := range snap.Findings {
		by[f.Severity]++
	}
	writeJSON(w, http.StatusOK, imageDoc{Subject: snap.Subject, Snapshot: snap.ID, ScannedAt: snap.ScannedAt, RecordedAt: snap.RecordedAt,
		DBBuilt: snap.DBBuilt, Tool: snap.Tool, Packages: snap.Packages, Findings: len(snap.Findings), BySeverity: by,
		Links: map[string]string{"self": "/v1/images/" + snap.Subject.Digest, "report": "/v1/images/" + snap.Subject.Digest + "/report"}})
}

type encoder interface {
	Encode(w io.Writer, r *report.Report) error
}

// reportFormats are the report formats and their media types, the first
// the default.
var reportFormats = []struct {
	name, mediaType string
	enc             encoder
}{
	{"json", "application/json", jsonreport.Encoder{}},
	{"cyclonedx-json", "application/vnd.cyclonedx+json", cyclonedx.Encoder{}},
	{"spdx-json", "application/spdx+json", spdx.Encoder{}},
	{"sarif", "application/sarif+json", sarif.Encoder{}},
	{"markdown", "text/markdown; charset=utf-8", markdown.Encoder{}},
}

// reportFormat picks the format: ?format= first, else the first media
// type of Accept the API writes, else JSON. ok is false for an unknown
// ?format= or an Accept that names none.
func reportFormat(r *http.Request) (int, bool) {
	if f := r.URL.Query().Get("format"); f != "" {
		for i, rf := range reportFormats {
			if rf.name == f {
				return i, true
			}
		}
		return 0, false
	}
	accept := r.Header.Get("Accept")
	if accept == "" {
		return 0, true
	}
	for _, part := range strings.Split(accept, ",") {
		mt, _, err := mime.ParseMediaType(strings.TrimSpace(part))
		if err != nil {
			continue
		}
		switch mt {
		case "*/*", "application/*":
			return 0, true
		}
		for i, rf := range reportFormats {
			if m, _, _ := mime.ParseMediaType(rf.mediaType); m == mt {
				return i, true
			}
		}
	}
	return 0, false
}

func (s *Server) getReport(w http.ResponseWriter, r *http.Request) {
	i, ok := reportFormat(r)
	if !ok {
		writeProblem(w, http.StatusNotAcceptable, "unknown report format: give format=json, cyclonedx-json, spdx-json, sarif or markdown (or their media types in Accept)")
		return
	}
	ctx, cancel := contextTimeout(r, RequestTimeout)
	defer cancel()
	// The ETag comes from the snapshot's head, not from the report: a
	// client that has the answer gets 304 without it being read.
	ref, err := s.svc.ReportRef(ctx, r.PathValue("digest"))
	if err != nil {
		s.writeError(w, err)
		return
	}
	w.Header().Set("Vary", "Accept")
	w.Header().Set("Cache-Control", "no-cache")
	if etag := reportETag(ref, i); notModified(r, etag) {
		s.reports.lookups.WithLabelValues("not_modified").Inc()
		w.Header().Set("ETag", etag)
		w.WriteHeader(http.StatusNotModified)
		return
	}
	a, err := s.encodedReport(ctx, ref, i)
	if err != nil {
		s.writeError(w, err)
		return
	}
	w.Header().Set("ETag", a.etag)
	w.Header().Set("Content-Type", reportFormats[i].mediaType)
	w.Header().Set("Content-Length", strconv.Itoa(len(a.body)))
	w.WriteHeader(http.StatusOK)
	w.Write(a.body)
}

// encodedReport returns the report ref names encoded in format i: from
// the cache, else read, judged and encoded once however many requests
// ask for it at the same time.
func (s *Server) encodedReport(ctx context.Context, ref service.ReportRef, i int) (*cached, error) {
	key := reportKey(ref, i)
	if a, ok := s.reports.get(key); ok {
		s.reports.lookups.WithLabelValues("hit").Inc()
		return a, nil
	}
	ran := false
	v, err, _ := s.loads.Do(key, func() (any, error) {
		ran = true
		// The load is shared: it must not end with the request that
		// happened to start it.
		ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), RequestTimeout)
		defer cancel()
		rep, got, err := s.svc.ReportOf(ctx, ref)
		if err != nil {
			return nil, err
		}
		var buf bytes.Buffer
		if err := reportFormats[i].enc.Encode(&buf, rep); err != nil {
			return nil, fmt.Errorf("encode the report: %w", err)
		}
		// got names what was read: the snapshot's DB build may have
		// moved since ref was taken.
		a := &cached{key: reportKey(got, i), etag: reportETag(got, i), body: buf.Bytes()}
		s.reports.put(a)
		return a, nil
	})
	if err != nil {
		return nil, err
	}
	outcome := "shared"
	if ran {
		outcome = "miss"
	}
	s.reports.lookups.WithLabelValues(outcome).Inc()
	return v.(*cached), nil
}

// reportKey is the cache key of ref's report in format i.
func reportKey(ref service.ReportRef, i int) string {
	return ref.Key() + "\x00" + reportFormats[i].name
}

// reportETag is the entity tag of ref's report in format i: a hash of
// what the answer is made from, so it is known before the report is read.
func reportETag(ref service.ReportRef, i int) string {
	sum := sha256.Sum256([]byte(reportKey(ref, i)))
	return `"` + hex.EncodeToString(sum[:16]) + `"`
}

// notModified says whether r's If-None-Match names etag (RFC 9110,
// 13.1.2: a list of tags, weak ones compared weakly, or "*").
func notModified(r *http.Request, etag string) bool {
	for _, t := range strings.Split(r.Header.Get("If-None-Match"), ",") {
		t = strings.TrimPrefix(strings.TrimSpace(t), "W/")
		if t == etag || t == "*" {
			return true
		}
	}
	return false
}

// page reads limit and next: the offset the cursor holds.
func page(r *http.Request) (offset, limit int, err error) {
	limit = DefaultLimit
	if l := r.URL.Query().Get("limit"); l != "" {
		n, err := strconv.Atoi(l)
		if err != nil || n < 1 || n > MaxLimit {
			return 0, 0, fmt.Errorf("limit %q: want 1 to %d", l, MaxLimit)
		}
		limit = n
	}
	if c := r.URL.Query().Get("next"); c != "" {
		b, err := base64.RawURLEncoding.DecodeString(c)
		var n int
		if err == nil {
			n, err = strconv.Atoi(strings.TrimPrefix(string(b), "o:"))
		}
		if err != nil || n < 0 || !strings.HasPrefix(string(b), "o:") {
			return 0, 0, fmt.Errorf("next %q: not a cursor this API gave", c)
		}
		offset = n
	}
	return offset, limit, nil
}

// cut returns the page of items and the cursor of the next one.
func cut[T any](items []T, offset, limit int) ([]T, string) {
	if offset >= len(items) {
		return []T{}, ""
	}
	end := min(offset+limit, len(items))
	next := ""
	if end < len(items) {
		next = base64.RawURLEncoding.EncodeToString([]byte("o:" + strconv.Itoa(end)))
	}
	return items[offset:end], next
}

type exposureDoc struct {
	Query   map[string]string `json:"query"`
	Matches []store.Match     `json:"matches"`
	Total   int               `json:"total"`
	Next    string            `json:"next,omitempty"`
}

func (s *Server) getExposure(w http.ResponseWriter, r *http.Request) {
	offset, limit, err := page(r)
	if err != nil {
		writeProblem(w, http.StatusBadRequest, err.Error())
		return
	}
	ctx, cancel := contextTimeout(r, RequestTimeout)
	defer cancel()
	id := r.PathValue("id")
	ms, err := s.svc.Store().Where(ctx, id)
	if err != nil {
		s.writeError(w, err)
		return
	}
	p, next := cut(ms, offset, limit)
	writeJSON(w, http.StatusOK, exposureDoc{Query: map[string]string{"id": id}, Matches: p, Total: len(ms), Next: next})
}

type spreadDoc struct {
	Query    map[string]any        `json:"query"`
	Versions []store.VersionSpread `json:"versions"`
	Total    int                   `json:"total"`
	Next     string                `json:"next,omitempty"`
}

func (s *Server) getSpread(w http.ResponseWriter, r *http.Request) {
	offset, limit, err := page(r)
	if err != nil {
		writeProblem(w, http.StatusBadRequest, err.Error())
		return
	}
	upstream := false
	if u := r.URL.Query().Get("upstream"); u != "" {
		if upstream, err = strconv.ParseBool(u); err != nil {
			writeProblem(w, http.StatusBadRequest, fmt.Sprintf("upstream %q: want true or false", u))
			return
		}
	}
	ctx, cancel := contextTimeout(r, RequestTimeout)
	defer cancel()
	name := r.PathValue("name")
	vs, err := service.Spread(ctx, s.svc.Store(), name, upstream, true)
	if err != nil {
		s.writeError(w, err)
		return
	}
	p, next := cut(vs, offset, limit)
	writeJSON(w, http.StatusOK, spreadDoc{Query: map[string]any{"package": name, "upstream": upstream}, Versions: p, Total: len(vs), Next: next})
}

type dbDoc struct {
	SchemaVersion int       `json:"schemaVersion"`
	Built         time.Time `json:"built"`
	// AgeSeconds is how long ago the DB was built.
	AgeSeconds int64           `json:"ageSeconds"`
	Sources    json.RawMessage `json:"sources"`
	Advisories int             `json:"advisories"`
}

func (s *Server) getDB(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := contextTimeout(r, RequestTimeout)
	defer cancel()
	d, err := s.svc.DB(ctx)
	if err != nil {
		s.writeError(w, err)
		return
	}
	src, _ := json.Marshal(d.Sources)
	if d.Sources == nil {
		src = []byte("[]")
	}
	writeJSON(w, http.StatusOK, dbDoc{SchemaVersion: d.SchemaVersion, Built: d.Built, AgeSeconds: int64(d.Age.Seconds()), Sources: src, Advisories: d.Advisories})
}

// writeError answers a service error with its status.
func (s *Server) writeError(w http.ResponseWriter, err error) {
	var re *service.RequestError
	switch {
	case errors.As(err, &re):
		writeProblem(w, http.StatusUnprocessableEntity, re.Msg)
	case errors.Is(err, service.ErrNotFound):
		writeProblem(w, http.StatusNotFound, "not found")
	case errors.Is(err, service.ErrRegistry):
		writeProblem(w, http.StatusBadGateway, err.Error())
	case errors.Is(err, service.ErrNoDB):
		writeProblem(w, http.StatusServiceUnavailable, err.Error())
	case errors.Is(err, context.DeadlineExceeded):
		writeProblem(w, http.StatusGatewayTimeout, "the request took too long")
	default:
		s.log.Error("request", "error", err)
		writeProblem(w, http.StatusInternalServerError, "internal error; the server's log has the details")
	}
}

func writeJSON(w http.ResponseWriter, code int, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		writeProblem(w, http.StatusInternalServerError, "encode the answer")
		return
	}
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}

// problemType is the media type of errors (RFC 9457).
const problemType = "application/problem+json"

// writeProblem answers code with a problem document (RFC 9457).
func writeProblem(w http.ResponseWriter, code int, detail string) {
	b, _ := json.Marshal(map[string]any{"type": "about:blank", "title": http.StatusText(code), "status": code, "detail": detail})
	w.Header().Set("Content-Type", problemType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(code)
	w.Write(append(b, '\n'))
}
