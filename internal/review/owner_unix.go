//go:build unix

package review

import (
	"io/fs"
	"syscall"
)

// ownerOf returns the file's owner uid, or -1 when unknown.
func ownerOf(fi fs.FileInfo) int {
	if st, ok := fi.Sys().(*syscall.Stat_t); ok {
		return int(st.Uid)
	}
	return -1
}
