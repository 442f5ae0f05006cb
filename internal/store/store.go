// Package store is logwarden's embedded, durable log store: the state behind the
// CloudWatch Logs API server (log groups, log streams and their events), kept in
// a Pebble database.
//
// Durability: every write goes through one committer goroutine that merges the
// batches of all concurrent callers into a single Pebble batch and commits it
// with Sync (group commit), so a PutLogEvents is acknowledged only once its
// events are on disk, and many concurrent requests share one fsync.
//
// Layout: events are keyed (group id, stream id, timestamp, sequence), so a
// stream's time range is one range scan; see keys.go. Groups and streams are also
// kept in memory.
//
// Integrity: each accepted batch extends a per-stream SHA-256 hash chain stored
// beside the events; Verify re-reads the store and reports events changed,
// removed or inserted outside the API.
//
// Retention: events older than a group's retention are hidden from reads at
// once and removed by a background pass with range deletes.
package store

import (
	"context"
	"encoding/binary"
	"encoding/json"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"sort"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"github.com/cockroachdb/pebble/v2"
	"github.com/cockroachdb/pebble/v2/sstable/block"
)

// Errors returned by the store; the server maps them to API errors.
var (
	ErrGroupExists    = errors.New("log group already exists")
	ErrGroupNotFound  = errors.New("log group does not exist")
	ErrStreamExists   = errors.New("log stream already exists")
	ErrStreamNotFound = errors.New("log stream does not exist")
	ErrClosed         = errors.New("store closed")
)

const (
	// DayMillis is one day in milliseconds.
	DayMillis = 86_400_000
	// defaultRetentionInterval is how often the background retention pass runs.
	defaultRetentionInterval = time.Minute
	// memTableSize is Pebble's memtable size; large so that group-committed
	// batches of several MiB stay ordinary memtable writes.
	memTableSize = 64 << 20
	// cacheSize is Pebble's block cache size.
	cacheSize = 64 << 20
)

// Options configures Open.
type Options struct {
	// Dir is the database directory; it is created if missing.
	Dir string
	// Logger receives store events; nil discards them.
	Logger *slog.Logger
	// Now returns the current time; nil means time.Now.
	Now func() time.Time
	// RetentionInterval is the period of the background retention pass; 0 means
	// one minute, negative disables the background pass.
	RetentionInterval time.Duration
	// ReadOnly opens the database without writing to it (used by Verify).
	ReadOnly bool
}

// Store is an open store. All methods are safe for concurrent use.
type Store struct {
	db   *pebble.DB
	log  *slog.Logger
	now  func() time.Time
	mu   sync.RWMutex // guards groups and every group's streams map
	grps map[string]*group
	next uint64 // next id, guarded by mu

	commitCh chan *commitReq
	failed   atomic.Pointer[error]
	closing  chan struct{}  // closed by Close: stops the retention loop
	stopping chan struct{}  // closed after it: the committer drains and stops
	bgWG     sync.WaitGroup // retention loop
	commitWG sync.WaitGroup // committer
	closeMu  sync.RWMutex   // senders to commitCh hold it for reading
	closed   bool           // no more sends to commitCh
}

// GroupInfo describes a log group.
type GroupInfo struct {
	Name               string            `json:"name"`
	ID                 uint64            `json:"id"`
	CreationTime       int64             `json:"creationTime"`
	RetentionDays      int32             `json:"retentionDays,omitempty"`
	Class              string            `json:"class,omitempty"`
	KmsKeyID           string            `json:"kmsKeyId,omitempty"`
	DeletionProtection bool              `json:"deletionProtection,omitempty"`
	Tags               map[string]string `json:"tags,omitempty"`
	// StoredBytes is the sum of the UTF-8 bytes of the group's stored messages.
	StoredBytes int64 `json:"-"`
	// MetricFilters is the number of the group's metric filters.
	MetricFilters int `json:"-"`
}

