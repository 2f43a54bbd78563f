package scan

import (
	"cmp"
	"slices"

	"github.com/customs-scanner/customs/internal/extract"
	"github.com/customs-scanner/customs/internal/layerfs"
	"github.com/customs-scanner/customs/internal/report"
)

// CheckSkip reports a malformed pattern of Options.SkipDirs or SkipFiles,
// so a front end refuses a user's typo before the scan instead of
// matching nothing (layerfs.CheckPattern).
func CheckSkip(pattern string) error { return layerfs.CheckPattern(pattern) }

// skipRules sets the analyser's rules from --skip-dirs and --skip-files
// patterns (checked by the caller with CheckSkip). They change
// what a layer's analysis holds, so they are part of its cache key.
func (a *analyser) skipRules(dirs, files []string) {
	for _, p := range dirs {
		a.skip = append(a.skip, layerfs.SkipRule{Pattern: p, Dir: true, Reason: "--skip-dirs " + p})
	}
	for _, p := range files {
		a.skip = append(a.skip, layerfs.SkipRule{Pattern: p, Reason: "--skip-files " + p})
	}
	if len(a.skip) > 0 {
		a.skipSig = layerfs.SkipSignature(a.skip)
		a.sig += ";skip=" + a.skipSig
	}
}

// skipped lists what the walks passed over, each path once (the lowest
// layer that had it), sorted by path.
func skipped(layers []scanned, infos []extract.LayerInfo) []report.Skipped {
	var out []report.Skipped
	seen := map[string]bool{}
	for i, sc := range layers {
		for _, s := range sc.layer.Skipped {
			if seen[s.Path] {
				continue
			}
			seen[s.Path] = true
			out = append(out, report.Skipped{Path: s.Path, Directory: s.Dir, Reason: s.Reason, Layer: infos[i].DiffID})
		}
	}
	slices.SortFunc(out, func(a, b report.Skipped) int { return cmp.Compare(a.Path, b.Path) })
	return out
}
