package memtrim

import (
	"fmt"
	"syscall"

	"golang.org/x/sys/unix"
)

// pageOut advises the kernel to reclaim the pages of [addr, addr+n).
// Kernels before 5.4 lack MADV_PAGEOUT; they get MADV_COLD's absence
// silently (EINVAL is not an error here).
func pageOut(addr, n uintptr) error {
	_, _, errno := syscall.Syscall(syscall.SYS_MADVISE, addr, n, unix.MADV_PAGEOUT)
	if errno != 0 && errno != syscall.EINVAL {
		return fmt.Errorf("madvise: %w", errno)
	}
	return nil
}
