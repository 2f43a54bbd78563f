package harbor

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"mime"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/customs-scanner/customs/internal/report"
	jsonreport "github.com/customs-scanner/customs/internal/report/json"
	"github.com/customs-scanner/customs/internal/server/auditlog"
	"github.com/customs-scanner/customs/internal/service"
)

// Prefix is where the API is mounted: the spec's server URL.
const Prefix = "/api/v1"

// MaxRequestBody bounds a scan request's body; Harbor's are under 2 KiB.
const MaxRequestBody = 64 << 10

// Service is what the adapter needs from the scanning service
// (*service.Service).
type Service interface {
	// Submit resolves and enqueues a scan; a digest already queued,
	// running or scanned answers that job.
	Submit(ctx context.Context, r service.Request) (service.Job, error)
	// Job returns the state of a job, service.ErrNotFound for an unknown
	// ID.
	Job(ctx context.Context, id string) (service.Job, error)
	// Report returns the report recorded for a manifest digest.
	Report(ctx context.Context, digest string) (*report.Report, error)
	// DB describes the vulnerability DB the scans use, service.ErrNoDB
	// when there is none.
	DB(ctx context.Context) (service.DBInfo, error)
}

// Estimator is what a Service may offer for Refresh-After: the time until
// a job is done, from the jobs ahead of it and the recent job durations.
type Estimator interface {
	Remaining(ctx context.Context, id string) (time.Duration, error)
}

// Options configure the handler.
type Options struct {
	// Version is customs' version, which the metadata names.
	Version string
	// Logger receives the errors the API answers 500 to; nil discards
	// them.
	Logger *slog.Logger
}

// Handler serves the scanner API under Prefix.
type Handler struct {
	svc     Service
	opts    Options
	scanner Scanner
	log     *slog.Logger
	mux     *http.ServeMux
	times   *turnaround
}

// NewHandler returns the API over svc. It serves the full paths under
// Prefix: mount it at Prefix + "/".
func NewHandler(svc Service, opts Options) *Handler {
	log := opts.Logger
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	h := &Handler{svc: svc, opts: opts, scanner: Scanner{Name: "customs", Vendor: "customs-scanner", Version: opts.Version}, log: log, mux: http.NewServeMux(), times: newTurnaround(time.Now)}
	h.mux.HandleFunc("GET "+Prefix+"/metadata", h.metadata)
	h.mux.HandleFunc("POST "+Prefix+"/scan", h.scan)
	h.mux.HandleFunc("GET "+Prefix+"/scan/{scan_request_id}/report", h.report)
	h.mux.HandleFunc(Prefix+"/", func(w http.ResponseWriter, r *http.Request) {
		writeError(w, http.StatusNotFound, "no such operation: "+r.Method+" "+r.URL.Path)
	})
	return h
}

// ServeHTTP implements http.Handler.
func (h *Handler) ServeHTTP(w http.ResponseWriter, r *http.Request) { h.mux.ServeHTTP(w, r) }

// Capabilities are what customs consumes and produces: vulnerability
// reports in both versions and SBOMs in both formats, of image manifests.
func Capabilities() []Capability {
	consumes := []string{MIMEOCIManifest, MIMEDockerManifest}
	return []Capability{
		{Type: CapabilityVulnerability, ConsumesMIMETypes: consumes, ProducesMIMETypes: []string{MIMEVulnReport10, MIMEVulnReport11}},
		{Type: CapabilitySBOM, ConsumesMIMETypes: consumes, ProducesMIMETypes: []string{MIMESBOMReport},
			AdditionalAttributes: map[string]any{"sbom_media_types": []string{MediaTypeSPDX, MediaTypeCycloneDX}}},
	}
}

