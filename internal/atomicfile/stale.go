package atomicfile

import (
	"os"
	"path/filepath"
	"time"
)

// StaleGrace is how long a temporary file must have gone unmodified before
// RemoveStale considers it: it covers the moment between creating a file
// and Hold, and platforms without file locks use it alone (see
// staleWithoutLocks).
const StaleGrace = 10 * time.Second

// Hold marks f, a temporary file its caller is writing, as live for as long
// as f stays open: RemoveStale leaves it alone. The mark is an advisory
// lock (flock), which the system drops when the process ends, however it
// ends, so a file whose writer was killed is recognised as a leftover.
func Hold(f *os.File) error { return hold(f) }

// RemoveStale removes the files in dir whose names match pattern (see
// filepath.Match) that no process holds (see Hold) and that nobody
// modified in the last StaleGrace: what a writer killed before it could
// clean up left behind. Two writers sharing dir never remove each other's
// live files: a live one is held. It returns the paths it removed; errors
// are not returned, a leftover that cannot be removed is tried again next
// time.
func RemoveStale(dir, pattern string) []string {
	names, err := filepath.Glob(filepath.Join(dir, pattern))
	if err != nil {
		return nil
	}
	var removed []string
	now := time.Now()
	for _, p := range names {
		fi, err := os.Lstat(p)
		if err != nil || !fi.Mode().IsRegular() || now.Sub(fi.ModTime()) < StaleGrace {
			continue
		}
		if !unheld(p, now.Sub(fi.ModTime())) {
			continue
		}
		if os.Remove(p) == nil {
			removed = append(removed, p)
		}
	}
	return removed
}