type group struct {
	info    GroupInfo // guarded by Store.mu (except StoredBytes, see bytes)
	streams map[string]*stream
	filters map[filterKey]*savedFilter // guarded by Store.mu
	bytes   atomic.Int64
}

// StreamInfo describes a log stream.
type StreamInfo struct {
	Name              string
	CreationTime      int64
	FirstEventTime    int64
	LastEventTime     int64
	LastIngestionTime int64
	// HasEvents is false until the first event is stored.
	HasEvents bool
	// StoredBytes is the sum of the UTF-8 bytes of the stream's messages.
	StoredBytes int64
}

type stream struct {
	mu      sync.Mutex
	name    string
	gid     uint64
	deleted bool
	rec     streamRecord
}

// streamRecord is the durable state of a stream.
type streamRecord struct {
	ID           uint64
	Created      int64
	First        int64
	Last         int64
	LastIngest   int64
	NextSeq      uint64 // next event sequence number; starts at 1
	Batches      uint64 // number of chain records
	Bytes        int64
	PurgedBefore int64 // events before this timestamp were removed by retention
	Head         [32]byte
}

const streamRecordLen = 8*9 + 32

func (r *streamRecord) marshal() []byte {
	b := make([]byte, streamRecordLen)
	for i, v := range []uint64{r.ID, uint64(r.Created), uint64(r.First), uint64(r.Last),
		uint64(r.LastIngest), r.NextSeq, r.Batches, uint64(r.Bytes), uint64(r.PurgedBefore)} {
		binary.BigEndian.PutUint64(b[8*i:], v)
	}
	copy(b[72:], r.Head[:])
	return b
}

func (r *streamRecord) unmarshal(b []byte) error {
	if len(b) != streamRecordLen {
		return fmt.Errorf("decode stream record: length %d", len(b))
	}
	u := func(i int) uint64 { return binary.BigEndian.Uint64(b[8*i:]) }
	*r = streamRecord{ID: u(0), Created: int64(u(1)), First: int64(u(2)), Last: int64(u(3)),
		LastIngest: int64(u(4)), NextSeq: u(5), Batches: u(6), Bytes: int64(u(7)), PurgedBefore: int64(u(8))}
	copy(r.Head[:], b[72:])
	return nil
}

func (s *stream) info() StreamInfo {
	return StreamInfo{Name: s.name, CreationTime: s.rec.Created, FirstEventTime: s.rec.First,
		LastEventTime: s.rec.Last, LastIngestionTime: s.rec.LastIngest, HasEvents: s.rec.NextSeq > 1,
		StoredBytes: s.rec.Bytes}
}

func pebbleOptions(readOnly bool) *pebble.Options {
	o := &pebble.Options{
		MemTableSize: memTableSize,
		CacheSize:    cacheSize,
		ReadOnly:     readOnly,
		Logger:       quietLogger{},
		// A log store is append-mostly: let L0 and the base level grow larger
		// before compacting, which lowers write amplification.
		L0CompactionThreshold: 8,
		L0StopWritesThreshold: 64,
		LBaseMaxBytes:         256 << 20,
	}
	// Fast compression where data is young (flushes, L0-L1), zstd below, where
	// almost all of a log store's bytes end up.
	o.ApplyCompressionSettings(func() pebble.DBCompressionSettings {
		cs := pebble.UniformDBCompressionSettings(block.GoodCompression)
		cs.Levels[0], cs.Levels[1] = block.FastestCompression, block.FastestCompression
		return cs
	})
	o.EnsureDefaults()
	for i := range o.Levels {
		o.Levels[i].BlockSize = 32 << 10
	}
	return o
}

type quietLogger struct{}

func (quietLogger) Infof(string, ...any)  {}
func (quietLogger) Errorf(string, ...any) {}
func (quietLogger) Fatalf(format string, args ...any) {
	panic(fmt.Sprintf(format, args...))
}