func (h *Handler) metadata(w http.ResponseWriter, r *http.Request) {
	db, err := h.svc.DB(r.Context())
	if err != nil && !errors.Is(err, service.ErrNoDB) {
		h.fail(w, r, "read the DB's description", err)
		return
	}
	md := Metadata{Scanner: h.scanner, Capabilities: Capabilities(), Properties: map[string]string{PropScannerType: scannerTypeOSPkgs}}
	if err == nil {
		md.Properties[PropDBUpdatedAt] = db.Built.UTC().Format(time.RFC3339)
		md.Properties[PropDBSchema] = strconv.Itoa(db.SchemaVersion)
		var kinds []string
		for _, s := range db.Sources {
			if !slices.Contains(kinds, s.Kind) {
				kinds = append(kinds, s.Kind)
			}
		}
		md.Properties[PropDBSources] = strings.Join(kinds, ",")
	}
	ct := MIMEMetadata11
	if accepts(r.Header.Get("Accept"), MIMEMetadata10) && !accepts(r.Header.Get("Accept"), MIMEMetadata11) {
		ct = MIMEMetadata10
	}
	writeJSON(w, http.StatusOK, ct, md)
}

func (h *Handler) scan(w http.ResponseWriter, r *http.Request) {
	if ct := r.Header.Get("Content-Type"); !isScanRequest(ct) {
		writeError(w, http.StatusBadRequest, fmt.Sprintf("Content-Type %q: want %q or %q", ct, MIMEScanRequest11, MIMEScanRequest10))
		return
	}
	body, err := io.ReadAll(http.MaxBytesReader(w, r.Body, MaxRequestBody))
	if err != nil {
		writeError(w, http.StatusBadRequest, "read the scan request: "+err.Error())
		return
	}
	var req ScanRequest
	if err := json.Unmarshal(body, &req); err != nil {
		writeError(w, http.StatusBadRequest, "decode the scan request: "+err.Error())
		return
	}
	sr, status, err := checkRequest(&req)
	if err != nil {
		writeError(w, status, err.Error())
		return
	}
	sr.Origin = service.OriginHarbor
	auditlog.From(r.Context()).SetTarget(sr.Target)
	job, err := h.svc.Submit(r.Context(), sr)
	var reqErr *service.RequestError
	switch {
	case errors.As(err, &reqErr):
		writeError(w, http.StatusUnprocessableEntity, reqErr.Msg)
		return
	case err != nil:
		h.fail(w, r, "enqueue the scan", err)
		return
	}
	writeJSON(w, http.StatusAccepted, MIMEScanResponse, ScanResponse{ID: job.ID})
}

// checkRequest checks a scan request against the spec and what customs
// can do, and returns the service's request with the status to answer when
// it fails: 422 for an invalid field, 501 for a capability customs lacks.
func checkRequest(req *ScanRequest) (service.Request, int, error) {
	invalid := func(format string, args ...any) (service.Request, int, error) {
		return service.Request{}, http.StatusUnprocessableEntity, fmt.Errorf(format, args...)
	}
	if req.Registry == nil {
		return invalid("registry is missing")
	}
	if req.Artifact == nil {
		return invalid("artifact is missing")
	}
	u, err := url.Parse(req.Registry.URL)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil || (u.Path != "" && u.Path != "/") || u.RawQuery != "" {
		return invalid("registry.url %q: want the registry's base URL, http(s)://host[:port]", req.Registry.URL)
	}
	a := req.Artifact
	if a.Repository == "" {
		return invalid("artifact.repository is missing")
	}
	if a.Digest == "" {
		return invalid("artifact.digest is missing: customs scans an artifact by its digest")
	}
	ref := u.Host + "/" + a.Repository
	if a.Tag != "" {
		ref += ":" + a.Tag
	}
	ref += "@" + a.Digest
	if _, err := name.NewDigest(ref, name.StrictValidation); err != nil {
		return invalid("artifact: %v", err)
	}
	if a.MIMEType != "" && a.MIMEType != MIMEOCIManifest && a.MIMEType != MIMEDockerManifest {
		return service.Request{}, http.StatusNotImplemented, fmt.Errorf("artifact.mime_type %q: customs scans %s and %s", a.MIMEType, MIMEOCIManifest, MIMEDockerManifest)
	}
	caps := Capabilities()
	for _, ec := range req.EnabledCapabilities {
		i := slices.IndexFunc(caps, func(c Capability) bool { return c.Type == ec.Type })
		if i < 0 {
			return service.Request{}, http.StatusNotImplemented, fmt.Errorf("enabled_capabilities: customs has no %q capability", ec.Type)
		}
		for _, m := range ec.ProducesMIMETypes {
			if !slices.Contains(caps[i].ProducesMIMETypes, m) {
				return service.Request{}, http.StatusNotImplemented, fmt.Errorf("enabled_capabilities: the %s capability does not produce %q", ec.Type, m)
			}
		}
		if ec.Parameters != nil {
			for _, m := range ec.Parameters.SBOMMediaTypes {
				if m != MediaTypeSPDX && m != MediaTypeCycloneDX {
					return service.Request{}, http.StatusNotImplemented, fmt.Errorf("enabled_capabilities: sbom_media_types %q: customs writes %s and %s", m, MediaTypeSPDX, MediaTypeCycloneDX)
				}
			}
		}
	}
	if _, err := RegistryAuth(req.Registry.Authorization); err != nil {
		return service.Request{}, http.StatusUnprocessableEntity, err
	}
	sr := service.Request{Target: ref}
	if a := strings.TrimSpace(req.Registry.Authorization); a != "" {
		sr.Auth = &service.Credentials{Authorization: a}
	}
	return sr, 0, nil
}

