//go:build !linux

package binary

import "time"

func threadCPU() time.Duration { return 0 }