// Open opens (or creates) the store in opts.Dir.
func Open(opts Options) (*Store, error) {
	if opts.Dir == "" {
		return nil, errors.New("open store: no directory")
	}
	if !opts.ReadOnly {
		if err := os.MkdirAll(opts.Dir, 0o700); err != nil {
			return nil, fmt.Errorf("create store directory: %w", err)
		}
	}
	db, err := pebble.Open(opts.Dir, pebbleOptions(opts.ReadOnly))
	if err != nil {
		return nil, fmt.Errorf("open pebble: %w", err)
	}
	s := &Store{db: db, log: opts.Logger, now: opts.Now, grps: map[string]*group{},
		commitCh: make(chan *commitReq, 1024), closing: make(chan struct{}), stopping: make(chan struct{}), next: 1}
	if s.log == nil {
		s.log = slog.New(slog.DiscardHandler)
	}
	if s.now == nil {
		s.now = time.Now
	}
	if err := s.load(); err != nil {
		db.Close()
		return nil, err
	}
	if !opts.ReadOnly {
		s.commitWG.Add(1)
		go s.committer()
		iv := opts.RetentionInterval
		if iv == 0 {
			iv = defaultRetentionInterval
		}
		if iv > 0 {
			s.bgWG.Add(1)
			go s.retentionLoop(iv)
		}
	}
	return s, nil
}

// load reads the groups and streams into memory.
func (s *Store) load() error {
	if v, c, err := s.db.Get(counterKey()); err == nil {
		s.next = binary.BigEndian.Uint64(v)
		c.Close()
	} else if !errors.Is(err, pebble.ErrNotFound) {
		return fmt.Errorf("read id counter: %w", err)
	}
	byID := map[uint64]*group{}
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixGroup}, UpperBound: []byte{prefixGroup + 1}})
	if err != nil {
		return fmt.Errorf("read groups: %w", err)
	}
	for it.First(); it.Valid(); it.Next() {
		g := &group{streams: map[string]*stream{}}
		if err := json.Unmarshal(it.Value(), &g.info); err != nil {
			it.Close()
			return fmt.Errorf("decode group %q: %w", it.Key()[1:], err)
		}
		s.grps[g.info.Name] = g
		byID[g.info.ID] = g
	}
	if err := it.Close(); err != nil {
		return fmt.Errorf("read groups: %w", err)
	}
	if err := s.loadFilters(byID); err != nil {
		return err
	}
	it, err = s.db.NewIter(&pebble.IterOptions{LowerBound: []byte{prefixStream}, UpperBound: []byte{prefixStream + 1}})
	if err != nil {
		return fmt.Errorf("read streams: %w", err)
	}
	defer it.Close()
	for it.First(); it.Valid(); it.Next() {
		k := it.Key()
		if len(k) < 9 {
			continue
		}
		gid := binary.BigEndian.Uint64(k[1:])
		g := byID[gid]
		if g == nil {
			continue
		}
		st := &stream{name: string(k[9:]), gid: gid}
		if err := st.rec.unmarshal(it.Value()); err != nil {
			return fmt.Errorf("stream %q: %w", st.name, err)
		}
		g.streams[st.name] = st
		g.bytes.Add(st.rec.Bytes)
	}
	return nil
}

// Close stops the background work and closes the database.
func (s *Store) Close() error {
	s.closeMu.Lock()
	if s.closed {
		s.closeMu.Unlock()
		return nil
	}
	close(s.closing)
	s.closeMu.Unlock()
	s.bgWG.Wait() // the retention loop may still be committing
	if err := s.SaveFilterCounts(); err != nil {
		s.log.Warn("saving filter match counts failed", "err", err)
	}
	s.closeMu.Lock()
	s.closed = true // from here no one sends to commitCh
	s.closeMu.Unlock()
	close(s.stopping)
	s.commitWG.Wait()
	if err := s.db.Close(); err != nil {
		return fmt.Errorf("close pebble: %w", err)
	}
	return nil
}

// DiskUsage returns the bytes the database occupies on disk.
func (s *Store) DiskUsage() uint64 {
	m := s.db.Metrics()
	return m.DiskSpaceUsage()
}