func (h *Handler) report(w http.ResponseWriter, r *http.Request) {
	ct, ok := negotiate(r.Header.Get("Accept"))
	if !ok {
		writeError(w, http.StatusNotImplemented, fmt.Sprintf("Accept %q: customs writes %s, %s, %s and %s", r.Header.Get("Accept"), MIMEVulnReport11, MIMEVulnReport10, MIMESBOMReport, MIMERawReport))
		return
	}
	var sbomType string
	if ct == MIMESBOMReport {
		sbomType = r.URL.Query().Get("sbom_media_type")
		if sbomType != MediaTypeSPDX && sbomType != MediaTypeCycloneDX {
			writeError(w, http.StatusBadRequest, fmt.Sprintf("sbom_media_type %q: want %s or %s", sbomType, MediaTypeSPDX, MediaTypeCycloneDX))
			return
		}
	}
	id := r.PathValue("scan_request_id")
	job, err := h.svc.Job(r.Context(), id)
	if errors.Is(err, service.ErrNotFound) {
		writeError(w, http.StatusNotFound, "no scan request "+strconv.Quote(id))
		return
	}
	if err != nil {
		h.fail(w, r, "read the scan's state", err)
		return
	}
	auditlog.From(r.Context()).SetTarget(job.Target)
	switch job.Status {
	case service.Queued, service.Running:
		w.Header().Set("Refresh-After", strconv.Itoa(RefreshAfter(h.remaining(r.Context(), job))))
		w.WriteHeader(http.StatusFound)
		return
	case service.Failed:
		writeError(w, http.StatusInternalServerError, "scan failed: "+job.Reason)
		return
	case service.Done:
	default:
		h.fail(w, r, "read the scan's state", fmt.Errorf("job %s in unknown state %q", id, job.Status))
		return
	}
	h.times.done(job)
	rep, err := h.svc.Report(r.Context(), job.Digest)
	if err != nil {
		h.fail(w, r, "read the report", err)
		return
	}
	art := ArtifactOf(job.Target)
	switch ct {
	case MIMEVulnReport10, MIMEVulnReport11:
		writeJSON(w, http.StatusOK, ct, Vulnerabilities(rep, art, h.reportScanner(rep), ct == MIMEVulnReport10))
	case MIMESBOMReport:
		doc, err := SBOM(rep, sbomType)
		if err != nil {
			h.fail(w, r, "encode the SBOM", err)
			return
		}
		writeJSON(w, http.StatusOK, ct, SBOMReport{
			GeneratedAt: rep.CreatedAt.UTC(), Artifact: art, Scanner: h.reportScanner(rep), MediaType: sbomType, SBOM: doc,
			VendorAttributes: map[string]any{"packages": len(rep.Packages)},
		})
	case MIMERawReport:
		w.Header().Set("Content-Type", ct)
		w.WriteHeader(http.StatusOK)
		if err := (jsonreport.Encoder{}).Encode(w, rep); err != nil {
			h.log.ErrorContext(r.Context(), "harbor: write the raw report", "id", id, "err", err)
		}
	}
}

