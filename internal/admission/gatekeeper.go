package admission

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"
)

// The Gatekeeper external-data protocol (externaldata.gatekeeper.sh,
// https://open-policy-agent.github.io/gatekeeper/website/docs/externaldata):
// Gatekeeper POSTs the keys a policy names (here image references) and
// reads one item per key.

// ProviderAPIVersion is the version of the provider protocol answered.
const ProviderAPIVersion = "externaldata.gatekeeper.sh/v1beta1"

// MaxProviderKeys bounds the keys of one ProviderRequest.
const MaxProviderKeys = 1000

// ProviderRequest is what Gatekeeper sends.
type ProviderRequest struct {
	APIVersion string `json:"apiVersion"`
	Kind       string `json:"kind"`
	Request    struct {
		Keys []string `json:"keys"`
	} `json:"request"`
}

// ProviderResponse is the answer.
type ProviderResponse struct {
	APIVersion string   `json:"apiVersion"`
	Kind       string   `json:"kind"`
	Response   Response `json:"response"`
}

// Response holds the items, or a systemError when no item could be
// answered.
type Response struct {
	// Idempotent tells Gatekeeper the answer may be cached (and lets
	// mutation policies use the provider).
	Idempotent  bool   `json:"idempotent"`
	Items       []Item `json:"items"`
	SystemError string `json:"systemError,omitempty"`
}

// Item is the answer for one key: an Image value, or an error.
type Item struct {
	Key   string `json:"key"`
	Value any    `json:"value,omitempty"`
	Error string `json:"error,omitempty"`
}

// ServeProvider answers a Gatekeeper ProviderRequest: for each image
// reference the same decision as ServeReview makes for one image (an Image
// value with allowed, the verdict and the findings that decided it). A
// store failure for one image is that item's error.
func (h *Handler) ServeProvider(w http.ResponseWriter, r *http.Request) {
	var req ProviderRequest
	if err := decodeBody(w, r, &req); err != nil {
		problem(w, http.StatusBadRequest, "malformed ProviderRequest", err.Error())
		return
	}
	if !strings.HasPrefix(req.APIVersion, "externaldata.gatekeeper.sh/") || req.Kind != "ProviderRequest" {
		problem(w, http.StatusBadRequest, "malformed ProviderRequest",
			fmt.Sprintf("apiVersion %q, kind %q: want %s ProviderRequest", req.APIVersion, req.Kind, ProviderAPIVersion))
		return
	}
	resp := ProviderResponse{APIVersion: ProviderAPIVersion, Kind: "ProviderResponse", Response: Response{Idempotent: true, Items: []Item{}}}
	if n := len(req.Request.Keys); n > MaxProviderKeys {
		resp.Response.SystemError = fmt.Sprintf("%d keys: at most %d per request", n, MaxProviderKeys)
	} else {
		for _, key := range req.Request.Keys {
			im, err := h.Image(r.Context(), key, true)
			if err != nil {
				resp.Response.Items = append(resp.Response.Items, Item{Key: key, Error: err.Error()})
				continue
			}
			resp.Response.Items = append(resp.Response.Items, Item{Key: key, Value: im})
		}
	}
	w.Header().Set("Content-Type", "application/json")
	_ = json.NewEncoder(w).Encode(&resp)
}
