package server

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/customs-scanner/customs/internal/store"
)

// Limits of a subscription.
const (
	// MinSecret is the shortest secret a subscription may sign with.
	MinSecret = 16
	// MaxSecret and MaxURL bound what is stored.
	MaxSecret = 256
	MaxURL    = 2048
)

// subscriptionRequest is the body of POST /v1/subscriptions and PUT
// /v1/subscriptions/{id}.
type subscriptionRequest struct {
	URL string `json:"url"`
	// Secret signs the events; on PUT, absent keeps the stored one.
	Secret *string `json:"secret"`
	store.Filter
}

// subscriptionDoc is a subscription as the API shows it: never its
// secret.
type subscriptionDoc struct {
	store.Subscription
	Links map[string]string `json:"links"`
}

func subscriptionDocOf(s store.Subscription) subscriptionDoc {
	if s.Refs == nil {
		s.Refs = []string{}
	}
	return subscriptionDoc{Subscription: s, Links: map[string]string{"self": "/v1/subscriptions/" + url.PathEscape(s.ID)}}
}

type subscriptionsDoc struct {
	Subscriptions []subscriptionDoc `json:"subscriptions"`
	Total         int               `json:"total"`
	Next          string            `json:"next,omitempty"`
}

// readSubscription decodes and checks a subscription request; a problem
// is written when it returns false.
func (s *Server) readSubscription(w http.ResponseWriter, r *http.Request, sub *store.Subscription, create bool) bool {
	var req subscriptionRequest
	dec := json.NewDecoder(io.LimitReader(r.Body, MaxBody))
	dec.DisallowUnknownFields()
	if err := dec.Decode(&req); err != nil {
		writeProblem(w, http.StatusBadRequest, "the body is not a subscription {url, secret, minSeverity, kevOnly, fixableOnly, refs}: "+err.Error())
		return false
	}
	if req.Secret == nil && create {
		writeProblem(w, http.StatusUnprocessableEntity, "secret: give the secret the events are signed with (X-Customs-Signature)")
		return false
	}
	if req.Secret != nil {
		if n := len(*req.Secret); n < MinSecret || n > MaxSecret {
			writeProblem(w, http.StatusUnprocessableEntity, fmt.Sprintf("secret: %d characters; want %d to %d", n, MinSecret, MaxSecret))
			return false
		}
		sub.Secret = *req.Secret
	}
	u, err := url.Parse(req.URL)
	switch {
	case len(req.URL) > MaxURL:
		err = fmt.Errorf("longer than %d characters", MaxURL)
	case err != nil:
	case u.Scheme != "http" && u.Scheme != "https" || u.Host == "":
		err = errors.New("want an http:// or https:// URL")
	case u.User != nil:
		err = errors.New("credentials in the URL are refused: the events are signed with the secret")
	}
	if err != nil {
		writeProblem(w, http.StatusUnprocessableEntity, "url: "+err.Error())
		return false
	}
	sub.URL, sub.Filter = req.URL, req.Filter
	if s.opts.CheckWebhook != nil {
		ctx, cancel := contextTimeout(r, RequestTimeout)
		defer cancel()
		if err := s.opts.CheckWebhook(ctx, *sub); err != nil {
			writeProblem(w, http.StatusUnprocessableEntity, err.Error())
			return false
		}
	}
	return true
}

func (s *Server) subscriptionError(w http.ResponseWriter, err error) {
	switch {
	case errors.Is(err, store.ErrNoSubscription):
		writeProblem(w, http.StatusNotFound, "no such subscription")
	case errors.Is(err, store.ErrSubscriptionExists):
		writeProblem(w, http.StatusConflict, "a subscription with this url exists")
	default:
		s.writeError(w, err)
	}
}

func (s *Server) listSubscriptions(w http.ResponseWriter, r *http.Request) {
	offset, limit, err := page(r)
	if err != nil {
		writeProblem(w, http.StatusBadRequest, err.Error())
		return
	}
	ctx, cancel := contextTimeout(r, RequestTimeout)
	defer cancel()
	subs, err := s.svc.Store().Subscriptions(ctx)
	if err != nil {
		s.subscriptionError(w, err)
		return
	}
	p, next := cut(subs, offset, limit)
	docs := make([]subscriptionDoc, len(p))
	for i, sub := range p {
		docs[i] = subscriptionDocOf(sub)
	}
	writeJSON(w, http.StatusOK, subscriptionsDoc{Subscriptions: docs, Total: len(subs), Next: next})
}

func (s *Server) createSubscription(w http.ResponseWriter, r *http.Request) {
	var id [8]byte
	rand.Read(id[:])
	now := time.Now().UTC()
	sub := store.Subscription{ID: "sub_" + hex.EncodeToString(id[:]), CreatedAt: now, UpdatedAt: now}
	if !s.readSubscription(w, r, &sub, true) {
		return
	}
	ctx, cancel := contextTimeout(r, RequestTimeout)
	defer cancel()
	if err := s.svc.Store().CreateSubscription(ctx, sub); err != nil {
		s.subscriptionError(w, err)
		return
	}
	s.log.Info("subscription created", "id", sub.ID, "url", redact(sub.URL))
	w.Header().Set("Location", "/v1/subscriptions/"+sub.ID)
	writeJSON(w, http.StatusCreated, subscriptionDocOf(sub))
}

func (s *Server) getSubscription(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := contextTimeout(r, RequestTimeout)
	defer cancel()
	sub, err := s.svc.Store().Subscription(ctx, r.PathValue("id"))
	if err != nil {
		s.subscriptionError(w, err)
		return
	}
	writeJSON(w, http.StatusOK, subscriptionDocOf(sub))
}

func (s *Server) putSubscription(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := contextTimeout(r, RequestTimeout)
	defer cancel()
	sub, err := s.svc.Store().Subscription(ctx, r.PathValue("id"))
	if err != nil {
		s.subscriptionError(w, err)
		return
	}
	if !s.readSubscription(w, r, &sub, false) {
		return
	}
	sub.UpdatedAt = time.Now().UTC()
	if err := s.svc.Store().UpdateSubscription(ctx, sub); err != nil {
		s.subscriptionError(w, err)
		return
	}
	s.log.Info("subscription updated", "id", sub.ID, "url", redact(sub.URL))
	writeJSON(w, http.StatusOK, subscriptionDocOf(sub))
}

func (s *Server) deleteSubscription(w http.ResponseWriter, r *http.Request) {
	ctx, cancel := contextTimeout(r, RequestTimeout)
	defer cancel()
	id := r.PathValue("id")
	if err := s.svc.Store().DeleteSubscription(ctx, id); err != nil {
		s.subscriptionError(w, err)
		return
	}
	s.log.Info("subscription deleted", "id", id)
	w.WriteHeader(http.StatusNoContent)
}

// redact drops a URL's query and fragment, which may hold tokens, for
// logs.
func redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return strings.TrimSuffix(u.String(), "?")
}
