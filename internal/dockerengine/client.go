// Package dockerengine connects to the Docker Engine API, on its Unix socket
// or a plain TCP address, with plain net/http: no docker CLI or client
// library. Image reading and runtime auditing both talk to the engine.
package dockerengine

import (
	"context"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
)

// DefaultHost is where the Docker Engine listens unless told otherwise.
const DefaultHost = "unix:///var/run/docker.sock"

// Client is an HTTP client bound to one engine. Paths are unversioned, so
// the engine answers with its default API version.
type Client struct {
	// Host is the address as given ("unix:///var/run/docker.sock").
	Host string
	// Base is the URL prefix requests use.
	Base string
	HTTP *http.Client
}

// New returns a client for the engine at host ("unix:///path" or
// "tcp://host:port"); empty host means $DOCKER_HOST, else DefaultHost.
func New(host string) (*Client, error) {
	if host == "" {
		host = os.Getenv("DOCKER_HOST")
	}
	if host == "" {
		host = DefaultHost
	}
	u, err := url.Parse(host)
	if err != nil {
		return nil, fmt.Errorf("bad Docker host %q: %w", host, err)
	}
	c := &Client{Host: host}
	switch u.Scheme {
	case "unix":
		sock := u.Path
		if sock == "" {
			sock = u.Opaque
		}
		var d net.Dialer
		c.Base = "http://docker"
		c.HTTP = &http.Client{Transport: &http.Transport{
			DialContext: func(ctx context.Context, _, _ string) (net.Conn, error) {
				return d.DialContext(ctx, "unix", sock)
			},
		}}
	case "tcp", "http":
		c.Base = "http://" + u.Host
		c.HTTP = &http.Client{Transport: &http.Transport{}}
	default:
		return nil, fmt.Errorf("unsupported Docker host %q; use unix:///path/to/docker.sock or tcp://host:port", host)
	}
	return c, nil
}

// Get sends a GET request for path (starting with "/").
func (c *Client) Get(ctx context.Context, path string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, c.Base+path, nil)
	if err != nil {
		return nil, err
	}
	return c.HTTP.Do(req)
}
