package checkpoint

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"sync/atomic"
	"time"

	"github.com/logwarden/logwarden/internal/fsutil"
)

// DefaultSaveInterval is how often a changed state is written when nothing
// asks sooner: fingerprint growth and expiry ride on it.
const DefaultSaveInterval = 200 * time.Millisecond

// largeState and largeStateInterval: a state file over largeState bytes
// (thousands of followed files) is written at most every largeStateInterval,
// so that checkpointing stays a small share of the disk's work.
const (
	largeState         = 256 << 10
	largeStateInterval = time.Second
)

// DefaultStaleAfter is how long an entry no running tailer owns is kept (why:
// it lets a file rotated or replaced while the agent was down be recognised,
// and then it is forgotten so the state file does not grow without bound).
const DefaultStaleAfter = 72 * time.Hour

// Options tunes a Store.
type Options struct {
	// SaveInterval: default DefaultSaveInterval.
	SaveInterval time.Duration
	// StaleAfter: default DefaultStaleAfter.
	StaleAfter time.Duration
	Logger     *slog.Logger
}

// Store holds every file's checkpoint and persists it.
type Store struct {
	path string
	opts Options

	mu      sync.Mutex
	entries map[Key]Entry
	live    map[Key]*Handle
	dirty   bool
	fresh   bool       // no state file existed at Open
	saveMu  sync.Mutex // serialises writes

	lastSize int       // bytes of the last state written, under saveMu
	lastSave time.Time // under saveMu

	// jmu orders journal records with the state they describe: it is held
	// while an ack, a new or a removed entry is applied and recorded, and
	// while a save takes its snapshot. Lock order: saveMu, jmu, mu, Handle.mu.
	jmu      sync.Mutex
	j        journal
	savedSeq uint64 // the journal record the last snapshot holds, under jmu
}

// Open loads dir's state file (creating dir if needed) and removes temp files
// a crash left behind. An unknown format version is an error.
func Open(dir string, opts Options) (*Store, error) {
	if opts.SaveInterval <= 0 {
		opts.SaveInterval = DefaultSaveInterval
	}
	if opts.StaleAfter <= 0 {
		opts.StaleAfter = DefaultStaleAfter
	}
	if opts.Logger == nil {
		opts.Logger = slog.New(slog.DiscardHandler)
	}
	if err := os.MkdirAll(dir, 0o750); err != nil {
		return nil, fmt.Errorf("create state dir: %w", err)
	}
	s := &Store{path: filepath.Join(dir, FileName), opts: opts, entries: map[Key]Entry{}, live: map[Key]*Handle{},
		j: journal{dir: dir}}
	if err := fsutil.RemoveTemps(dir); err != nil {
		return nil, fmt.Errorf("open checkpoint: %w", err)
	}
	// Fail at start, not at the first save, when the state cannot be written.
	probe, err := os.CreateTemp(dir, ".probe.*"+fsutil.TempSuffix)
	if err != nil {
		return nil, fmt.Errorf("open checkpoint: state dir %s is not writable: %w", dir, err)
	}
	probe.Close()
	os.Remove(probe.Name())
	data, err := os.ReadFile(s.path)
	switch {
	case errors.Is(err, fs.ErrNotExist):
		s.fresh = true
	case err != nil:
		return nil, fmt.Errorf("read checkpoint: %w", err)
	default:
		sf, err := decodeState(data)
		if err != nil {
			return nil, fmt.Errorf("load %s: %w", s.path, err)
		}
		for _, e := range sf.Files {
			s.entries[e.Key()] = e
		}
		s.savedSeq = sf.JournalSeq
	}
	if err := s.replay(dir); err != nil {
		return nil, err
	}
	s.expire(time.Now())
	return s, nil
}

// replay applies the journal records newer than the state file's snapshot.
func (s *Store) replay(dir string) error {
	recs, notes, err := readJournals(dir, s.savedSeq)
	if err != nil {
		return fmt.Errorf("open checkpoint: %w", err)
	}
	for _, n := range notes {
		s.opts.Logger.Warn("checkpoint journal not replayed to its end (a power loss, or saves failing for long); the events of the records left out are sent again", "detail", n)
	}
	s.j.seq = s.savedSeq
	for _, r := range recs {
		switch r.Op {
		case opPut:
			s.entries[r.Entry.Key()] = r.Entry
		case opDelete:
			delete(s.entries, r.Entry.Key())
		}
		s.j.seq = r.Seq
	}
	if len(recs) > 0 {
		s.fresh = false
		s.dirty = true
		s.opts.Logger.Info("checkpoint journal replayed", "records", len(recs))
	}
	return nil
}

