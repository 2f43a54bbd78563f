package secrets

import (
	"encoding/json"
	"fmt"
	"sort"
	"sync"

	v1 "github.com/google/go-containerregistry/pkg/v1"

	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/layerfs"
)

// Finding is one secret in the image.
type Finding struct {
	Rule     string `json:"rule"`
	Severity string `json:"severity"`
	// Source is "file", "env", "label" or "history".
	Source string `json:"source"`
	// Layer is the DiffID of the layer whose file holds the secret
	// (empty for config findings); LayerIndex counts from 0, bottom first.
	Layer      string `json:"layer,omitempty"`
	LayerIndex int    `json:"layerIndex"`
	CreatedBy  string `json:"createdBy,omitempty"`
	// Path is the file path (no leading slash), or for config findings
	// the config field: "Env[2]", "Labels[key]", "History[5]".
	Path string `json:"path"`
	Line int    `json:"line"`
	// Match is the matched text with the secret redacted.
	Match string `json:"match"`
	// StillPresent is true when the file is in the final filesystem as
	// written by this layer; false when a later layer deleted or
	// overwrote it (the secret is still in the layer tarball, so still
	// extractable from the image). Config findings are always present.
	StillPresent bool `json:"stillPresent"`
}

// Collect turns the prepared secret parts of every layer into findings.
// Deleted and overwritten files are included (StillPresent false). infos
// must be parallel to layers.
func Collect(layers []*layerfs.Layer, infos []extract.LayerInfo, final *layerfs.FS) []Finding {
	var out []Finding
	for i, l := range layers {
		if l == nil {
			continue
		}
		paths := make([]string, 0, len(l.Files))
		for p := range l.Files {
			paths = append(paths, p)
		}
		sort.Strings(paths)
		var info extract.LayerInfo
		if i < len(infos) {
			info = infos[i]
		}
		if info.DiffID == "" {
			info.DiffID = l.DiffID
		}
		for _, p := range paths {
			b, ok := extract.PartFor(Name, l.Files[p])
			if !ok || len(b) == 0 {
				continue
			}
			var ms []Match
			if json.Unmarshal(b, &ms) != nil {
				continue
			}
			present := false
			if final != nil {
				o, ok := final.Origin(p)
				present = ok && o == i
			}
			for _, m := range ms {
				if m.Rule == "" {
					continue // a crafted part, not one Prepare wrote
				}
				out = append(out, Finding{
					Rule: m.Rule, Severity: m.Severity, Source: "file",
					Layer: info.DiffID, LayerIndex: i, CreatedBy: info.CreatedBy,
					Path: p, Line: m.Line, Match: m.Snippet, StillPresent: present,
				})
			}
		}
	}
	return out
}

// Stats counts files. Scanned and SkippedBinary are the files Prepare
// looked at in this process (layers taken from the cache are not prepared
// again and are not counted); SkippedTooLarge are the files of every layer
// that Wants accepts and that are over the size limit, which are never
// scanned (nor read, unless another extractor wants them).
type Stats struct {
	Scanned, SkippedTooLarge, SkippedBinary int64
}

// Stats returns the counters, with the too-large files of layers.
func (s *Scanner) Stats(layers []*layerfs.Layer) Stats {
	st := Stats{Scanned: s.scanned.Load(), SkippedBinary: s.binary.Load()}
	for _, l := range layers {
		if l == nil {
			continue
		}
		for _, e := range l.Entries {
			if e.Size > s.maxSize && !e.Hardlink && s.Wants(e.Path, e.Mode) {
				st.SkippedTooLarge++
			}
		}
	}
	return st
}

// ScanConfig finds secrets in the image config: environment variables,
// labels and the created_by command of every history entry (which also
// records build arguments).
func (s *Scanner) ScanConfig(cfg *v1.ConfigFile) []Finding {
	if cfg == nil {
		return nil
	}
	var out []Finding
	add := func(source, where, text string) {
		for _, m := range s.Scan("", []byte(text)) {
			out = append(out, Finding{Rule: m.Rule, Severity: m.Severity, Source: source, LayerIndex: -1, Path: where, Line: m.Line, Match: m.Snippet, StillPresent: true})
		}
	}
	for i, e := range cfg.Config.Env {
		add("env", fmt.Sprintf("Env[%d]", i), e)
	}
	keys := make([]string, 0, len(cfg.Config.Labels))
	for k := range cfg.Config.Labels {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		add("label", "Labels["+k+"]", k+"="+cfg.Config.Labels[k])
	}
	for i, h := range cfg.History {
		add("history", fmt.Sprintf("History[%d]", i), h.CreatedBy)
	}
	return out
}

// ScanConfig runs the default rules over cfg (see Scanner.ScanConfig).
func ScanConfig(cfg *v1.ConfigFile) []Finding {
	return defaultScanner().ScanConfig(cfg)
}

// ScanText runs the default rules over text (see Scanner.Scan).
func ScanText(path string, text []byte) []Match {
	return defaultScanner().Scan(path, text)
}

// defaultScanner compiles the default rules once; Scan keeps no state.
var defaultScanner = sync.OnceValue(func() *Scanner { return New(DefaultRules()) })
