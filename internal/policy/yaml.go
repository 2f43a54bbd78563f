// Package policy evaluates a scan report against the user's gate: exceptions
// (an ignore file with owners and expiry dates), CEL rules and a baseline.
// It does no I/O beyond reading the files it is given by path.
package policy

import (
	"fmt"
	"strings"

	"go.yaml.in/yaml/v3"
)

// maxFileSize bounds the policy and exception files read from disk.
const maxFileSize = 4 << 20

// parseYAML decodes data into a document node, refusing empty input.
func parseYAML(name string, data []byte) (*yaml.Node, error) {
	if len(data) > maxFileSize {
		return nil, fmt.Errorf("%s: file is larger than %d bytes", name, maxFileSize)
	}
	var doc yaml.Node
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %w", name, err)
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, fmt.Errorf("%s: empty document", name)
	}
	return doc.Content[0], nil
}

// mapping checks that n is a mapping whose keys are all in known and returns
// key -> value node. Unknown and duplicate keys are errors with line numbers.
func mapping(name string, n *yaml.Node, what string, known ...string) (map[string]*yaml.Node, error) {
	if n.Kind != yaml.MappingNode {
		return nil, fmt.Errorf("%s:%d:%d: %s must be a mapping", name, n.Line, n.Column, what)
	}
	out := map[string]*yaml.Node{}
	for i := 0; i+1 < len(n.Content); i += 2 {
		k, v := n.Content[i], n.Content[i+1]
		ok := false
		for _, want := range known {
			ok = ok || k.Value == want
		}
		if !ok {
			return nil, fmt.Errorf("%s:%d:%d: unknown key %q in %s (want one of %s)", name, k.Line, k.Column, k.Value, what, strings.Join(known, ", "))
		}
		if _, dup := out[k.Value]; dup {
			return nil, fmt.Errorf("%s:%d:%d: duplicate key %q in %s", name, k.Line, k.Column, k.Value, what)
		}
		out[k.Value] = v
	}
	return out, nil
}

// scalar returns the string value of a scalar node.
func scalar(name string, n *yaml.Node, key string) (string, error) {
	if n == nil {
		return "", nil
	}
	if n.Kind != yaml.ScalarNode {
		return "", fmt.Errorf("%s:%d:%d: %s must be a string", name, n.Line, n.Column, key)
	}
	return n.Value, nil
}
