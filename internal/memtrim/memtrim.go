// Package memtrim gives memory back to the system when a long-running process
// goes idle: freed heap, and the pages of its own executable that it touched
// while busy (they count in RSS although the kernel can re-read them at will).
package memtrim

import (
	"bufio"
	"fmt"
	"os"
	"runtime/debug"
	"strconv"
	"strings"
)

// Result says what Trim released.
type Result struct {
	// Mappings is the number of read-only executable mappings advised.
	Mappings int
	// Bytes is their total size (not all of it was resident).
	Bytes int64
	// Reclaimed says the pages were also asked out of the page cache, to
	// come back in small folios (the first Trim on Linux; see pageOut).
	Reclaimed bool
}

// Trim returns freed heap to the OS and unmaps the pages of the read-only
// mappings (code and constants) of the running executable. Those pages are
// clean and file-backed, and a Go binary never writes them: touching them
// again maps them back from the page cache, so this is safe at any time; it
// is meant for when the process is idle. The first Trim also drops those
// pages from the page cache, so that they come back in small folios (see
// pageOut): the code an idle process keeps running then costs it a few
// hundred KiB of RSS, not 2 MiB per function it touches.
func Trim() (Result, error) {
	debug.FreeOSMemory()
	exe, err := os.Readlink("/proc/self/exe")
	if err != nil {
		return Result{}, fmt.Errorf("find executable: %w", err)
	}
	f, err := os.Open("/proc/self/maps")
	if err != nil {
		return Result{}, fmt.Errorf("read mappings: %w", err)
	}
	defer f.Close()
	if !reclaimedOnce() {
		// Reclaim drops only clean pages: write a freshly installed
		// executable out first (nothing to do for one long on disk).
		if err := syncFile(exe); err != nil {
			return Result{}, err
		}
	}
	var res Result
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		start, end, ok := readOnlyMapping(sc.Text(), exe)
		if !ok {
			continue
		}
		did, err := pageOut(start, end-start)
		res.Reclaimed = res.Reclaimed || did
		if err != nil {
			return res, err
		}
		res.Mappings++
		res.Bytes += int64(end - start)
	}
	if res.Reclaimed {
		markReclaimed()
	}
	return res, sc.Err()
}

// syncFile flushes path's dirty page cache to disk (fsync works on a file
// opened read-only).
func syncFile(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("open executable: %w", err)
	}
	defer f.Close()
	if err := f.Sync(); err != nil {
		return fmt.Errorf("sync executable: %w", err)
	}
	return nil
}

// readOnlyMapping parses one /proc/self/maps line and reports the range of a
// private, non-writable mapping of path.
func readOnlyMapping(line, path string) (start, end uintptr, ok bool) {
	fields := strings.Fields(line)
	if len(fields) < 6 || fields[5] != path {
		return 0, 0, false
	}
	perms := fields[1]
	if len(perms) != 4 || perms[1] == 'w' || perms[3] != 'p' {
		return 0, 0, false
	}
	lo, hi, found := strings.Cut(fields[0], "-")
	if !found {
		return 0, 0, false
	}
	s, err1 := strconv.ParseUint(lo, 16, 64)
	e, err2 := strconv.ParseUint(hi, 16, 64)
	if err1 != nil || err2 != nil || e <= s {
		return 0, 0, false
	}
	return uintptr(s), uintptr(e), true
}
