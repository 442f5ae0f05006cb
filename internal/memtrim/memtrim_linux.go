package memtrim

import (
	"errors"
	"fmt"
	"sync/atomic"
	"syscall"

	"golang.org/x/sys/unix"
)

// reclaimed is set once the executable's pages have been reclaimed from the
// page cache (the first Trim); later Trims only unmap.
var reclaimed atomic.Bool

// pageOut drops the process's mappings of the pages of [addr, addr+n), a
// private, never-written, file-backed range. Nothing is lost: the pages come
// back from the page cache (or the file) on the next touch.
//
// Unmapping alone (MADV_DONTNEED) is not enough on kernels that keep the
// executable in large page-cache folios (2 MiB on ext4 and XFS) and map a
// whole folio on the first touch of any byte of it: a few functions run
// while idle would bring the code back 2 MiB at a time. So the first Trim
//
//   - marks the range MADV_NOHUGEPAGE (no PMD mapping of the folios),
//   - marks it MADV_RANDOM (a page read back is read alone, into a small
//     folio, not with read-around into a large one), and
//   - reclaims it with MADV_PAGEOUT, which splits the folios only this
//     process maps and drops them from the page cache (pages other
//     processes map are left alone; an unprivileged process may not reclaim
//     a file it cannot write, and then this step does nothing).
//
// From then on the code the process runs lives in small folios, and each
// Trim only unmaps it. Older kernels answer EINVAL to the advice they lack;
// that is not an error, the unmapping still happens.
func pageOut(addr, n uintptr) (bool, error) {
	if err := advise(addr, n, unix.MADV_NOHUGEPAGE); err != nil {
		return false, err
	}
	did := false
	if !reclaimed.Load() {
		if err := advise(addr, n, unix.MADV_RANDOM); err != nil {
			return false, err
		}
		if err := advise(addr, n, unix.MADV_PAGEOUT); err != nil {
			return false, err
		}
		did = true
	}
	if err := advise(addr, n, unix.MADV_DONTNEED); err != nil {
		return did, err
	}
	return did, nil
}

// markReclaimed records that the first Trim's reclaim ran.
func markReclaimed() { reclaimed.Store(true) }

// reclaimedOnce says whether the first Trim's reclaim has run.
func reclaimedOnce() bool { return reclaimed.Load() }

// advise calls madvise on a range that is not Go memory; EINVAL (advice the
// kernel does not know) is ignored.
func advise(addr, n uintptr, advice int) error {
	_, _, errno := syscall.Syscall(syscall.SYS_MADVISE, addr, n, uintptr(advice))
	if errno == 0 || errors.Is(errno, syscall.EINVAL) {
		return nil
	}
	return fmt.Errorf("madvise %d: %w", advice, errno)
}
