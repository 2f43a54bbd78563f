package cli

import (
	"fmt"
	"os"
	"runtime/pprof"
	"runtime/trace"

	"github.com/spf13/pflag"
)

// profileFlags adds --cpuprofile and --trace, hidden: they are for
// measuring customs itself (docs/benchmarks.md), not for users.
func (g *globals) profileFlags(fs *pflag.FlagSet) {
	fs.StringVar(&g.cpuProfile, "cpuprofile", "", "write a CPU profile of the command to this file (go tool pprof)")
	fs.StringVar(&g.traceFile, "trace", "", "write an execution trace of the command to this file (go tool trace)")
	_ = fs.MarkHidden("cpuprofile")
	_ = fs.MarkHidden("trace")
}

// startProfile starts the CPU profile and the trace the flags ask for.
func (g *globals) startProfile() error {
	var stops []func() error
	g.profiling = func() error {
		var first error
		for _, stop := range stops {
			if err := stop(); err != nil && first == nil {
				first = err
			}
		}
		return first
	}
	if g.cpuProfile != "" {
		f, err := os.Create(g.cpuProfile)
		if err != nil {
			return fmt.Errorf("cpu profile: %w", err)
		}
		if err := pprof.StartCPUProfile(f); err != nil {
			f.Close()
			return fmt.Errorf("cpu profile: %w", err)
		}
		stops = append(stops, func() error {
			pprof.StopCPUProfile()
			return f.Close()
		})
	}
	if g.traceFile != "" {
		f, err := os.Create(g.traceFile)
		if err != nil {
			return fmt.Errorf("trace: %w", err)
		}
		if err := trace.Start(f); err != nil {
			f.Close()
			return fmt.Errorf("trace: %w", err)
		}
		stops = append(stops, func() error {
			trace.Stop()
			return f.Close()
		})
	}
	return nil
}

// stopProfile ends what startProfile began, if anything.
func (g *globals) stopProfile() error {
	if g.profiling == nil {
		return nil
	}
	stop := g.profiling
	g.profiling = nil
	return stop()
}
