package osv

import (
	"encoding/json"
	"errors"
	"fmt"

	"github.com/customs-scanner/customs/internal/vulndb"
	"go.yaml.in/yaml/v3"
)

// ParseYAML converts one OSV record written as YAML (the PyPA advisory
// database's vulns/**/PYSEC-*.yaml) to an advisory, like Parse. Scalars are
// kept as the text written, so a version "1.10" stays "1.10".
func ParseYAML(b []byte) (*vulndb.Advisory, error) {
	var doc yaml.Node
	if err := yaml.Unmarshal(b, &doc); err != nil {
		return nil, err
	}
	if doc.Kind != yaml.DocumentNode || len(doc.Content) != 1 {
		return nil, errors.New("empty yaml document")
	}
	v, err := plain(doc.Content[0], 0)
	if err != nil {
		return nil, err
	}
	j, err := json.Marshal(v)
	if err != nil {
		return nil, err
	}
	return Parse(j)
}

// plain turns a YAML node into maps, slices and strings.
func plain(n *yaml.Node, depth int) (any, error) {
	if depth > 64 {
		return nil, errors.New("yaml nested too deeply")
	}
	switch n.Kind {
	case yaml.AliasNode:
		return nil, errors.New("yaml aliases are not supported")
	case yaml.ScalarNode:
		if n.Tag == "!!null" {
			return nil, nil
		}
		return n.Value, nil
	case yaml.SequenceNode:
		out := make([]any, 0, len(n.Content))
		for _, c := range n.Content {
			v, err := plain(c, depth+1)
			if err != nil {
				return nil, err
			}
			out = append(out, v)
		}
		return out, nil
	case yaml.MappingNode:
		out := make(map[string]any, len(n.Content)/2)
		for i := 0; i+1 < len(n.Content); i += 2 {
			k := n.Content[i]
			if k.Kind != yaml.ScalarNode {
				return nil, fmt.Errorf("line %d: mapping key is not a scalar", k.Line)
			}
			v, err := plain(n.Content[i+1], depth+1)
			if err != nil {
				return nil, err
			}
			out[k.Value] = v
		}
		return out, nil
	}
	return nil, fmt.Errorf("line %d: unexpected yaml node", n.Line)
}
