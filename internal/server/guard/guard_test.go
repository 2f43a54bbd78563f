package guard_test

import (
	"context"
	"errors"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"slices"
	"strings"
	"sync"
	"testing"

	"github.com/customs-scanner/customs/internal/image"
	"github.com/customs-scanner/customs/internal/server/guard"
	"github.com/customs-scanner/customs/internal/vex/vextest"
)

func TestForbidden(t *testing.T) {
	tests := []struct {
		addr string
		bad  bool
	}{
		{"127.0.0.1", true}, {"127.8.9.10", true}, {"::1", true},
		{"10.1.2.3", true}, {"172.16.0.1", true}, {"172.31.255.255", true}, {"192.168.1.1", true},
		{"169.254.169.254", true}, {"169.254.10.10", true}, {"fe80::1", true},
		{"fd00:ec2::254", true}, {"fd12:3456::1", true}, {"100.100.100.200", true}, {"100.64.0.1", true},
		{"0.0.0.0", true}, {"::", true}, {"224.0.0.1", true}, {"255.255.255.255", true},
		{"::ffff:127.0.0.1", true}, {"::ffff:169.254.169.254", true}, {"64:ff9b::a9fe:a9fe", true},
		{"8.8.8.8", false}, {"172.32.0.1", false}, {"93.184.216.34", false}, {"2001:4860:4860::8888", false},
		{"::ffff:8.8.8.8", false}, {"64:ff9b::808:808", false},
	}
	for _, tt := range tests {
		reason, bad := guard.Forbidden(netip.MustParseAddr(tt.addr))
		if bad != tt.bad {
			t.Errorf("Forbidden(%s) = %q, %v; want %v", tt.addr, reason, bad, tt.bad)
		}
	}
}

// resolver answers from a table; a name with several answers gives them
// in turn, one per lookup (a rebinding DNS server).
type resolver struct {
	mu      sync.Mutex
	answers map[string][]string
	lookups map[string]int
}

func (r *resolver) LookupNetIP(_ context.Context, _, host string) ([]netip.Addr, error) {
	r.mu.Lock()
	defer r.mu.Unlock()
	as, ok := r.answers[host]
	if host == "localhost" {
		return net.DefaultResolver.LookupNetIP(context.Background(), "ip", host)
	}
	if !ok {
		return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
	}
	if r.lookups == nil {
		r.lookups = map[string]int{}
	}
	a := as[min(r.lookups[host], len(as)-1)]
	r.lookups[host]++
	return []netip.Addr{netip.MustParseAddr(a)}, nil
}

func TestCheckTarget(t *testing.T) {
	res := &resolver{answers: map[string][]string{
		"registry.example":  {"93.184.216.34"},
		"internal.example":  {"127.0.0.1"},
		"corp.example":      {"10.0.0.7"},
		"allowed.example":   {"10.0.0.8"},
		"metadata.example":  {"169.254.169.254"},
		"rebinding.example": {"93.184.216.34", "127.0.0.1"},
	}}
	g, err := guard.New(guard.Options{Allow: []string{"allowed.example", "10.0.0.9:5000"}, Resolver: res})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		target string
		want   error // nil, ErrForbidden, ErrNotRegistry, or errAny
	}{
		{"registry.example/team/app:1.0", nil},
		{"registry:registry.example/team/app@sha256:" + strings.Repeat("a", 64), nil},
		{"internal.example/app:1", guard.ErrForbidden},
		{"corp.example:5000/app:1", guard.ErrForbidden},
		{"allowed.example:5000/app:1", nil},
		{"10.0.0.9:5000/app:1", nil},
		{"10.0.0.9:5001/app:1", guard.ErrForbidden},
		{"metadata.example/app:1", guard.ErrForbidden},
		{"metadata.google.internal/computemetadata:v1", guard.ErrForbidden},
		{"169.254.169.254/latest:meta-data", guard.ErrForbidden},
		{"127.0.0.1:5000/app:1", guard.ErrForbidden},
		{"[::1]:5000/app:1", guard.ErrForbidden},
		{"[fd00:ec2::254]/app:1", guard.ErrForbidden},
		{"registry:192.168.1.10/app:1", guard.ErrForbidden},
		{"docker-archive:/etc/passwd", guard.ErrNotRegistry},
		{"dir:/", guard.ErrNotRegistry},
		{"docker:alpine:3.20", guard.ErrNotRegistry},
		{"rebinding.example/app:1", nil}, // its first answer is public
		{"unknown.example/app:1", errAny},
		{"Not A Reference", errAny},
	}
	for _, tt := range tests {
		err := g.CheckTarget(t.Context(), tt.target)
		switch {
		case tt.want == nil && err != nil:
			t.Errorf("%s: %v, want allowed", tt.target, err)
		case tt.want == errAny && err == nil:
			t.Errorf("%s: allowed, want an error", tt.target)
		case tt.want != nil && tt.want != errAny && !errors.Is(err, tt.want):
			t.Errorf("%s: %v, want %v", tt.target, err, tt.want)
		}
	}
	// Docker Hub's short names resolve index.docker.io.
	if err := g.CheckTarget(t.Context(), "alpine:3.20"); err == nil || errors.Is(err, guard.ErrForbidden) {
		t.Errorf("alpine:3.20 with a resolver that knows no Docker Hub: %v, want a resolve error", err)
	}
}

