package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/customs-scanner/customs/internal/suggest"
	"go.yaml.in/yaml/v3"
)

// maxInput bounds one input file.
const maxInput = 32 << 20

// Detect says which format data is in: a JSON array or object with
// HostConfig is docker inspect output, a JSON object with ociVersion an OCI
// config.json, YAML with top-level services a Compose file, YAML with
// apiVersion and kind a Kubernetes manifest.
func Detect(data []byte) (Format, error) {
	t := bytes.TrimLeft(data, " \t\r\n\ufeff")
	if len(t) > 0 && (t[0] == '[' || t[0] == '{') {
		switch {
		case bytes.Contains(data, []byte(`"HostConfig"`)):
			return FormatInspect, nil
		case bytes.Contains(data, []byte(`"ociVersion"`)):
			return FormatOCIConfig, nil
		}
		// JSON is YAML: fall through for a manifest written as JSON.
	}
	dec := yaml.NewDecoder(bytes.NewReader(data))
	for range 50 {
		var top map[string]any
		err := dec.Decode(&top)
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return "", fmt.Errorf("detect input kind: %w", err)
		}
		if _, ok := top["services"]; ok {
			return FormatCompose, nil
		}
		if _, ok := top["kind"]; ok {
			if _, ok := top["apiVersion"]; ok {
				return FormatKubernetes, nil
			}
		}
	}
	return "", errors.New("not a Kubernetes manifest, Compose file, docker inspect output or OCI config.json; name the kind with a prefix (k8s:, compose:, inspect:, oci-config:)")
}

// Parse reads data in format f, or in the detected format when f is empty.
func Parse(f Format, source string, data []byte) ([]Workload, error) {
	if f == "" {
		var err error
		if f, err = Detect(data); err != nil {
			return nil, err
		}
	}
	switch f {
	case FormatKubernetes:
		return ParseKubernetes(source, data)
	case FormatCompose:
		return ParseCompose(source, data)
	case FormatInspect:
		return ParseInspect(source, data)
	case FormatOCIConfig:
		return ParseOCIConfig(source, data)
	}
	return nil, fmt.Errorf("unknown input kind %q", f)
}

// prefixes maps a target prefix to its format.
var prefixes = map[string]Format{"k8s:": FormatKubernetes, "compose:": FormatCompose, "docker-inspect:": FormatInspect, "inspect:": FormatInspect, "oci-config:": FormatOCIConfig}

// Load reads one target: "docker:" for the running containers of the
// Docker Engine at dockerHost ("docker:all" adds created and stopped ones),
// else a file, optionally prefixed with its
// kind (k8s:FILE|DIR, compose:, docker-inspect: or inspect:, oci-config:); "docker:NAME"
// inspects one container; "-" reads stdin.
func Load(ctx context.Context, target, dockerHost string, stdin io.Reader) ([]Workload, error) {
	if target == "docker:" || target == "docker:all" {
		e, err := NewEngine(dockerHost)
		if err != nil {
			return nil, err
		}
		return e.Containers(ctx, target == "docker:all")
	}
	if name, ok := strings.CutPrefix(target, "docker:"); ok {
		e, err := NewEngine(dockerHost)
		if err != nil {
			return nil, err
		}
		return e.Container(ctx, name)
	}
	var f Format
	path := target
	for p, pf := range prefixes {
		if strings.HasPrefix(target, p) {
			f, path = pf, strings.TrimPrefix(target, p)
		}
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return loadDir(f, path)
	}
	var r io.Reader
	if path == "-" {
		r = stdin
	} else {
		fh, err := os.Open(path)
		if err != nil {
			if errors.Is(err, fs.ErrNotExist) && f == "" {
				if hint := schemeTypo(target); hint != nil {
					return nil, hint
				}
			}
			return nil, err
		}
		defer fh.Close()
		r = fh
	}
	data, err := readInput(path, r)
	if err != nil {
		return nil, err
	}
	ws, err := Parse(f, path, data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ws, nil
}

// readInput reads one input, refusing one larger than maxInput without
// reading the rest of it.
func readInput(name string, r io.Reader) ([]byte, error) {
	data, err := io.ReadAll(io.LimitReader(r, maxInput+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", name, err)
	}
	if len(data) > maxInput {
		return nil, fmt.Errorf("%s: larger than %d MiB", name, maxInput>>20)
	}
	return data, nil
}

// loadDir reads every YAML and JSON file under dir (a directory of
// Kubernetes manifests, as k8s:DIR names it).
func loadDir(f Format, dir string) ([]Workload, error) {
	var out []Workload
	err := filepath.WalkDir(dir, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		switch strings.ToLower(filepath.Ext(p)) {
		case ".yaml", ".yml", ".json":
		default:
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		fh, err := os.Open(p)
		if err != nil {
			return err
		}
		data, err := readInput(p, fh)
		fh.Close()
		if err != nil {
			return err
		}
		ws, err := Parse(f, p, data)
		if err != nil {
			return fmt.Errorf("%s: %w", p, err)
		}
		out = append(out, ws...)
		return nil
	})
	return out, err
}

// schemeTypo explains a target that names no file and starts with a near
// miss of a prefix ("dockr:foo", "k8:deploy.yaml"), instead of the bare
// "no such file" the open would give. It returns nil when it sees none.
func schemeTypo(target string) error {
	scheme, rest, ok := strings.Cut(target, ":")
	if !ok || scheme == "" || strings.ContainsAny(scheme, "./\\") {
		return nil
	}
	known := []string{"docker"}
	for p := range prefixes {
		known = append(known, strings.TrimSuffix(p, ":"))
	}
	lower := strings.ToLower(scheme)
	want, ok := suggest.Closest(lower, known, suggest.MaxTypos(len(lower)))
	if !ok {
		return nil
	}
	return fmt.Errorf("unknown prefix %q, did you mean %s:%s?", scheme+":", want, rest)
}
