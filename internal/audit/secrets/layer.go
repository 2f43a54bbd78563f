package secrets

import (
	"cmp"
	"slices"
	"sync"

	"github.com/customs-scanner/customs/internal/layerfs"
)

// LayerResult is what the secret scanner found in one layer: the matches
// of each file and how many files it looked at. It is a result of its own,
// cached by the rules' identity (Scanner.ID) and the layer's DiffID apart
// from the extractors' analysis of the layer, so a cached scan reports the
// same secrets and counts as the scan that read the layer.
type LayerResult struct {
	DiffID string        `json:"diffID"`
	Files  []FileMatches `json:"files,omitempty"` // sorted by path
	// Scanned and SkippedBinary count the files read and scanned, and
	// those skipped as binary; SkippedTooLarge the files Wants accepts
	// that are over the size limit, never scanned (nor read, unless
	// another extractor wants them).
	Scanned         int64 `json:"scanned"`
	SkippedBinary   int64 `json:"skippedBinary"`
	SkippedTooLarge int64 `json:"skippedTooLarge"`
}

// FileMatches are the secrets of one file of a layer.
type FileMatches struct {
	Path    string  `json:"path"`
	Matches []Match `json:"matches"`
}

// LayerScan scans the files of one layer as the walker reads them. It is
// the Scanner as the Preparer of that layer's walk: Prepare keeps nothing
// in the layer, and Result returns what it found. Use one per layer.
type LayerScan struct {
	*Scanner
	mu  sync.Mutex
	res LayerResult
}

// Layer starts the scan of one layer.
func (s *Scanner) Layer() *LayerScan { return &LayerScan{Scanner: s} }

// Prepare implements extract.Preparer: it scans one file and records its
// matches; it returns nil, so the walk keeps nothing for the secret
// scanner. Files larger than the size limit (which the walker reads only
// when another extractor wants them) are not scanned; binary files are
// counted and not scanned.
func (ls *LayerScan) Prepare(p string, content []byte) ([]byte, error) {
	if int64(len(content)) > ls.maxSize {
		return nil, nil
	}
	if IsBinary(content) {
		ls.mu.Lock()
		ls.res.SkippedBinary++
		ls.mu.Unlock()
		return nil, nil
	}
	ms := ls.Scan(p, content)
	ls.mu.Lock()
	defer ls.mu.Unlock()
	ls.res.Scanned++
	if len(ms) > 0 {
		ls.res.Files = append(ls.res.Files, FileMatches{Path: p, Matches: ms})
	}
	return nil, nil
}

// Result returns what the scan of l found. l is the layer the walk
// produced; its entries give the files too large to scan.
func (ls *LayerScan) Result(l *layerfs.Layer) *LayerResult {
	ls.mu.Lock()
	defer ls.mu.Unlock()
	r := ls.res
	r.DiffID = l.DiffID
	r.Files = slices.Clone(r.Files)
	slices.SortFunc(r.Files, func(a, b FileMatches) int { return cmp.Compare(a.Path, b.Path) })
	for _, e := range l.Entries {
		if e.Size > ls.maxSize && !e.Hardlink && ls.Wants(e.Path, e.Mode) {
			r.SkippedTooLarge++
		}
	}
	return &r
}

// Tally adds up the counts of results.
func Tally(results []*LayerResult) Stats {
	var st Stats
	for _, r := range results {
		if r == nil {
			continue
		}
		st.Scanned += r.Scanned
		st.SkippedBinary += r.SkippedBinary
		st.SkippedTooLarge += r.SkippedTooLarge
	}
	return st
}
