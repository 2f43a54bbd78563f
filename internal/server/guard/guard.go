// Package guard keeps customs serve from being used to reach what only it
// can reach (server-side request forgery): a scan target whose registry
// resolves to a loopback, link-local, private or cloud-metadata address is
// refused unless the registry is allow-listed (`--allow-registry`).
//
// The check runs twice: CheckTarget before a scan is queued, to answer
// the client at once, and at every dial of the Transport the registry
// client uses, so a name that resolved to a public address for the check
// and resolves to 127.0.0.1 for the pull (DNS rebinding), a redirect to an
// internal host, or a token realm on one, is refused too. The dial
// connects to the addresses it checked, never resolving again. Through a
// proxy (Options.Proxy), the host is checked before the request is handed
// to the proxy (Guard.Transport).
package guard

import (
	"context"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"time"

	"github.com/google/go-containerregistry/pkg/name"

	"github.com/customs-scanner/customs/internal/target"
)

// ErrForbidden is wrapped by the errors of a refused registry.
var ErrForbidden = errors.New("registry address not allowed")

// ErrNotRegistry is the error of a target that names no registry image
// (a file, a directory, the Docker Engine): the service reads registries
// only.
var ErrNotRegistry = errors.New("the service scans registry images only")

// Resolver looks up a host's addresses; *net.Resolver is one.
type Resolver interface {
	LookupNetIP(ctx context.Context, network, host string) ([]netip.Addr, error)
}

// Options configure a Guard.
type Options struct {
	// Allow lists registries that may be on internal addresses, as HOST
	// (any port) or HOST:PORT.
	Allow []string
	// Resolver resolves registry names; nil is net.DefaultResolver.
	Resolver Resolver
	// DialTimeout bounds one connection attempt; 0 is 30 s.
	DialTimeout time.Duration
	// Proxy picks the proxy of a request, as http.Transport.Proxy does
	// (http.ProxyFromEnvironment: HTTPS_PROXY, HTTP_PROXY, NO_PROXY); nil
	// is none. See Transport.
	Proxy func(*http.Request) (*url.URL, error)
}

// Guard checks registry addresses.
type Guard struct {
	allow    map[string]bool // "host" or "host:port", lower case
	resolver Resolver
	timeout  time.Duration
	proxy    func(*http.Request) (*url.URL, error)
	// proxies are the proxies' "host:port" that requests were handed to:
	// the transport may dial them, whatever their address.
	proxies sync.Map
}

// New returns a Guard; an allow-list entry that is no HOST[:PORT] is an
// error.
func New(opts Options) (*Guard, error) {
	g := &Guard{allow: map[string]bool{}, resolver: opts.Resolver, timeout: opts.DialTimeout, proxy: opts.Proxy}
	if g.resolver == nil {
		g.resolver = net.DefaultResolver
	}
	if g.timeout <= 0 {
		g.timeout = 30 * time.Second
	}
	for _, a := range opts.Allow {
		host, port, err := splitHostPort(a)
		if err != nil || host == "" || strings.ContainsAny(host, "/@ ") {
			return nil, fmt.Errorf("allowed registry %q: want HOST or HOST:PORT", a)
		}
		g.allow[key(host, port)] = true
	}
	return g, nil
}

// splitHostPort splits HOST[:PORT], HOST being a name, an IPv4 address
// or a bracketed IPv6 address; port is "" when absent.
func splitHostPort(s string) (host, port string, err error) {
	if h, p, err := net.SplitHostPort(s); err == nil {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return "", "", fmt.Errorf("bad port %q", p)
		}
		return h, p, nil
	}
	if strings.HasPrefix(s, "[") && strings.HasSuffix(s, "]") {
		return s[1 : len(s)-1], "", nil
	}
	if strings.Contains(s, ":") && !strings.Contains(s, "::") {
		return "", "", fmt.Errorf("bad host %q", s)
	}
	return s, "", nil
}

func key(host, port string) string {
	host = strings.TrimSuffix(strings.ToLower(host), ".")
	if port == "" {
		return host
	}
	return net.JoinHostPort(host, port)
}

// Allowed reports whether the registry host (with port, or "" for its
// default) is allow-listed.
func (g *Guard) Allowed(host, port string) bool {
	return g.allow[key(host, "")] || port != "" && g.allow[key(host, port)]
}

// CheckTarget checks a scan target as the API receives it: a registry
// reference, with or without the "registry:" scheme. Other kinds of
// target are ErrNotRegistry.
func (g *Guard) CheckTarget(ctx context.Context, t string) error {
	r := target.Parse(t)
	if r.Kind != target.Registry && r.Kind != target.Auto {
		return fmt.Errorf("%s: %w", t, ErrNotRegistry)
	}
	return g.CheckReference(ctx, r.Name)
}

// CheckReference checks the registry of an image reference.
func (g *Guard) CheckReference(ctx context.Context, ref string) error {
	r, err := name.ParseReference(ref)
	if err != nil {
		return fmt.Errorf("%s: not an image reference: %w", ref, err)
	}
	return g.CheckRegistry(ctx, r.Context().RegistryStr())
}

