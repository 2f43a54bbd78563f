// Package problem writes HTTP errors as problem details (RFC 9457,
// application/problem+json), the error format of customs serve's API.
package problem

import (
	"context"
	"encoding/json"
	"net/http"
)

// ContentType is the media type of a problem document.
const ContentType = "application/problem+json"

// Details is a problem document (RFC 9457 section 3.1).
type Details struct {
	// Type is a URI naming the problem type; "about:blank" (written when
	// empty) says the status code's meaning is all there is.
	Type   string `json:"type"`
	Title  string `json:"title"`
	Status int    `json:"status"`
	Detail string `json:"detail,omitempty"`
	// Instance names this occurrence, such as the request's path.
	Instance string `json:"instance,omitempty"`
}

// Writer writes an error in a front end's own format.
type Writer func(w http.ResponseWriter, r *http.Request, status int, detail string)

type writerKey struct{}

// WithWriter returns ctx with the error writer of the front end serving
// the request: Harbor's adapter answers every error, those of the shared
// middleware (tokens, body and rate limits) included, in the scanner
// spec's error MIME type.
func WithWriter(ctx context.Context, wr Writer) context.Context {
	return context.WithValue(ctx, writerKey{}, wr)
}

// Write answers status with a problem whose title is the status text and
// whose detail says what to do; or with the request's own error writer
// (WithWriter).
func Write(w http.ResponseWriter, r *http.Request, status int, detail string) {
	if r != nil {
		if wr, ok := r.Context().Value(writerKey{}).(Writer); ok {
			wr(w, r, status, detail)
			return
		}
	}
	d := Details{Title: http.StatusText(status), Status: status, Detail: detail}
	if r != nil {
		d.Instance = r.URL.Path
	}
	WriteDetails(w, d)
}

// WriteDetails answers with d.
func WriteDetails(w http.ResponseWriter, d Details) {
	if d.Type == "" {
		d.Type = "about:blank"
	}
	w.Header().Set("Content-Type", ContentType)
	w.Header().Set("X-Content-Type-Options", "nosniff")
	w.WriteHeader(d.Status)
	_ = json.NewEncoder(w).Encode(d)
}
