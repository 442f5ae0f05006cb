// Package gctune runs the garbage collector of a process whose live heap is
// small and bounded (the agent: its buffers are capped) against a memory
// limit instead of heap growth. With the default GOGC=100 the collector runs
// every time the heap doubles from a small live set, many times a second
// while shipping; with a fixed limit it runs only when the heap nears that
// limit, which costs less CPU and also caps the peak.
//
// A limit below the live heap would make the collector run back to back, so
// a watchdog falls back to GOGC=100 (no limit) while the live heap is above
// fallbackShare of the limit, and returns to the limit once it shrinks. An
// operator's own GOGC or GOMEMLIMIT always wins: Start then does nothing.
package gctune

import (
	"context"
	"log/slog"
	"math"
	"os"
	"runtime/debug"
	"runtime/metrics"
	"time"
)

// Limit is the memory limit (all of the Go runtime's memory) the collector
// works against. Why 30 MiB: the agent's live heap is its 16 MiB event
// budget plus read and request buffers, typically under 10 MiB; the
// process's RSS then stays under the 64 MiB bound with room for code and
// stacks.
const Limit = 30 << 20

// Falling back and returning, as shares of Limit: above 2/3 live the
// collector would run too often; below 1/3 the limit is safe again.
const (
	fallbackShare = 2.0 / 3
	returnShare   = 1.0 / 3
)

// checkEvery is how often the watchdog reads the live heap.
const checkEvery = time.Second

const liveMetric = "/gc/heap/live:bytes"

// Start sets the limit and runs the watchdog until ctx ends. It reports
// whether it took over (false when GOGC or GOMEMLIMIT is set).
func Start(ctx context.Context, log *slog.Logger) bool {
	if os.Getenv("GOGC") != "" || os.Getenv("GOMEMLIMIT") != "" {
		return false
	}
	s := &state{log: log}
	s.useLimit()
	go s.watch(ctx)
	return true
}

type state struct {
	log     *slog.Logger
	limited bool
}

func (s *state) useLimit() {
	debug.SetMemoryLimit(Limit)
	debug.SetGCPercent(-1)
	s.limited = true
}

func (s *state) useGrowth() {
	debug.SetGCPercent(100)
	debug.SetMemoryLimit(math.MaxInt64)
	s.limited = false
}

func (s *state) watch(ctx context.Context) {
	t := time.NewTicker(checkEvery)
	defer t.Stop()
	sample := []metrics.Sample{{Name: liveMetric}}
	for {
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
		metrics.Read(sample)
		if sample[0].Value.Kind() != metrics.KindUint64 {
			return // an unknown runtime: leave the settings as they are
		}
		s.step(sample[0].Value.Uint64())
	}
}

// step decides from the live heap whether to run against the limit.
func (s *state) step(live uint64) {
	switch {
	case s.limited && float64(live) > fallbackShare*Limit:
		s.useGrowth()
		s.log.Info("live heap near the GC memory limit; collecting by heap growth", "live_bytes", live, "limit_bytes", Limit)
	case !s.limited && float64(live) < returnShare*Limit:
		s.useLimit()
		s.log.Debug("live heap small again; collecting against the memory limit", "live_bytes", live)
	}
}
