package cli

import (
	"context"
	"fmt"
	"net/http"
	"net/url"

	"github.com/customs-scanner/customs/internal/notify"
	"github.com/customs-scanner/customs/internal/server/guard"
	"github.com/customs-scanner/customs/internal/store"
)

// allHooks returns the config's webhooks and the store's subscriptions
// (made through customs serve's /v1/subscriptions), read now: a
// subscription added to a running server counts at its next
// re-evaluation.
func allHooks(ctx context.Context, st store.Subscriptions, config []notify.Webhook) ([]notify.Webhook, error) {
	subs, err := st.Subscriptions(ctx)
	if err != nil {
		return nil, err
	}
	return notify.Merge(config, subs), nil
}

// hookClients picks each webhook's client: subscriptions are untrusted
// targets and connect through the SSRF guard (its allow-list being
// serve.allowRegistries, or --allow-registry for customs serve); the
// config's webhooks, which the operator wrote, connect directly.
func hookClients(g *guard.Guard) func(notify.Webhook) *http.Client {
	direct := notify.Client()
	guarded := notify.Client()
	guarded.Transport = g.Transport()
	return func(h notify.Webhook) *http.Client {
		if h.Subscribed {
			return guarded
		}
		return direct
	}
}

// configGuard is the SSRF guard of a command that is not customs serve:
// the config's serve.allowRegistries.
func configGuard(g *globals) (*guard.Guard, error) {
	cfg, err := g.config()
	if err != nil {
		return nil, err
	}
	gd, err := guard.New(guard.Options{Allow: cfg.Serve.AllowRegistries, Proxy: http.ProxyFromEnvironment})
	if err != nil {
		return nil, fmt.Errorf("config serve.allowRegistries: %w", err)
	}
	return gd, nil
}

// checkWebhook checks a subscription before the API stores it: its filter
// as a notify.webhooks[] entry's, and its URL's host with the SSRF guard,
// as a scan target's registry (loopback, private, link-local and metadata
// addresses are refused unless allow-listed). Delivery checks the
// addresses again at every connection (hookClients).
func checkWebhook(g *guard.Guard) func(ctx context.Context, s store.Subscription) error {
	return func(ctx context.Context, s store.Subscription) error {
		if err := notify.FromSubscription(s).Check(); err != nil {
			return err
		}
		u, err := url.Parse(s.URL)
		if err != nil {
			return fmt.Errorf("url: %w", err)
		}
		if err := g.CheckRegistry(ctx, u.Host); err != nil {
			return fmt.Errorf("url %s: %w", notify.Redact(s.URL), err)
		}
		return nil
	}
}