// Flush flushes the memtable to sstables (used by tests and benchmarks).
func (s *Store) Flush() error { return s.db.Flush() }

// Compact compacts the whole key space (used by tests and benchmarks).
func (s *Store) Compact() error {
	return s.db.Compact(context.Background(), []byte{0}, []byte{0xff}, true)
}

// allocID returns a new id; the caller holds s.mu and writes the counter in b.
func (s *Store) allocID(b *pebble.Batch) uint64 {
	id := s.next
	s.next++
	var v [8]byte
	binary.BigEndian.PutUint64(v[:], s.next)
	_ = b.Set(counterKey(), v[:], nil)
	return id
}

// GroupSpec is what CreateGroup needs.
type GroupSpec struct {
	Name               string
	Class              string
	KmsKeyID           string
	DeletionProtection bool
	Tags               map[string]string
}

// CreateGroup creates a log group.
func (s *Store) CreateGroup(spec GroupSpec) error {
	s.mu.Lock()
	if _, ok := s.grps[spec.Name]; ok {
		s.mu.Unlock()
		return ErrGroupExists
	}
	b := s.db.NewBatch()
	g := &group{streams: map[string]*stream{}, info: GroupInfo{
		Name: spec.Name, ID: s.allocID(b), CreationTime: s.now().UnixMilli(), Class: spec.Class,
		KmsKeyID: spec.KmsKeyID, DeletionProtection: spec.DeletionProtection, Tags: copyTags(spec.Tags),
	}}
	if g.info.Class == "" {
		g.info.Class = "STANDARD"
	}
	s.setGroup(b, &g.info)
	s.grps[spec.Name] = g
	req := s.enqueue(b)
	s.mu.Unlock()
	return req.wait()
}

func copyTags(t map[string]string) map[string]string {
	if len(t) == 0 {
		return nil
	}
	c := make(map[string]string, len(t))
	for k, v := range t {
		c[k] = v
	}
	return c
}

func (s *Store) setGroup(b *pebble.Batch, gi *GroupInfo) {
	v, _ := json.Marshal(gi)
	_ = b.Set(groupKey(gi.Name), v, nil)
}

// DeleteGroup deletes a log group with its streams and events.
func (s *Store) DeleteGroup(name string) error {
	s.mu.Lock()
	g, ok := s.grps[name]
	if !ok {
		s.mu.Unlock()
		return ErrGroupNotFound
	}
	delete(s.grps, name)
	b := s.db.NewBatch()
	_ = b.Delete(groupKey(name), nil)
	for _, p := range []byte{prefixStream, prefixEvent, prefixChain, prefixFilter} {
		start := idPrefix(p, g.info.ID)
		_ = b.DeleteRange(start, prefixEnd(start), nil)
	}
	for _, st := range g.streams {
		st.mu.Lock()
		st.deleted = true
		st.mu.Unlock()
	}
	req := s.enqueue(b)
	s.mu.Unlock()
	return req.wait()
}

// Group returns a log group's description.
func (s *Store) Group(name string) (GroupInfo, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	g, ok := s.grps[name]
	if !ok {
		return GroupInfo{}, ErrGroupNotFound
	}
	return g.snapshot(), nil
}

func (g *group) snapshot() GroupInfo {
	gi := g.info
	gi.Tags = copyTags(g.info.Tags)
	gi.StoredBytes = g.bytes.Load()
	gi.MetricFilters = g.filterCount(KindMetric)
	return gi
}

