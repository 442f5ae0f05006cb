package binlog

import (
	"errors"
	"fmt"
	"io"
	"os"
	"sort"
	"syscall"
)

// FollowState is what a Follower needs to resume after a restart; it is
// plain data so an agent can keep it in its checkpoint file.
type FollowState struct {
	// Inode and Size of the file at the last poll: a different inode or a
	// smaller size means the file was rotated or truncated.
	Inode uint64 `json:"inode"`
	Size  int64  `json:"size"`
	// Offset is the next utmp record to ship (a multiple of the record size).
	Offset int64 `json:"offset"`
	// Seen holds, for lastlog, the ll_time already shipped per uid.
	Seen map[uint32]int64 `json:"seen,omitempty"`
}

// Follower turns a binary login file into a stream of JSON lines across
// polls, the way an agent tails a text file: for wtmp/btmp/utmp the new
// records appended since the last poll; for lastlog (rewritten in place)
// the entries whose login time changed. It never emits anything for a file
// that is not a binary login file (Poll returns an error wrapping
// ErrUnknownFile).
type Follower struct {
	Path  string
	State FollowState
}

// Poll emits one JSON line (without newline) per new record and advances
// State only past records whose emit returned nil, so a failed ship is
// retried at the next poll.
func (f *Follower) Poll(emit func(line []byte) error) (int, error) {
	fh, err := os.Open(f.Path)
	if err != nil {
		return 0, fmt.Errorf("open binary log: %w", err)
	}
	defer fh.Close()
	st, err := fh.Stat()
	if err != nil {
		return 0, fmt.Errorf("stat binary log: %w", err)
	}
	var ino uint64
	if sys, ok := st.Sys().(*syscall.Stat_t); ok {
		ino = uint64(sys.Ino)
	}
	rd, err := NewReader(f.Path, fh, st.Size())
	if err != nil {
		return 0, err
	}
	if ino != f.State.Inode || st.Size() < f.State.Size {
		// rotated (new inode) or truncated: start over on the new content
		f.State.Offset = 0
		if rd.Format != FormatLastlog {
			f.State.Seen = nil
		}
	}
	f.State.Inode, f.State.Size = ino, st.Size()
	n := 0
	if rd.Format == FormatLastlog {
		if f.State.Seen == nil {
			f.State.Seen = map[uint32]int64{}
		}
		var changed []Lastlog
		if _, err := rd.EachLastlog(MaxLastlogBytes, func(e Lastlog) error {
			if f.State.Seen[e.UID] != e.Time.Unix() {
				changed = append(changed, e)
			}
			return nil
		}); err != nil {
			return 0, err
		}
		sort.Slice(changed, func(i, j int) bool { return changed[i].UID < changed[j].UID })
		for _, e := range changed {
			if err := emit(LastlogJSON(e, rd.LLayout).Marshal()); err != nil {
				return n, err
			}
			f.State.Seen[e.UID] = e.Time.Unix()
			n++
		}
		return n, nil
	}
	rs := int64(rd.Layout.Size)
	if f.State.Offset%rs != 0 {
		f.State.Offset -= f.State.Offset % rs
	}
	_, _, err = rd.EachUtmp(f.State.Offset, func(i int64, u Utmp) error {
		if u.Type != Empty {
			if err := emit(UtmpJSON(u, rd.Format, rd.Layout, i).Marshal()); err != nil {
				return err
			}
			n++
		}
		f.State.Offset = (i + 1) * rs
		return nil
	})
	if err != nil && !errors.Is(err, io.EOF) {
		return n, err
	}
	return n, nil
}