// Fresh reports whether there was no state file when the store was opened
// (a first start with this state directory).
func (s *Store) Fresh() bool { return s.fresh }

// Path is the state file's path.
func (s *Store) Path() string { return s.path }

// Lookup returns the stored entry for k.
func (s *Store) Lookup(k Key) (Entry, bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if h, ok := s.live[k]; ok {
		return h.entry(), true
	}
	e, ok := s.entries[k]
	return e, ok
}

// Entries returns a snapshot of every entry (live ones with their acked offset).
func (s *Store) Entries() []Entry {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.snapshotLocked()
}

func (s *Store) snapshotLocked() []Entry {
	out := make([]Entry, 0, len(s.entries))
	for k, e := range s.entries {
		if h, ok := s.live[k]; ok {
			e = h.entry()
		}
		out = append(out, e)
	}
	return out
}

// Track starts following e (its Offset is where acks start) and returns the
// handle through which acks and fingerprint growth arrive. A previous handle
// with the same key is retired: its late acks are ignored.
func (s *Store) Track(e Entry) *Handle {
	h := &Handle{s: s, key: e.Key()}
	e.Updated = nowUnix()
	h.e = e
	h.acked.Store(e.Offset)
	h.saved = e.Offset
	s.jmu.Lock()
	defer s.jmu.Unlock()
	s.mu.Lock()
	if old, ok := s.live[h.key]; ok {
		old.retired.Store(true)
	}
	s.live[h.key] = h
	s.entries[h.key] = e
	s.dirty = true
	s.mu.Unlock()
	s.j.append(opPut, e)
	return h
}

// Save writes the state file if anything changed since the last save, and
// then deletes the journal records it holds.
func (s *Store) Save() error {
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	now := time.Now()
	s.jmu.Lock()
	werr := s.j.werr
	s.j.werr = nil
	s.mu.Lock()
	if s.j.seq != s.savedSeq {
		s.dirty = true
	}
	for k, h := range s.live {
		off := h.acked.Load()
		h.mu.Lock()
		if off != h.saved || h.fpChanged {
			h.e.Offset = off
			h.e.Updated = now.Unix()
			h.saved = off
			h.fpChanged = false
			s.dirty = true
		}
		s.entries[k] = h.e
		h.mu.Unlock()
	}
	if s.expire(now) {
		s.dirty = true
	}
	if !s.dirty {
		s.mu.Unlock()
		s.jmu.Unlock()
		return werr
	}
	snap := s.snapshotLocked()
	s.dirty = false
	s.mu.Unlock()
	// Records from here on go to a new journal file, which this snapshot
	// does not hold.
	seq, rerr := s.j.rotate()
	s.jmu.Unlock()
	data, err := encodeState(snap, seq)
	if err == nil {
		err = fsutil.WriteFileAtomic(s.path, data, 0o640)
	}
	if err != nil {
		s.mu.Lock()
		s.dirty = true
		s.mu.Unlock()
		return fmt.Errorf("save checkpoint: %w", err)
	}
	s.lastSize, s.lastSave = len(data), now
	s.jmu.Lock()
	s.savedSeq = seq
	s.jmu.Unlock()
	if err := removeUpTo(filepath.Dir(s.path), seq); err != nil {
		return fmt.Errorf("save checkpoint: %w", err)
	}
	return errors.Join(werr, rerr)
}

// closeJournal ends the journal after the final save: when that save holds
// every record, no journal file is left behind.
func (s *Store) closeJournal() {
	s.jmu.Lock()
	defer s.jmu.Unlock()
	s.j.close()
	if s.j.seq != s.savedSeq {
		return // records after the save: the next start replays them
	}
	files, err := listJournals(filepath.Dir(s.path))
	if err != nil {
		return
	}
	for _, f := range files {
		os.Remove(f.path)
	}
}