// CheckRegistry checks a registry given as HOST[:PORT] (as in an image
// reference or Harbor's registry.url without its scheme): it is allowed
// when allow-listed, else when every address its name resolves to is
// public.
func (g *Guard) CheckRegistry(ctx context.Context, registry string) error {
	host, port, err := splitHostPort(registry)
	if err != nil {
		return fmt.Errorf("registry %q: %w", registry, err)
	}
	if g.Allowed(host, port) {
		return nil
	}
	if _, err := g.resolve(ctx, host, true); err != nil {
		return fmt.Errorf("registry %s: %w", registry, err)
	}
	return nil
}

// resolve returns the host's addresses; with check, an error wrapping
// ErrForbidden when it is a metadata name or any of them is not public.
func (g *Guard) resolve(ctx context.Context, host string, check bool) ([]netip.Addr, error) {
	h := strings.TrimSuffix(strings.ToLower(host), ".")
	if reason, bad := metadataNames[h]; bad && check {
		return nil, fmt.Errorf("%w: %s is %s; allow it with --allow-registry", ErrForbidden, host, reason)
	}
	var addrs []netip.Addr
	if a, err := netip.ParseAddr(strings.Trim(h, "[]")); err == nil {
		addrs = []netip.Addr{a}
	} else {
		addrs, err = g.resolver.LookupNetIP(ctx, "ip", h)
		if err != nil {
			return nil, fmt.Errorf("resolve %s: %w", host, err)
		}
		if len(addrs) == 0 {
			return nil, fmt.Errorf("resolve %s: no addresses", host)
		}
	}
	for _, a := range addrs {
		if reason, bad := Forbidden(a); bad && check {
			return nil, fmt.Errorf("%w: %s resolves to %s, %s; allow it with --allow-registry", ErrForbidden, host, a, reason)
		}
	}
	return addrs, nil
}

// DialContext connects to addr ("host:port") unless the guard refuses it:
// the name is resolved once, refused if an address is not public (unless
// the registry is allow-listed), and the addresses are dialled, each
// checked again as the socket connects.
func (g *Guard) DialContext(ctx context.Context, network, addr string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return nil, err
	}
	_, viaProxy := g.proxies.Load(key(host, port))
	allowed := g.Allowed(host, port) || viaProxy
	addrs, err := g.resolve(ctx, host, !allowed)
	if err != nil {
		return nil, fmt.Errorf("dial %s: %w", addr, err)
	}
	d := net.Dialer{Timeout: g.timeout, Control: control}
	if allowed {
		d.Control = nil
	}
	var errs []error
	for _, a := range addrs {
		c, err := d.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
		if err == nil {
			return c, nil
		}
		errs = append(errs, err)
		if ctx.Err() != nil {
			break
		}
	}
	return nil, errors.Join(errs...)
}

// control refuses a connection to a non-public address, whatever
// resolved it.
func control(_, address string, _ syscall.RawConn) error {
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return fmt.Errorf("%w: %s: %v", ErrForbidden, address, err)
	}
	if reason, bad := Forbidden(ap.Addr()); bad {
		return fmt.Errorf("%w: %s is %s", ErrForbidden, ap.Addr(), reason)
	}
	return nil
}

// Transport returns an HTTP transport whose every connection goes
// through DialContext, for the registry client (image.Options.Transport)
// and subscribed webhooks.
//
// With Options.Proxy, a request the proxy function sends to a proxy is
// checked first, its host as CheckRegistry checks a registry, and then
// handed to the proxy, which the transport may dial whatever its address:
// the proxy is the operator's, and it resolves and connects to the host
// itself, under its own egress rules (a name that rebinds between the
// check and the proxy's lookup is the proxy's to refuse). A request sent
// directly to a proxy's address is refused unless allow-listed.
func (g *Guard) Transport() *http.Transport {
	t := http.DefaultTransport.(*http.Transport).Clone()
	t.Proxy = nil
	if g.proxy != nil {
		t.Proxy = g.proxyFor
	}
	t.DialContext = g.DialContext
	return t
}

// proxyFor is the transport's Proxy: Options.Proxy, after the guard's
// check of the request's host.
func (g *Guard) proxyFor(req *http.Request) (*url.URL, error) {
	u, err := g.proxy(req)
	if err != nil {
		return nil, err
	}
	target := hostPort(req.URL)
	if u == nil {
		host, port, _ := net.SplitHostPort(target)
		if _, isProxy := g.proxies.Load(target); isProxy && !g.Allowed(host, port) {
			return nil, fmt.Errorf("%w: %s is the proxy's address; allow it with --allow-registry", ErrForbidden, target)
		}
		return nil, nil // dialled directly, and checked there
	}
	if err := g.CheckRegistry(req.Context(), target); err != nil {
		return nil, err
	}
	g.proxies.Store(hostPort(u), true)
	return u, nil
}

// hostPort is a URL's "host:port", the port its scheme's default when the
// URL names none, the host as key writes it.
func hostPort(u *url.URL) string {
	port := u.Port()
	if port == "" {
		port = map[string]string{"http": "80", "https": "443", "socks5": "1080", "socks5h": "1080"}[u.Scheme]
	}
	return key(u.Hostname(), port)
}
