// Package limit bounds what one client may ask of customs serve: the size
// of a request body and the rate of requests per API token
// (docs/serve.md, "Security").
package limit

import (
	"fmt"
	"net/http"

	"github.com/customs-scanner/customs/internal/server/problem"
)

// DefaultBodyBytes is the default largest request body: scan requests,
// AdmissionReviews and Harbor's scan requests are a few kilobytes; an
// AdmissionReview of a large pod spec stays well under it.
const DefaultBodyBytes = 1 << 20

// Body returns middleware that refuses bodies over n bytes: at once with
// 413 when Content-Length says so, else by making reads past n fail with
// *http.MaxBytesError, which handlers answer with 413 (TooLarge tells).
func Body(n int64) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if r.ContentLength > n {
				problem.Write(w, r, http.StatusRequestEntityTooLarge, fmt.Sprintf("the request body is %d bytes; the limit is %d", r.ContentLength, n))
				return
			}
			if r.Body != nil && r.Body != http.NoBody {
				r.Body = http.MaxBytesReader(w, r.Body, n)
			}
			next.ServeHTTP(w, r)
		})
	}
}