// due reports whether a periodic save may run now.
func (s *Store) due(now time.Time) bool {
	s.saveMu.Lock()
	defer s.saveMu.Unlock()
	return s.lastSize <= largeState || now.Sub(s.lastSave) >= largeStateInterval
}

// expire drops entries no live handle owns that were not updated within
// StaleAfter. It reports whether it dropped any. s.mu must be held.
func (s *Store) expire(now time.Time) bool {
	cut := now.Add(-s.opts.StaleAfter).Unix()
	dropped := false
	for k, e := range s.entries {
		if _, ok := s.live[k]; !ok && e.Updated < cut {
			delete(s.entries, k)
			dropped = true
		}
	}
	return dropped
}

// Run saves every SaveInterval while something changed, until ctx ends; it
// then saves once more and removes the journal. Save errors are logged once
// per distinct message. (Acks need no save to survive a crash: the journal
// holds them.)
func (s *Store) Run(ctx context.Context) error {
	t := time.NewTicker(s.opts.SaveInterval)
	defer t.Stop()
	var last string
	for {
		select {
		case <-ctx.Done():
			err := s.Save()
			if err == nil {
				s.closeJournal()
			}
			return err
		case now := <-t.C:
			if !s.due(now) {
				continue
			}
			if err := s.Save(); err != nil {
				if msg := err.Error(); msg != last {
					s.opts.Logger.Warn("checkpoint save failed; will retry", "err", err)
					last = msg
				}
			} else {
				last = ""
			}
		}
	}
}

// Handle is one followed file's checkpoint. It implements pipeline.Acker.
type Handle struct {
	s       *Store
	key     Key
	acked   atomic.Int64
	retired atomic.Bool

	mu        sync.Mutex
	e         Entry
	saved     int64
	fpChanged bool
}

// Ack records that everything up to offset was acknowledged, in the journal
// before it returns: a crash after Ack does not send those events again.
// Acks arrive in increasing order; a retired handle ignores them.
func (h *Handle) Ack(offset int64) {
	if h.retired.Load() {
		return
	}
	s := h.s
	s.jmu.Lock()
	defer s.jmu.Unlock()
	if h.retired.Load() {
		return
	}
	h.acked.Store(offset)
	s.j.append(opPut, h.entry())
}

// Acked is the acknowledged offset.
func (h *Handle) Acked() int64 { return h.acked.Load() }

// Entry is the handle's current entry.
func (h *Handle) entry() Entry {
	h.mu.Lock()
	defer h.mu.Unlock()
	e := h.e
	e.Offset = h.acked.Load()
	return e
}

// SetFingerprint records a grown fingerprint (and the path the file is now seen at).
func (h *Handle) SetFingerprint(n int, fp, path string) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if h.e.FingerprintLen == n && h.e.Fingerprint == fp && h.e.Path == path {
		return
	}
	h.e.FingerprintLen, h.e.Fingerprint, h.e.Path = n, fp, path
	h.fpChanged = true
}

// Release stops tracking. With remove the entry is deleted (the file is gone
// and fully acknowledged); otherwise it stays, with its last acked offset,
// until it goes stale.
func (h *Handle) Release(remove bool) {
	s := h.s
	s.jmu.Lock()
	defer s.jmu.Unlock()
	s.mu.Lock()
	defer s.mu.Unlock()
	h.retired.Store(true)
	if s.live[h.key] != h {
		return
	}
	delete(s.live, h.key)
	if remove {
		delete(s.entries, h.key)
		s.j.append(opDelete, h.entry())
	} else {
		e := h.entry()
		e.Updated = nowUnix()
		s.entries[h.key] = e
	}
	s.dirty = true
}

// Retired reports whether a newer handle or Release replaced h.
func (h *Handle) Retired() bool { return h.retired.Load() }

// SourceKey builds Entry.Source for the n-th (from 0) collect_list entry
// with this file_path. It leaves out the destination on purpose: group and
// stream names may carry placeholders such as {date} that change between
// runs, and a changed name must not make the agent send a file again.
func SourceKey(pattern string, n int) string {
	if n == 0 {
		return pattern
	}
	return pattern + "#" + strconv.Itoa(n)
}
