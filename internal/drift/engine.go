package drift

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/customs-scanner/customs/internal/dockerengine"
)

// maxJSON bounds an Engine API JSON answer (a container's changes can be
// long; a million paths is about 100 MB, past what a drift report shows).
const maxJSON = 256 << 20

// ErrNoContainer says the engine has no such container.
var ErrNoContainer = errors.New("no such container")

// Container is what drift uses of a container's inspect.
type Container struct {
	ID   string
	Name string
	// Image is the image as the container was created with it (a name,
	// or an ID); ImageID the ID of that image.
	Image   string
	ImageID string
	State   string
	Running bool
	// Created is when the container was created: a file of its export
	// written later changed since.
	Created time.Time
}

// engine is the Docker Engine API, as drift uses it.
type engine struct {
	c *dockerengine.Client
}

func newEngine(ctx context.Context, host string) (*engine, error) {
	c, err := dockerengine.New(host)
	if err != nil {
		return nil, err
	}
	pctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	resp, err := c.Get(pctx, "/_ping")
	if err == nil {
		resp.Body.Close()
		if resp.StatusCode != http.StatusOK {
			err = fmt.Errorf("GET /_ping: %s", resp.Status)
		}
	}
	if err != nil {
		return nil, fmt.Errorf("the Docker Engine at %s does not answer (%v); start it or set DOCKER_HOST", c.Host, err)
	}
	return &engine{c: c}, nil
}

// getJSON decodes the answer to GET path into v.
func (e *engine) getJSON(ctx context.Context, path string, v any) error {
	resp, err := e.c.Get(ctx, path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if err := status(resp); err != nil {
		return err
	}
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxJSON)).Decode(v); err != nil {
		return fmt.Errorf("GET %s: decode: %w", path, err)
	}
	return nil
}

// status turns a non-200 answer into an error with the engine's message;
// 404 is ErrNoContainer.
func status(resp *http.Response) error {
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	var msg struct {
		Message string `json:"message"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&msg)
	if resp.StatusCode == http.StatusNotFound {
		return fmt.Errorf("%w (%s)", ErrNoContainer, msg.Message)
	}
	if msg.Message != "" {
		return fmt.Errorf("docker engine: %s (%s)", msg.Message, resp.Status)
	}
	return fmt.Errorf("docker engine: %s", resp.Status)
}

// containers lists the running containers, or all of them.
func (e *engine) containers(ctx context.Context, all bool) ([]Container, error) {
	p := "/containers/json"
	if all {
		p += "?all=1"
	}
	var list []struct {
		ID      string   `json:"Id"`
		Names   []string `json:"Names"`
		Image   string   `json:"Image"`
		ImageID string   `json:"ImageID"`
		State   string   `json:"State"`
		Created int64    `json:"Created"`
	}
	if err := e.getJSON(ctx, p, &list); err != nil {
		return nil, fmt.Errorf("list containers: %w", err)
	}
	out := make([]Container, 0, len(list))
	for _, c := range list {
		name := c.ID
		if len(c.Names) > 0 {
			name = strings.TrimPrefix(c.Names[0], "/")
		}
		out = append(out, Container{ID: c.ID, Name: name, Image: c.Image, ImageID: c.ImageID, State: c.State, Running: c.State == "running",
			Created: time.Unix(c.Created, 0)})
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// inspect returns the container named or identified by ref.
func (e *engine) inspect(ctx context.Context, ref string) (Container, error) {
	var ins struct {
		ID      string    `json:"Id"`
		Name    string    `json:"Name"`
		Created time.Time `json:"Created"`
		Image   string    `json:"Image"` // the image ID
		Config  struct {
			Image string `json:"Image"`
		} `json:"Config"`
		State struct {
			Status  string `json:"Status"`
			Running bool   `json:"Running"`
		} `json:"State"`
	}
	if err := e.getJSON(ctx, "/containers/"+url.PathEscape(ref)+"/json", &ins); err != nil {
		if errors.Is(err, ErrNoContainer) {
			return Container{}, fmt.Errorf("the Docker Engine has no container %q: %w", ref, ErrNoContainer)
		}
		return Container{}, fmt.Errorf("inspect container %s: %w", ref, err)
	}
	return Container{ID: ins.ID, Name: strings.TrimPrefix(ins.Name, "/"), Image: ins.Config.Image, ImageID: ins.Image,
		State: ins.State.Status, Running: ins.State.Running, Created: ins.Created}, nil
}

// recordsChanges are the storage drivers that keep a container's changes
// apart (an upper directory), whose GET /changes reads just them. Others
// (fuse-overlayfs, vfs, btrfs, zfs, ...) compare the container's whole
// filesystem with its image's, which costs more than its export.
var recordsChanges = []string{"overlay2", "overlay", "aufs"}

// driver returns the engine's storage driver.
func (e *engine) driver(ctx context.Context) (string, error) {
	var info struct {
		Driver string `json:"Driver"`
	}
	if err := e.getJSON(ctx, "/info", &info); err != nil {
		return "", fmt.Errorf("engine info: %w", err)
	}
	return info.Driver, nil
}

// Change kinds of GET /containers/{id}/changes.
const (
	engineModified = 0
	engineAdded    = 1
	engineDeleted  = 2
)

// Change kinds as drift reports them.
const (
	Added   = "added"
	Changed = "changed"
	Deleted = "deleted"
)

// changes returns the container's changes by path (root-relative, no
// leading slash): Added, Changed or Deleted.
func (e *engine) changes(ctx context.Context, id string) (map[string]string, error) {
	var list []struct {
		Path string `json:"Path"`
		Kind int    `json:"Kind"`
	}
	if err := e.getJSON(ctx, "/containers/"+url.PathEscape(id)+"/changes", &list); err != nil {
		return nil, fmt.Errorf("changes of container %s: %w", id, err)
	}
	out := make(map[string]string, len(list))
	for _, c := range list {
		p := strings.TrimPrefix(c.Path, "/")
		if p == "" {
			continue
		}
		switch c.Kind {
		case engineModified:
			out[p] = Changed
		case engineAdded:
			out[p] = Added
		case engineDeleted:
			out[p] = Deleted
		default:
			return nil, fmt.Errorf("changes of container %s: unknown kind %d for %s", id, c.Kind, c.Path)
		}
	}
	return out, nil
}

// export opens the container's filesystem as a tar stream.
func (e *engine) export(ctx context.Context, id string) (io.ReadCloser, error) {
	resp, err := e.c.Get(ctx, "/containers/"+url.PathEscape(id)+"/export")
	if err != nil {
		return nil, fmt.Errorf("export container %s: %w", id, err)
	}
	if err := status(resp); err != nil {
		resp.Body.Close()
		return nil, fmt.Errorf("export container %s: %w", id, err)
	}
	return resp.Body, nil
}
