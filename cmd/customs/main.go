// Command customs scans container images for vulnerabilities.
package main

import (
	"context"
	"os"
	"os/signal"
	"runtime/debug"
	"syscall"

	"github.com/customs-scanner/customs/internal/cli"
)

// memoryLimit is the Go runtime's soft memory limit unless GOMEMLIMIT sets
// one: a scan holds one large file (a binary, a jar) at a time, and a soft
// limit makes the collector return each before the heap doubles.
const memoryLimit = 80 << 20

// gcPercent is the collector's target unless GOGC sets one: the soft limit
// bounds the heap anyway, and a scan that lives well below it (a cached
// one, ~30 MB of live heap) then collects a quarter as often.
const gcPercent = 400

func main() {
	if os.Getenv("GOMEMLIMIT") == "" {
		debug.SetMemoryLimit(memoryLimit)
	}
	if os.Getenv("GOGC") == "" {
		debug.SetGCPercent(gcPercent)
	}
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	code := cli.Main(ctx, os.Args[1:], os.Stdin, os.Stdout, os.Stderr)
	stop()
	os.Exit(code)
}
