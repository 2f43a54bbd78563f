package secrets

import (
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

// Collect turns the results of every layer's scan into findings. Deleted
// and overwritten files are included (StillPresent false). infos must be
// parallel to results; final is the merged filesystem of the layers.
func Collect(results []*LayerResult, infos []extract.LayerInfo, final *layerfs.FS) []Finding {
	var out []Finding
	for i, r := range results {
		if r == nil {
			continue
		}
		var info extract.LayerInfo
		if i < len(infos) {
			info = infos[i]
		}
		if info.DiffID == "" {
			info.DiffID = r.DiffID
		}
		for _, f := range r.Files {
			present := false
			if final != nil {
				o, ok := final.Origin(f.Path)
				present = ok && o == i
			}
			for _, m := range f.Matches {
				if m.Rule == "" {
					continue // a crafted cache record, not one Prepare wrote
				}
				out = append(out, Finding{
					Rule: m.Rule, Severity: m.Severity, Source: "file",
					Layer: info.DiffID, LayerIndex: i, CreatedBy: info.CreatedBy,
					Path: f.Path, Line: m.Line, Match: m.Snippet, StillPresent: present,
				})
			}
		}
	}
	return out
}

// Stats counts the files of an image the secret scanner looked at (see
// LayerResult).
type Stats struct {
	Scanned, SkippedTooLarge, SkippedBinary int64
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
