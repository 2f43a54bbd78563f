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

// Route is a path whose bodies have a limit of their own: the admission
// webhook takes AdmissionReviews of an object and its old version, each up
// to etcd's 1.5 MiB.
type Route struct {
	Path string
	Max  int64
}

// Body returns middleware that refuses bodies over n bytes (over a
// route's Max for a request to its exact path): at once with 413 when
// Content-Length says so, else by making reads past the limit fail with
// *http.MaxBytesError, which handlers answer with 413 (TooLarge tells).
func Body(n int64, routes ...Route) func(http.Handler) http.Handler {
	return func(next http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n := n
			for _, rt := range routes {
				if r.URL.Path == rt.Path {
					n = rt.Max
				}
			}
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
