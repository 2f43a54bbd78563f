package runtime

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"time"

	"github.com/customs-scanner/customs/internal/dockerengine"
)

// errNoSuchContainer is the engine's 404.
var errNoSuchContainer = errors.New("no such container")

// maxJSON bounds one Docker Engine answer.
const maxJSON = 32 << 20

// Engine talks to the Docker Engine API over its Unix socket or plain TCP.
type Engine struct {
	host   string
	base   string
	client *http.Client
}

// NewEngine returns a client for the engine at host ("unix:///path" or
// "tcp://host:port"); empty host means $DOCKER_HOST, else the default socket.
func NewEngine(host string) (*Engine, error) {
	c, err := dockerengine.New(host)
	if err != nil {
		return nil, err
	}
	return &Engine{host: c.Host, base: c.Base, client: c.HTTP}, nil
}

// Host is the address the engine client talks to.
func (e *Engine) Host() string { return e.host }

// Do sends one request to the engine; the caller closes the body.
func (e *Engine) Do(ctx context.Context, method, p string, body io.Reader) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, method, e.base+p, body)
	if err != nil {
		return nil, err
	}
	if body != nil {
		req.Header.Set("Content-Type", "application/json")
	}
	return e.client.Do(req)
}

func (e *Engine) getJSON(ctx context.Context, p string, v any) error {
	resp, err := e.Do(ctx, http.MethodGet, p, nil)
	if err != nil {
		return fmt.Errorf("the Docker Engine at %s does not answer: %w", e.host, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode == http.StatusNotFound {
		return errNoSuchContainer
	}
	if resp.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
		return fmt.Errorf("GET %s: %s: %s", p, resp.Status, b)
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxJSON)).Decode(v); err != nil {
		return fmt.Errorf("decode GET %s: %w", p, err)
	}
	return nil
}

// Ping checks that the engine answers GET /_ping within a few seconds.
func (e *Engine) Ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	resp, err := e.Do(ctx, http.MethodGet, "/_ping", nil)
	if err != nil {
		return fmt.Errorf("the Docker Engine at %s does not answer: %w", e.host, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /_ping: %s", resp.Status)
	}
	return nil
}

// Containers reads the containers of the engine, the running ones or, with
// all, every one (created and stopped too): GET /containers/json, then GET
// /containers/{id}/json for each. A container removed in between is
// skipped.
// Container inspects one container by name or ID.
func (e *Engine) Container(ctx context.Context, name string) ([]Workload, error) {
	var d dockerContainer
	err := e.getJSON(ctx, "/containers/"+url.PathEscape(name)+"/json", &d)
	if errors.Is(err, errNoSuchContainer) {
		return nil, fmt.Errorf("docker:%s: no such container; `customs audit docker:` lists the running ones", name)
	}
	if err != nil {
		return nil, fmt.Errorf("inspect container %s: %w", name, err)
	}
	return []Workload{inspectWorkload("docker:", FormatEngine, &d, "")}, nil
}

func (e *Engine) Containers(ctx context.Context, all bool) ([]Workload, error) {
	var list []struct {
		ID string `json:"Id"`
	}
	p := "/containers/json"
	if all {
		p += "?all=1"
	}
	if err := e.getJSON(ctx, p, &list); err != nil {
		return nil, err
	}
	out := make([]Workload, 0, len(list))
	for _, c := range list {
		if err := ctx.Err(); err != nil {
			return nil, err
		}
		var d dockerContainer
		err := e.getJSON(ctx, "/containers/"+url.PathEscape(c.ID)+"/json", &d)
		if errors.Is(err, errNoSuchContainer) {
			continue
		}
		if err != nil {
			return nil, fmt.Errorf("inspect container %s: %w", c.ID, err)
		}
		out = append(out, inspectWorkload("docker:", FormatEngine, &d, ""))
	}
	return out, nil
}