var errAny = errors.New("any error")

func TestAllowListErrors(t *testing.T) {
	for _, a := range []string{"", "host:port", "host:0", "https://registry.example", "user@host", "a:b:c"} {
		if _, err := guard.New(guard.Options{Allow: []string{a}}); err == nil {
			t.Errorf("allow-list entry %q accepted", a)
		}
	}
	for _, a := range []string{"registry.example", "registry.example:5000", "127.0.0.1", "127.0.0.1:5000", "[::1]:5000", "::1"} {
		if _, err := guard.New(guard.Options{Allow: []string{a}}); err != nil {
			t.Errorf("allow-list entry %q: %v", a, err)
		}
	}
}

// TestPull pulls through the guard's transport from go-containerregistry's
// registry on loopback: refused by address and by a name resolving to
// 127.0.0.1, allowed when allow-listed, and refused at dial time for a
// name that resolved to a public address for the check and to 127.0.0.1
// for the pull.
func TestPull(t *testing.T) {
	repo, _ := vextest.Push(t, "team/app", "1.0")
	hostport := repo.RegistryStr() // 127.0.0.1:PORT
	_, port, _ := net.SplitHostPort(hostport)
	res := &resolver{answers: map[string][]string{
		"registry.test":  {"127.0.0.1"},
		"rebinding.test": {"93.184.216.34", "127.0.0.1"},
	}}
	pull := func(g *guard.Guard, ref string) error { return pull(t, g, ref) }
	closed, err := guard.New(guard.Options{Resolver: res})
	if err != nil {
		t.Fatal(err)
	}
	open, err := guard.New(guard.Options{Allow: []string{hostport, "registry.test"}, Resolver: res})
	if err != nil {
		t.Fatal(err)
	}
	for _, ref := range []string{hostport + "/team/app:1.0", "registry.test:" + port + "/team/app:1.0", "localhost:" + port + "/team/app:1.0"} {
		if err := closed.CheckTarget(t.Context(), ref); !errors.Is(err, guard.ErrForbidden) {
			t.Errorf("check %s: %v, want ErrForbidden", ref, err)
		}
		if err := pull(closed, ref); err == nil || !strings.Contains(err.Error(), guard.ErrForbidden.Error()) {
			t.Errorf("pull %s without the allow-list: %v, want refused", ref, err)
		}
	}
	for _, ref := range []string{hostport + "/team/app:1.0", "registry.test:" + port + "/team/app:1.0"} {
		if err := open.CheckTarget(t.Context(), ref); err != nil {
			t.Errorf("check allow-listed %s: %v", ref, err)
		}
		if err := pull(open, ref); err != nil {
			t.Errorf("pull allow-listed %s: %v", ref, err)
		}
	}
	rebound := "rebinding.test:" + port + "/team/app:1.0"
	if err := closed.CheckTarget(t.Context(), rebound); err != nil {
		t.Fatalf("check %s (public at first): %v", rebound, err)
	}
	if err := pull(closed, rebound); err == nil || !strings.Contains(err.Error(), guard.ErrForbidden.Error()) {
		t.Errorf("pull %s after it rebound to 127.0.0.1: %v, want refused at dial time", rebound, err)
	}
}

