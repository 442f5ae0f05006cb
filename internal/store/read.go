package store

import (
	"encoding/binary"
	"fmt"
	"math"
	"runtime"
	"sort"
	"strings"
	"sync"
	"unsafe"

	"github.com/cockroachdb/pebble/v2"
)

// StoredEvent is an event read back from the store.
type StoredEvent struct {
	Stream        string // set by Filter only
	Timestamp     int64
	IngestionTime int64
	Seq           uint64
	StreamID      uint64
	Message       string
}

// Position is a point in one stream's (timestamp, sequence) order. Sequence
// numbers start at 1, so {T, 0} lies before every event with timestamp T.
type Position struct {
	Timestamp int64
	Seq       uint64
}

// Less orders positions.
func (p Position) Less(q Position) bool {
	return p.Timestamp < q.Timestamp || p.Timestamp == q.Timestamp && p.Seq < q.Seq
}

// GetQuery selects events of one stream.
type GetQuery struct {
	// Start (inclusive) and End (exclusive) bound the timestamps; End 0 means none.
	Start, End int64
	// After, when set, returns events after this position (forward paging).
	After *Position
	// Before, when set, returns events before this position (backward paging).
	Before *Position
	// Backward returns the last events of the range instead of the first.
	Backward bool
	// Limit is the maximum number of events; MaxBytes bounds the sum of
	// message bytes plus 26 per event (the first event is always returned).
	Limit, MaxBytes int
}

// EventOverhead is what CloudWatch counts per event on top of the message bytes.
const EventOverhead = 26

// maxGetPrealloc bounds the events Get allocates room for up front (a
// GetLogEvents or Insights page is at most 10,000 events).
const maxGetPrealloc = 10_000

// cutoff returns the oldest visible timestamp of a group (retention).
func (s *Store) cutoff(g *group) int64 {
	s.mu.RLock()
	days := g.info.RetentionDays
	s.mu.RUnlock()
	if days <= 0 {
		return math.MinInt64
	}
	return s.now().UnixMilli() - int64(days)*DayMillis
}

// Get returns events of one stream in ascending order.
func (s *Store) Get(groupName, streamName string, q GetQuery) ([]StoredEvent, error) {
	return s.GetInto(nil, groupName, streamName, q)
}

// GetInto is Get reusing the storage of buf, so that a reader paging through
// a stream can keep one slice (Logs Insights does); buf's contents are
// overwritten. The messages are new strings each time. When buf is too small
// the result is allocated once, sized for the page.
func (s *Store) GetInto(buf []StoredEvent, groupName, streamName string, q GetQuery) ([]StoredEvent, error) {
	g, st, err := s.lookup(groupName, streamName)
	if err != nil {
		return nil, err
	}
	lo, hi := q.Start, q.End
	if c := s.cutoff(g); lo < c {
		lo = c
	}
	if hi == 0 {
		hi = math.MaxInt64
	}
	if lo >= hi {
		return nil, nil
	}
	sid := st.rec.ID // immutable
	lower := eventKey(g.info.ID, sid, lo, 0)
	upper := eventKey(g.info.ID, sid, hi, 0)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		return nil, fmt.Errorf("read events: %w", err)
	}
	defer it.Close()
	limit := q.Limit
	if limit <= 0 {
		limit = math.MaxInt
	}
	maxBytes := q.MaxBytes
	if maxBytes <= 0 {
		maxBytes = math.MaxInt
	}
	// Size the result once: at most limit events, no more than the stream
	// ever held, and no more than fit in maxBytes. Growing the slice by
	// doubling cost a quarter of a Logs Insights scan.
	st.mu.Lock()
	held := st.rec.NextSeq - 1
	st.mu.Unlock()
	capHint := min(uint64(limit), held, uint64(maxBytes/EventOverhead)+1, maxGetPrealloc)
	out := buf[:0]
	if uint64(cap(out)) < capHint {
		out = make([]StoredEvent, 0, capHint)
	}
	size := 0
	take := func() bool {
		_, _, ts, seq, ok := decodeEventKey(it.Key())
		if !ok {
			return true
		}
		v := it.Value()
		ing, n := binary.Uvarint(v)
		if n <= 0 {
			return true
		}
		if len(out) > 0 && size+len(v)-n+EventOverhead > maxBytes {
			return false
		}
		size += len(v) - n + EventOverhead
		out = append(out, StoredEvent{Timestamp: ts, Seq: seq, IngestionTime: int64(ing),
			StreamID: sid, Message: string(v[n:])})
		return len(out) < limit
	}
	backward := q.Before != nil || (q.After == nil && q.Backward)
	if !backward {
		ok := it.First()
		if q.After != nil {
			ok = it.SeekGE(eventKey(g.info.ID, sid, q.After.Timestamp, q.After.Seq+1))
		}
		for ; ok && take(); ok = it.Next() {
		}
		return out, it.Error()
	}
	ok := it.Last()
	if q.Before != nil {
		ok = it.SeekLT(eventKey(g.info.ID, sid, q.Before.Timestamp, q.Before.Seq))
	}
	for ; ok && take(); ok = it.Prev() {
	}
	for i, j := 0, len(out)-1; i < j; i, j = i+1, j-1 {
		out[i], out[j] = out[j], out[i]
	}
	return out, it.Error()
}

