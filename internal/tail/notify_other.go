//go:build !linux

package tail

import "errors"

// Watcher is the inotify fast path; on this platform there is none and the
// agent polls.
type Watcher struct{}

// Change is one directory event.
type Change struct {
	Dir     string
	Entries bool
}

// NewWatcher reports that there is no fast path here.
func NewWatcher() (*Watcher, error) {
	return nil, errors.New("start watcher: not supported on this platform")
}

// Add does nothing.
func (w *Watcher) Add(string) error { return nil }

// Events never delivers.
func (w *Watcher) Events() <-chan Change { return nil }

// Close does nothing.
func (w *Watcher) Close() error { return nil }
