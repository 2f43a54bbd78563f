package notify

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/customs-scanner/customs/internal/store"
)

// Delivery limits: webhook targets are untrusted.
const (
	// Timeout bounds one attempt, connecting and reading the answer.
	Timeout = 10 * time.Second
	// MaxResponse is how much of an answer is read.
	MaxResponse = 64 << 10
	// MaxAttempts is how many attempts a delivery gets before it fails
	// for good (customs notify status lists it).
	MaxAttempts = 10
)

// Backoff is the wait after the n-th failed attempt (n from 1): 30 s,
// doubling, at most an hour.
func Backoff(n int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < n && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// Client returns the HTTP client deliveries use: a timeout, and redirects
// followed only to the same host.
func Client() *http.Client {
	return &http.Client{
		Timeout: Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			if len(via) >= 3 {
				return errors.New("more than 3 redirects")
			}
			if req.URL.Host != via[0].URL.Host {
				return fmt.Errorf("redirect to another host (%s) refused", req.URL.Host)
			}
			return nil
		},
	}
}

// Post sends one event to url, signed with secret.
func Post(ctx context.Context, c *http.Client, target, secret string, body []byte) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, target, bytes.NewReader(body))
	if err != nil {
		return fmt.Errorf("webhook %s: %v", Redact(target), errors.Unwrap(err))
	}
	req.Header.Set("Content-Type", "application/cloudevents+json; charset=utf-8")
	req.Header.Set("X-Customs-Signature", Sign(body, secret))
	resp, err := c.Do(req)
	if ue := (*url.Error)(nil); errors.As(err, &ue) {
		// Its message quotes the URL, query (a token, maybe) and all.
		return fmt.Errorf("%s %s: %w", ue.Op, Redact(ue.URL), ue.Err)
	}
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	_, _ = io.Copy(io.Discard, io.LimitReader(resp.Body, MaxResponse))
	if resp.StatusCode < 200 || resp.StatusCode > 299 {
		return fmt.Errorf("%s answered %s", Redact(target), resp.Status)
	}
	return nil
}

// Redact drops a URL's user information, query and fragment, which may
// hold tokens, for messages.
func Redact(s string) string {
	u, err := url.Parse(s)
	if err != nil {
		return "(unparsable URL)"
	}
	u.User, u.RawQuery, u.Fragment = nil, "", ""
	return u.String()
}

// Delivered counts what Deliver did.
type Delivered struct {
	Sent, Retrying, Failed int
}

// Deliver drains the outbox: each due delivery is posted to its webhook
// (looked up by URL in hooks, for the secret), and the attempt recorded.
// A delivery is marked delivered only after the webhook answered 2xx, so
// a sender killed in between sends it again (at least once, same ID).
func Deliver(ctx context.Context, ob store.Outbox, hooks []Webhook, c *http.Client, now func() time.Time) (Delivered, error) {
	return DeliverWith(ctx, ob, hooks, func(Webhook) *http.Client { return c }, now)
}

// DeliverWith is Deliver with the client of each webhook picked by
// clientFor: webhooks subscribed through the API are untrusted targets
// and go through the server's SSRF guard; those of the config do not.
func DeliverWith(ctx context.Context, ob store.Outbox, hooks []Webhook, clientFor func(Webhook) *http.Client, now func() time.Time) (Delivered, error) {
	var n Delivered
	secrets := map[string]string{}
	byURL := map[string]Webhook{}
	for _, h := range hooks {
		secrets[h.URL] = h.Secret
		byURL[h.URL] = h
	}
	for {
		due, err := ob.Due(ctx, now(), 100)
		if err != nil || len(due) == 0 {
			return n, err
		}
		for _, d := range due {
			secret, ok := secrets[d.Target]
			var sendErr error
			if !ok {
				sendErr = errors.New("no webhook with this url is configured any more")
			} else {
				sendErr = Post(ctx, clientFor(byURL[d.Target]), d.Target, secret, d.Body)
			}
			if ctx.Err() != nil {
				return n, ctx.Err()
			}
			at := now()
			switch {
			case sendErr == nil:
				n.Sent++
				err = ob.Attempted(ctx, d.ID, at, "", time.Time{})
			case !ok || d.Attempts+1 >= MaxAttempts:
				n.Failed++
				err = ob.Attempted(ctx, d.ID, at, sendErr.Error(), time.Time{})
			default:
				n.Retrying++
				err = ob.Attempted(ctx, d.ID, at, sendErr.Error(), at.Add(Backoff(d.Attempts+1)))
			}
			if err != nil {
				return n, err
			}
		}
	}
}
