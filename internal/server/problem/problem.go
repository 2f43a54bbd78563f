// Package problem writes HTTP errors as problem details (RFC 9457,
// application/problem+json), the error format of customs serve's API.
package problem

import (
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

// Write answers status with a problem whose title is the status text and
// whose detail says what to do.
func Write(w http.ResponseWriter, r *http.Request, status int, detail string) {
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