// FilterPosition is a point in the interleaved order of FilterLogEvents:
// (timestamp, ingestion time, stream id, sequence).
type FilterPosition struct {
	Timestamp int64
	Ingestion int64
	StreamID  uint64
	Seq       uint64
}

func (p FilterPosition) less(q FilterPosition) bool {
	switch {
	case p.Timestamp != q.Timestamp:
		return p.Timestamp < q.Timestamp
	case p.Ingestion != q.Ingestion:
		return p.Ingestion < q.Ingestion
	case p.StreamID != q.StreamID:
		return p.StreamID < q.StreamID
	}
	return p.Seq < q.Seq
}

// FilterQuery selects events across streams of one group.
type FilterQuery struct {
	// Streams names the streams to search; when empty, every stream whose name
	// starts with Prefix is searched.
	Streams []string
	Prefix  string
	// Start and End bound timestamps, both inclusive; End 0 means none.
	Start, End int64
	// After resumes after this position.
	After *FilterPosition
	// Limit is the maximum number of matching events, MaxBytes their size as in
	// GetQuery, MaxScan the number of events examined per stream before the
	// call returns with a cursor (0 = no bound).
	Limit, MaxBytes, MaxScan int
	// Match reports whether a message is wanted; nil takes every event. The
	// string is only valid during the call.
	Match func(message string) bool
}

// FilterResult is a page of Filter.
type FilterResult struct {
	Events []StoredEvent
	// Next is where to resume; nil when the search is complete.
	Next *FilterPosition
}

