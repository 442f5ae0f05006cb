package memtrim

import (
	"fmt"
	"syscall"
)

// pageOut drops the process's mappings of the pages of [addr, addr+n), a
// private, never-written, file-backed range: MADV_DONTNEED on such a range
// only unmaps the pages, which stay in the page cache and come back on the
// next touch as minor faults (no disk read, nothing lost).
func pageOut(addr, n uintptr) error {
	_, _, errno := syscall.Syscall(syscall.SYS_MADVISE, addr, n, syscall.MADV_DONTNEED)
	if errno != 0 {
		return fmt.Errorf("madvise: %w", errno)
	}
	return nil
}
