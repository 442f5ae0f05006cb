package check

import (
	"unsafe"

	"golang.org/x/sys/unix"
)

// table is the engine's event table in anonymous memory outside the Go heap:
// it grows with mremap (pages move, nothing is copied, no discarded copy
// waits for the collector) and is freed at once by release. rec holds no
// pointers, so the collector need not see it. When mapping fails the table
// falls back to a Go slice.
type table struct {
	mem  []byte // mapped region; nil when unmapped or on the fallback
	n    int    // records in use
	heap []rec  // fallback
}

// tableMin is the first mapping's size (grown by doubling).
const tableMin = 1 << 20

const recSize = int(unsafe.Sizeof(rec{}))

func (t *table) push(x rec) {
	if t.heap != nil || (t.mem == nil && t.n > 0) {
		t.heap = append(t.heap, x)
		t.n++
		return
	}
	if (t.n+1)*recSize > len(t.mem) {
		if !t.grow() {
			t.heap = append(make([]rec, 0, 2*t.n+1), t.recs()...)
			t.unmap()
			t.heap = append(t.heap, x)
			t.n++
			return
		}
	}
	t.recs()[:t.n+1][t.n] = x
	t.n++
}

func (t *table) grow() bool {
	if t.mem == nil {
		m, err := unix.Mmap(-1, 0, tableMin, unix.PROT_READ|unix.PROT_WRITE, unix.MAP_PRIVATE|unix.MAP_ANONYMOUS)
		if err != nil {
			return false
		}
		t.mem = m
		return true
	}
	m, err := unix.Mremap(t.mem, 2*len(t.mem), unix.MREMAP_MAYMOVE)
	if err != nil {
		return false
	}
	t.mem = m
	return true
}

// recs returns the records (valid until the next push or release).
func (t *table) recs() []rec {
	if t.heap != nil || t.mem == nil {
		return t.heap
	}
	return unsafe.Slice((*rec)(unsafe.Pointer(&t.mem[0])), len(t.mem)/recSize)[:t.n]
}

func (t *table) unmap() {
	if t.mem != nil {
		_ = unix.Munmap(t.mem)
		t.mem = nil
	}
}

// release frees the table; recs is empty afterwards.
func (t *table) release() {
	t.unmap()
	t.heap, t.n = nil, 0
}

// len returns the number of records in the table.
func (t *table) len() int { return t.n }