// Filter returns matching events across streams, interleaved by (timestamp,
// ingestion time, stream, sequence).
func (s *Store) Filter(groupName string, q FilterQuery) (FilterResult, error) {
	g, _, err := s.lookup(groupName, "")
	if err != nil {
		return FilterResult{}, err
	}
	lo, hi := q.Start, q.End
	if c := s.cutoff(g); lo < c {
		lo = c
	}
	if hi == 0 || hi == math.MaxInt64 {
		hi = math.MaxInt64 - 1
	}
	if q.After != nil && q.After.Timestamp > lo {
		lo = q.After.Timestamp
	}
	var res FilterResult
	if lo > hi {
		return res, nil
	}
	type target struct {
		name string
		sid  uint64
	}
	var targets []target
	s.mu.RLock()
	pick := func(st *stream) {
		st.mu.Lock()
		empty := st.rec.NextSeq == 1 || st.rec.Last < lo || st.rec.First > hi
		st.mu.Unlock()
		if !empty {
			targets = append(targets, target{st.name, st.rec.ID})
		}
	}
	if len(q.Streams) > 0 {
		for _, n := range q.Streams {
			if st, ok := g.streams[n]; ok {
				pick(st)
			}
		}
	} else {
		for n, st := range g.streams {
			if strings.HasPrefix(n, q.Prefix) {
				pick(st)
			}
		}
	}
	s.mu.RUnlock()
	limit := q.Limit
	if limit <= 0 {
		limit = math.MaxInt
	}
	maxBytes := q.MaxBytes
	if maxBytes <= 0 {
		maxBytes = math.MaxInt
	}
	// Scan the streams in parallel; each stops after limit matches (or
	// maxBytes, or MaxScan examined events) and reports how far it got. With
	// many streams each gets a smaller byte budget, which bounds memory; the
	// page may then be shorter, never wrong (see the cutoff below).
	streamBytes := maxBytes
	if n := len(targets); n > parallelStreams && maxBytes != math.MaxInt {
		streamBytes = max(maxBytes/n*parallelStreams, minStreamBytes)
	}
	scans := make([]streamScan, len(targets))
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	var wg sync.WaitGroup
	for i, t := range targets {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			scans[i] = s.scanStream(g.info.ID, t.name, t.sid, lo, hi, q.After, limit, streamBytes, q.MaxScan, q.Match)
		}()
	}
	wg.Wait()
	n := 0
	for i := range scans {
		n += len(scans[i].matches)
	}
	all := make([]StoredEvent, 0, n)
	res.Events = make([]StoredEvent, 0, min(n, limit))
	var cutoff *FilterPosition
	for i := range scans {
		sc := &scans[i]
		if sc.err != nil {
			return res, sc.err
		}
		all = append(all, sc.matches...)
		if !sc.exhausted && (cutoff == nil || sc.frontier.less(*cutoff)) {
			f := sc.frontier
			cutoff = &f
		}
	}
	sort.Slice(all, func(i, j int) bool { return posOf(&all[i]).less(posOf(&all[j])) })
	size := 0
	for i := range all {
		e := &all[i]
		p := posOf(e)
		if cutoff != nil && cutoff.less(p) {
			break
		}
		n := len(e.Message) + EventOverhead
		if len(res.Events) >= limit || (len(res.Events) > 0 && size+n > maxBytes) {
			last := posOf(&res.Events[len(res.Events)-1])
			res.Next = &last
			return res, nil
		}
		size += n
		res.Events = append(res.Events, *e)
	}
	res.Next = cutoff
	return res, nil
}

const (
	// parallelStreams is the number of streams of a Filter that each get the
	// whole byte budget.
	parallelStreams = 8
	// minStreamBytes is the smallest byte budget of one stream in a Filter.
	minStreamBytes = 64 << 10
)

func posOf(e *StoredEvent) FilterPosition {
	return FilterPosition{Timestamp: e.Timestamp, Ingestion: e.IngestionTime, StreamID: e.StreamID, Seq: e.Seq}
}

// streamScan is one stream's part of a Filter.
type streamScan struct {
	matches   []StoredEvent
	exhausted bool           // the stream's range was read to its end
	frontier  FilterPosition // the last event examined
	err       error
}

func (s *Store) scanStream(gid uint64, name string, sid uint64, lo, hi int64, after *FilterPosition,
	limit, maxBytes, maxScan int, match func(string) bool) (sc streamScan) {
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: eventKey(gid, sid, lo, 0), UpperBound: eventKey(gid, sid, hi+1, 0)})
	if err != nil {
		sc.err = fmt.Errorf("read events: %w", err)
		return sc
	}
	defer it.Close()
	scanned, size := 0, 0
	for ok := it.First(); ok; ok = it.Next() {
		_, _, ts, seq, kok := decodeEventKey(it.Key())
		v := it.Value()
		ing, n := binary.Uvarint(v)
		if !kok || n <= 0 {
			continue
		}
		pos := FilterPosition{Timestamp: ts, Ingestion: int64(ing), StreamID: sid, Seq: seq}
		if after != nil && !after.less(pos) {
			continue
		}
		sc.frontier = pos
		scanned++
		msg := v[n:]
		if match == nil || match(unsafe.String(unsafe.SliceData(msg), len(msg))) {
			sc.matches = append(sc.matches, StoredEvent{Stream: name, Timestamp: ts, IngestionTime: int64(ing),
				Seq: seq, StreamID: sid, Message: string(msg)})
			size += len(msg) + EventOverhead
			if len(sc.matches) >= limit || size >= maxBytes {
				return sc
			}
		}
		if maxScan > 0 && scanned >= maxScan {
			return sc
		}
	}
	if err := it.Error(); err != nil {
		sc.err = fmt.Errorf("read events: %w", err)
		return sc
	}
	sc.exhausted = true
	return sc
}
