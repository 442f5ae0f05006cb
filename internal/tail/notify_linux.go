//go:build linux

package tail

import (
	"errors"
	"fmt"
	"os"
	"sync"
	"unsafe"

	"golang.org/x/sys/unix"
)

// Watcher is the inotify fast path: it reports changes in watched
// directories so that new files and appended lines are noticed without
// waiting for the next poll. Polling stays on as the safety net (inotify can
// overflow, and does not see every file system).
type Watcher struct {
	f      *os.File
	events chan Change

	mu   sync.Mutex
	dirs map[string]int32
	wds  map[int32]string
}

// Change is one directory event.
type Change struct {
	Dir string
	// Entries is true when a directory entry was created, removed or renamed
	// (a rescan may find a new file); false for content changes only.
	Entries bool
}

const watchMask = unix.IN_MODIFY | unix.IN_CREATE | unix.IN_DELETE | unix.IN_MOVED_FROM |
	unix.IN_MOVED_TO | unix.IN_CLOSE_WRITE | unix.IN_ATTRIB | unix.IN_DELETE_SELF | unix.IN_MOVE_SELF

// NewWatcher starts an inotify instance.
func NewWatcher() (*Watcher, error) {
	fd, err := unix.InotifyInit1(unix.IN_CLOEXEC | unix.IN_NONBLOCK)
	if err != nil {
		return nil, fmt.Errorf("start inotify: %w", err)
	}
	w := &Watcher{f: os.NewFile(uintptr(fd), "inotify"), events: make(chan Change, 64), dirs: map[string]int32{}, wds: map[int32]string{}}
	go w.loop()
	return w, nil
}

// Add watches dir (once; adding it again does nothing).
func (w *Watcher) Add(dir string) error {
	w.mu.Lock()
	defer w.mu.Unlock()
	if _, ok := w.dirs[dir]; ok {
		return nil
	}
	wd, err := unix.InotifyAddWatch(int(w.f.Fd()), dir, watchMask|unix.IN_ONLYDIR)
	if err != nil {
		return fmt.Errorf("watch %s: %w", dir, err)
	}
	w.dirs[dir] = int32(wd)
	w.wds[int32(wd)] = dir
	return nil
}

// Events delivers changes; when the consumer is slow, changes are dropped
// (the poll catches up).
func (w *Watcher) Events() <-chan Change { return w.events }

// Close stops the watcher and closes Events.
func (w *Watcher) Close() error { return w.f.Close() }

func (w *Watcher) loop() {
	defer close(w.events)
	buf := make([]byte, 64<<10)
	for {
		n, err := w.f.Read(buf)
		if err != nil {
			if errors.Is(err, os.ErrClosed) {
				return
			}
			if errors.Is(err, unix.EINTR) {
				continue
			}
			return
		}
		for off := 0; off+unix.SizeofInotifyEvent <= n; {
			ev := (*unix.InotifyEvent)(unsafe.Pointer(&buf[off]))
			off += unix.SizeofInotifyEvent + int(ev.Len)
			w.mu.Lock()
			dir, ok := w.wds[ev.Wd]
			if ev.Mask&unix.IN_IGNORED != 0 && ok {
				delete(w.wds, ev.Wd)
				delete(w.dirs, dir)
			}
			w.mu.Unlock()
			if !ok && ev.Mask&unix.IN_Q_OVERFLOW == 0 {
				continue
			}
			entries := ev.Mask&(unix.IN_CREATE|unix.IN_DELETE|unix.IN_MOVED_FROM|unix.IN_MOVED_TO|unix.IN_Q_OVERFLOW|unix.IN_DELETE_SELF|unix.IN_MOVE_SELF|unix.IN_ATTRIB) != 0
			select {
			case w.events <- Change{Dir: dir, Entries: entries}:
			default:
			}
		}
	}
}
