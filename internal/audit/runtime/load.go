package runtime

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

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
var prefixes = map[string]Format{"k8s:": FormatKubernetes, "compose:": FormatCompose, "inspect:": FormatInspect, "oci-config:": FormatOCIConfig}

// Load reads one target: "docker:" for the running containers of the
// Docker Engine at dockerHost ("docker:all" adds created and stopped ones),
// else a file, optionally prefixed with its
// kind (k8s:, compose:, inspect:, oci-config:); "-" reads stdin.
func Load(ctx context.Context, target, dockerHost string, stdin io.Reader) ([]Workload, error) {
	if target == "docker:" || target == "docker:all" {
		e, err := NewEngine(dockerHost)
		if err != nil {
			return nil, err
		}
		return e.Containers(ctx, target == "docker:all")
	}
	if strings.HasPrefix(target, "docker:") {
		return nil, fmt.Errorf("%s: use docker: for the running containers or docker:all for every container", target)
	}
	var f Format
	path := target
	for p, pf := range prefixes {
		if strings.HasPrefix(target, p) {
			f, path = pf, strings.TrimPrefix(target, p)
		}
	}
	var r io.Reader
	if path == "-" {
		r = stdin
	} else {
		fh, err := os.Open(path)
		if err != nil {
			return nil, err
		}
		defer fh.Close()
		r = fh
	}
	data, err := io.ReadAll(io.LimitReader(r, maxInput+1))
	if err != nil {
		return nil, fmt.Errorf("read %s: %w", path, err)
	}
	if len(data) > maxInput {
		return nil, fmt.Errorf("%s: larger than %d MiB", path, maxInput>>20)
	}
	ws, err := Parse(f, path, data)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return ws, nil
}
