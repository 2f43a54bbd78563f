//go:build !(linux || darwin || freebsd || netbsd || openbsd || dragonfly)

package atomicfile

import (
	"os"
	"time"
)

// staleWithoutLocks is how old a temporary file must be to count as a
// leftover where files cannot be locked: a live writer modifies its file
// far more often.
const staleWithoutLocks = 24 * time.Hour

func hold(*os.File) error { return nil }

func unheld(_ string, age time.Duration) bool { return age >= staleWithoutLocks }
