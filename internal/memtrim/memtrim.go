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
}

// Trim returns freed heap to the OS and unmaps the pages of the read-only
// mappings (code and constants) of the running executable. Those pages are
// clean and file-backed, and a Go binary never writes them: touching them
// again maps them back from the page cache, so this is safe at any time; it
// is meant for when the process is idle.
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
	var res Result
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		start, end, ok := readOnlyMapping(sc.Text(), exe)
		if !ok {
			continue
		}
		if err := pageOut(start, end-start); err != nil {
			return res, err
		}
		res.Mappings++
		res.Bytes += int64(end - start)
	}
	return res, sc.Err()
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
