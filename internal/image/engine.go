package image

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strings"
	"time"

	"github.com/customs-scanner/customs/internal/dockerengine"
)

// engine talks to the Docker Engine API over HTTP, on its Unix socket or a
// plain TCP address, with unversioned paths (the engine's default version).
type engine struct {
	host   string
	base   string
	client *http.Client
}

// errNotInEngine says the engine answered but has no such image.
var errNotInEngine = errors.New("image not found in the Docker Engine")

func newEngine(host string) (*engine, error) {
	c, err := dockerengine.New(host)
	if err != nil {
		return nil, err
	}
	return &engine{host: c.Host, base: c.Base, client: c.HTTP}, nil
}

func (e *engine) get(ctx context.Context, p string) (*http.Response, error) {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, e.base+p, nil)
	if err != nil {
		return nil, err
	}
	return e.client.Do(req)
}

// ping checks that the engine answers GET /_ping, within a few seconds.
func (e *engine) ping(ctx context.Context) error {
	ctx, cancel := context.WithTimeout(ctx, 3*time.Second)
	defer cancel()
	resp, err := e.get(ctx, "/_ping")
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("GET /_ping: %s", resp.Status)
	}
	return nil
}

// imagePath is /images/NAME/SUFFIX with NAME's parts escaped.
func imagePath(ref, suffix string) string {
	parts := strings.Split(ref, "/")
	for i, p := range parts {
		parts[i] = url.PathEscape(p)
	}
	return "/images/" + strings.Join(parts, "/") + "/" + suffix
}

// engineInspect is the part of GET /images/{name}/json that is used.
type engineInspect struct {
	ID          string   `json:"Id"`
	RepoTags    []string `json:"RepoTags"`
	RepoDigests []string `json:"RepoDigests"`
}

func (e *engine) inspect(ctx context.Context, ref string) (*engineInspect, error) {
	resp, err := e.get(ctx, imagePath(ref, "json"))
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if err := engineStatus(resp); err != nil {
		return nil, err
	}
	var ins engineInspect
	if err := json.NewDecoder(io.LimitReader(resp.Body, maxJSON)).Decode(&ins); err != nil {
		return nil, fmt.Errorf("decode image inspect: %w", err)
	}
	return &ins, nil
}

// engineStatus turns a non-200 answer into an error with the engine's message.
func engineStatus(resp *http.Response) error {
	if resp.StatusCode == http.StatusOK {
		return nil
	}
	var msg struct {
		Message string `json:"message"`
	}
	_ = json.NewDecoder(io.LimitReader(resp.Body, 64<<10)).Decode(&msg)
	if resp.StatusCode == http.StatusNotFound {
		return errNotInEngine
	}
	if msg.Message != "" {
		return fmt.Errorf("docker engine: %s (%s)", msg.Message, resp.Status)
	}
	return fmt.Errorf("docker engine: %s", resp.Status)
}

// engineSource reads an image from the Docker Engine as the docker save
// stream of GET /images/{name}/get.
type engineSource struct {
	nopCloser
	eng *engine
	ref string
	// platform is Options.Platform: asked of an engine that keeps several
	// platforms of an image, and checked against the image it gives.
	platform string
	// id is the image ID the engine gave when the source was opened.
	id string
}

func openEngine(ctx context.Context, ref string, opts Options) (Source, error) {
	if ref == "" {
		return nil, errors.New("empty reference; give an image name after docker:")
	}
	eng, err := newEngine(opts.DockerHost)
	if err != nil {
		return nil, err
	}
	if err := eng.ping(ctx); err != nil {
		return nil, fmt.Errorf("the Docker Engine at %s does not answer (%v); start it, set DOCKER_HOST, or use registry: to pull from the registry", eng.host, err)
	}
	ins, err := eng.inspect(ctx, ref)
	if err != nil {
		if errors.Is(err, errNotInEngine) {
			return nil, fmt.Errorf("the Docker Engine has no image %s; docker pull it first, or use registry:", ref)
		}
		return nil, err
	}
	return &engineSource{eng: eng, ref: ref, platform: opts.Platform, id: ins.ID}, nil
}

// Identity is the image's ID in the engine, with the engine and the
// platform asked for: the ID is a digest of the image's config (or, with
// the containerd image store, of its manifest or index), which names the
// DiffIDs of its layers, so the same ID is the same bytes. It lets a
// drift or a second scan of the same image take its layers from the cache
// instead of reading the whole docker save stream again.
func (s *engineSource) Identity() string {
	if s.id == "" {
		return ""
	}
	return "docker-engine\x00" + s.eng.host + "\x00" + s.id + "\x00" + s.platform
}

func (s *engineSource) Read(ctx context.Context, layer LayerFunc) (*Metadata, error) {
	m, err := s.read(ctx, layer)
	if err != nil {
		return nil, fmt.Errorf("read image %s from the Docker Engine: %w", s.ref, err)
	}
	return m, nil
}

func (s *engineSource) read(ctx context.Context, layer LayerFunc) (*Metadata, error) {
	ins, err := s.eng.inspect(ctx, s.ref)
	if err != nil {
		return nil, err
	}
	p := imagePath(s.ref, "get")
	if s.platform != "" {
		// Engines with API 1.48 and later save the platform asked for
		// (a JSON OCI platform); older ones ignore the parameter and
		// checkPlatform decides.
		want, err := parsePlatform(s.platform)
		if err != nil {
			return nil, err
		}
		js, err := json.Marshal(want)
		if err != nil {
			return nil, err
		}
		p += "?" + url.Values{"platform": {string(js)}}.Encode()
	}
	resp, err := s.eng.get(ctx, p)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	if err := engineStatus(resp); err != nil {
		return nil, err
	}
	a, err := readArchive(ctx, resp.Body, layer)
	if err != nil {
		return nil, err
	}
	m, err := resolveDockerArchive(a, s.platform)
	if err != nil {
		return nil, err
	}
	m.Kind, m.Ref = KindDocker, s.ref
	if len(ins.RepoTags) > 0 {
		m.RepoTags = ins.RepoTags
	}
	m.RepoDigests = ins.RepoDigests
	return m, nil
}
