package binary

import (
	"syscall"
	"time"
)

// threadCPU returns the CPU time the calling OS thread has used
// (RUSAGE_THREAD), so throughput can be measured on a busy machine; the
// caller locks itself to its thread.
func threadCPU() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1, &ru); err != nil { // 1 = RUSAGE_THREAD
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