// pull reads the image ref from its registry through the guard's
// transport.
func pull(t *testing.T, g *guard.Guard, ref string) error {
	src, err := image.Open(t.Context(), "registry:"+ref, image.Options{Transport: g.Transport(), Insecure: true})
	if err != nil {
		return err
	}
	defer src.Close()
	_, err = src.Read(t.Context(), nil)
	return err
}

// forwardProxy is an HTTP forward proxy on loopback that resolves names
// itself (every name to 127.0.0.1, as a proxy inside the registry's
// network would) and records the hosts it was asked for.
func forwardProxy(t *testing.T) (*url.URL, func() []string) {
	t.Helper()
	var mu sync.Mutex
	var seen []string
	direct := &http.Transport{DialContext: func(ctx context.Context, network, addr string) (net.Conn, error) {
		_, port, err := net.SplitHostPort(addr)
		if err != nil {
			return nil, err
		}
		var d net.Dialer
		return d.DialContext(ctx, network, net.JoinHostPort("127.0.0.1", port))
	}}
	t.Cleanup(direct.CloseIdleConnections)
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mu.Lock()
		seen = append(seen, r.URL.Host)
		mu.Unlock()
		if !r.URL.IsAbs() {
			http.Error(w, "not a proxy request", http.StatusBadRequest)
			return
		}
		out := r.Clone(r.Context())
		out.RequestURI = ""
		resp, err := direct.RoundTrip(out)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadGateway)
			return
		}
		defer resp.Body.Close()
		for k, vs := range resp.Header {
			w.Header()[k] = vs
		}
		w.WriteHeader(resp.StatusCode)
		io.Copy(w, resp.Body)
	}))
	t.Cleanup(srv.Close)
	u, err := url.Parse(srv.URL)
	if err != nil {
		t.Fatal(err)
	}
	return u, func() []string {
		mu.Lock()
		defer mu.Unlock()
		return slices.Clone(seen)
	}
}

// TestPullThroughProxy pulls from go-containerregistry's registry through
// a real forward proxy on loopback: the guard checks the registry's name
// before it hands the request to the proxy (a name resolving to a private
// address never reaches the proxy), lets the transport dial the proxy on
// its loopback address, dials a host the proxy function leaves out
// directly and checks it there, and refuses a direct request to the
// proxy's own address.
func TestPullThroughProxy(t *testing.T) {
	repo, _ := vextest.Push(t, "team/app", "1.0")
	_, port, _ := net.SplitHostPort(repo.RegistryStr())
	proxyURL, seen := forwardProxy(t)
	res := &resolver{answers: map[string][]string{
		"public.test":   {"93.184.216.34"},
		"internal.test": {"10.0.0.5"},
		"direct.test":   {"127.0.0.1"},
	}}
	g, err := guard.New(guard.Options{Resolver: res, Proxy: func(r *http.Request) (*url.URL, error) {
		if r.URL.Hostname() == "direct.test" || r.URL.Host == proxyURL.Host {
			return nil, nil // as NO_PROXY would
		}
		return proxyURL, nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	pull := func(ref string) error { return pull(t, g, ref) }
	if err := pull("public.test:" + port + "/team/app:1.0"); err != nil {
		t.Errorf("pull through the proxy: %v", err)
	}
	if got := seen(); !slices.Contains(got, "public.test:"+port) {
		t.Errorf("the proxy was asked for %v, want public.test:%s", got, port)
	}
	if err := pull("internal.test:" + port + "/team/app:1.0"); err == nil || !strings.Contains(err.Error(), guard.ErrForbidden.Error()) {
		t.Errorf("pull of a private name through the proxy: %v, want refused", err)
	}
	if err := pull("direct.test:" + port + "/team/app:1.0"); err == nil || !strings.Contains(err.Error(), guard.ErrForbidden.Error()) {
		t.Errorf("pull of a loopback name outside the proxy: %v, want refused at dial time", err)
	}
	for _, h := range seen() {
		if strings.HasPrefix(h, "internal.test") || strings.HasPrefix(h, "direct.test") {
			t.Errorf("the proxy was asked for %s", h)
		}
	}
	resp, err := (&http.Client{Transport: g.Transport()}).Get(proxyURL.String() + "/")
	if err == nil {
		resp.Body.Close()
	}
	if err == nil || !strings.Contains(err.Error(), guard.ErrForbidden.Error()) {
		t.Errorf("a direct request to the proxy's address: %v, want refused", err)
	}
}