// Groups returns all log groups whose name starts with prefix, in byte order
// of their names.
func (s *Store) Groups(prefix string) []GroupInfo {
	s.mu.RLock()
	out := make([]GroupInfo, 0, len(s.grps))
	for name, g := range s.grps {
		if strings.HasPrefix(name, prefix) {
			out = append(out, g.snapshot())
		}
	}
	s.mu.RUnlock()
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// UpdateGroup applies fn to a copy of the group's description and stores the
// result (retention, tags). fn may return an error to abort.
func (s *Store) UpdateGroup(name string, fn func(*GroupInfo) error) error {
	s.mu.Lock()
	g, ok := s.grps[name]
	if !ok {
		s.mu.Unlock()
		return ErrGroupNotFound
	}
	gi := g.info
	gi.Tags = copyTags(g.info.Tags)
	if err := fn(&gi); err != nil {
		s.mu.Unlock()
		return err
	}
	gi.Name, gi.ID, gi.CreationTime = g.info.Name, g.info.ID, g.info.CreationTime
	g.info = gi
	b := s.db.NewBatch()
	s.setGroup(b, &gi)
	req := s.enqueue(b)
	s.mu.Unlock()
	return req.wait()
}

// CreateStream creates a log stream in a group.
func (s *Store) CreateStream(groupName, name string) error {
	s.mu.Lock()
	g, ok := s.grps[groupName]
	if !ok {
		s.mu.Unlock()
		return ErrGroupNotFound
	}
	if _, ok := g.streams[name]; ok {
		s.mu.Unlock()
		return ErrStreamExists
	}
	b := s.db.NewBatch()
	st := &stream{name: name, gid: g.info.ID}
	st.rec = streamRecord{ID: s.allocID(b), Created: s.now().UnixMilli(), NextSeq: 1}
	_ = b.Set(streamKey(g.info.ID, name), st.rec.marshal(), nil)
	g.streams[name] = st
	req := s.enqueue(b)
	s.mu.Unlock()
	return req.wait()
}

// DeleteStream deletes a log stream and its events.
func (s *Store) DeleteStream(groupName, name string) error {
	s.mu.Lock()
	g, ok := s.grps[groupName]
	if !ok {
		s.mu.Unlock()
		return ErrGroupNotFound
	}
	st, ok := g.streams[name]
	if !ok {
		s.mu.Unlock()
		return ErrStreamNotFound
	}
	delete(g.streams, name)
	st.mu.Lock()
	st.deleted = true
	g.bytes.Add(-st.rec.Bytes)
	b := s.db.NewBatch()
	_ = b.Delete(streamKey(g.info.ID, name), nil)
	for _, p := range []byte{prefixEvent, prefixChain} {
		start := idPrefix(p, g.info.ID, st.rec.ID)
		_ = b.DeleteRange(start, prefixEnd(start), nil)
	}
	req := s.enqueue(b)
	st.mu.Unlock()
	s.mu.Unlock()
	return req.wait()
}

// Streams returns the streams of a group whose names start with prefix, in
// byte order of their names.
func (s *Store) Streams(groupName, prefix string) ([]StreamInfo, error) {
	s.mu.RLock()
	g, ok := s.grps[groupName]
	if !ok {
		s.mu.RUnlock()
		return nil, ErrGroupNotFound
	}
	list := make([]*stream, 0, len(g.streams))
	for name, st := range g.streams {
		if strings.HasPrefix(name, prefix) {
			list = append(list, st)
		}
	}
	s.mu.RUnlock()
	out := make([]StreamInfo, len(list))
	for i, st := range list {
		st.mu.Lock()
		out[i] = st.info()
		st.mu.Unlock()
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out, nil
}

// lookup returns the group and stream, or the matching not-found error.
func (s *Store) lookup(groupName, streamName string) (*group, *stream, error) {
	s.mu.RLock()
	defer s.mu.RUnlock()
	g, ok := s.grps[groupName]
	if !ok {
		return nil, nil, ErrGroupNotFound
	}
	if streamName == "" {
		return g, nil, nil
	}
	st, ok := g.streams[streamName]
	if !ok {
		return g, nil, ErrStreamNotFound
	}
	return g, st, nil
}

// CheckStream returns ErrGroupNotFound or ErrStreamNotFound unless the stream exists.
func (s *Store) CheckStream(groupName, streamName string) error {
	_, _, err := s.lookup(groupName, streamName)
	return err
}
