package testutil

import (
	"syscall"
	"time"
)

// CPUTime is this process's user+system CPU time so far (0 if unknown).
// Benchmarks report CPU per unit of work beside wall-clock figures: the
// machine may be shared, and the CPU figure does not depend on that.
func CPUTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}