// reportScanner names the customs that wrote the report.
func (h *Handler) reportScanner(r *report.Report) Scanner {
	s := h.scanner
	if r.Tool.Version != "" {
		s.Version = r.Tool.Version
	}
	return s
}

// ArtifactOf reads the artifact back from a scanned reference,
// registry/repository[:tag]@digest.
func ArtifactOf(ref string) Artifact {
	d, err := name.NewDigest(ref)
	if err != nil {
		return Artifact{}
	}
	a := Artifact{Repository: d.Context().RepositoryStr(), Digest: d.DigestStr()}
	base, _, _ := strings.Cut(ref, "@")
	if i := strings.LastIndex(base, ":"); i > strings.LastIndex(base, "/") {
		a.Tag = base[i+1:]
	}
	return a
}

// negotiate picks the report MIME type from an Accept header: none or */*
// means the legacy 1.0 report (the spec's default).
func negotiate(accept string) (string, bool) {
	if strings.TrimSpace(accept) == "" {
		return MIMEVulnReport10, true
	}
	for part := range strings.SplitSeq(accept, ",") {
		mt, params, err := mime.ParseMediaType(part)
		if err != nil {
			continue
		}
		if mt == "*/*" {
			return MIMEVulnReport10, true
		}
		for _, ct := range []string{MIMEVulnReport11, MIMEVulnReport10, MIMESBOMReport, MIMERawReport} {
			if sameType(mt, params, ct) {
				return ct, true
			}
		}
	}
	return "", false
}

// accepts reports whether an Accept header names ct (any version when the
// header gives none), or accepts anything.
func accepts(accept, ct string) bool {
	for part := range strings.SplitSeq(accept, ",") {
		mt, params, err := mime.ParseMediaType(part)
		if err == nil && (mt == "*/*" || sameType(mt, params, ct)) {
			return true
		}
	}
	return false
}

// sameType compares a parsed media type with one of the spec's, whose only
// parameter is its version; a request without a version matches any.
func sameType(mt string, params map[string]string, ct string) bool {
	want, wantParams, _ := mime.ParseMediaType(ct)
	if mt != want {
		return false
	}
	v, ok := params["version"]
	return !ok || v == wantParams["version"]
}

func isScanRequest(ct string) bool {
	mt, params, err := mime.ParseMediaType(ct)
	if err != nil {
		return false
	}
	if mt == "application/json" {
		return true
	}
	return sameType(mt, params, MIMEScanRequest11) || sameType(mt, params, MIMEScanRequest10)
}

// fail answers 500 and logs the error, which may name internals.
func (h *Handler) fail(w http.ResponseWriter, r *http.Request, what string, err error) {
	h.log.ErrorContext(r.Context(), "harbor: "+what, "path", r.URL.Path, "err", err)
	writeError(w, http.StatusInternalServerError, what+": internal error")
}

// Fail writes an error in the spec's error MIME type; it is the server's
// authentication failure writer for the Harbor routes
// (auth.Authenticator.RequireFunc), so Harbor shows its message.
func Fail(w http.ResponseWriter, _ *http.Request, status int, detail string) {
	writeError(w, status, detail)
}

func writeError(w http.ResponseWriter, status int, msg string) {
	var e ErrorResponse
	e.Error.Message = msg
	writeJSON(w, status, MIMEError, e)
}

func writeJSON(w http.ResponseWriter, status int, ct string, v any) {
	b, err := json.Marshal(v)
	if err != nil {
		status, ct = http.StatusInternalServerError, MIMEError
		b = []byte(`{"error":{"message":"encode the response"}}`)
	}
	w.Header().Set("Content-Type", ct)
	w.Header().Set("Content-Length", strconv.Itoa(len(b)))
	w.WriteHeader(status)
	w.Write(b)
}
