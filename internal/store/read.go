package store

import (
	"container/heap"
	"encoding/binary"
	"fmt"
	"math"
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
	var out []StoredEvent
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
	// GetQuery, MaxScan the number of events examined before the call returns
	// with a cursor (0 = no bound).
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

type filterCursor struct {
	it   *pebble.Iterator
	name string
	sid  uint64
	pos  FilterPosition
	val  []byte // message of the current event
}

type cursorHeap []*filterCursor

func (h cursorHeap) Len() int           { return len(h) }
func (h cursorHeap) Less(i, j int) bool { return h[i].pos.less(h[j].pos) }
func (h cursorHeap) Swap(i, j int)      { h[i], h[j] = h[j], h[i] }
func (h *cursorHeap) Push(x any)        { *h = append(*h, x.(*filterCursor)) }
func (h *cursorHeap) Pop() any {
	old := *h
	x := old[len(old)-1]
	*h = old[:len(old)-1]
	return x
}

// load decodes the iterator's current event into c; false at the end.
func (c *filterCursor) load() bool {
	for c.it.Valid() {
		_, _, ts, seq, ok := decodeEventKey(c.it.Key())
		v := c.it.Value()
		ing, n := binary.Uvarint(v)
		if ok && n > 0 {
			c.pos = FilterPosition{Timestamp: ts, Ingestion: int64(ing), StreamID: c.sid, Seq: seq}
			c.val = v[n:]
			return true
		}
		c.it.Next()
	}
	return false
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
	var streams []*stream
	s.mu.RLock()
	if len(q.Streams) > 0 {
		for _, n := range q.Streams {
			if st, ok := g.streams[n]; ok {
				streams = append(streams, st)
			}
		}
	} else {
		for n, st := range g.streams {
			if len(n) >= len(q.Prefix) && n[:len(q.Prefix)] == q.Prefix {
				streams = append(streams, st)
			}
		}
	}
	s.mu.RUnlock()
	var res FilterResult
	if lo > hi {
		return res, nil
	}
	h := make(cursorHeap, 0, len(streams))
	defer func() {
		for _, c := range h {
			c.it.Close()
		}
	}()
	for _, st := range streams {
		st.mu.Lock()
		empty := st.rec.NextSeq == 1 || st.rec.Last < lo || st.rec.First > hi
		st.mu.Unlock()
		if empty {
			continue
		}
		lower := eventKey(g.info.ID, st.rec.ID, lo, 0)
		upper := eventKey(g.info.ID, st.rec.ID, hi+1, 0)
		it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
		if err != nil {
			return res, fmt.Errorf("read events: %w", err)
		}
		c := &filterCursor{it: it, name: st.name, sid: st.rec.ID}
		it.First()
		if q.After != nil {
			for c.load() && !q.After.less(c.pos) {
				it.Next()
			}
		}
		if !c.load() {
			it.Close()
			continue
		}
		h = append(h, c)
	}
	heap.Init(&h)
	limit := q.Limit
	if limit <= 0 {
		limit = math.MaxInt
	}
	maxBytes := q.MaxBytes
	if maxBytes <= 0 {
		maxBytes = math.MaxInt
	}
	size, scanned := 0, 0
	for len(h) > 0 {
		if len(res.Events) >= limit || (q.MaxScan > 0 && scanned >= q.MaxScan) {
			p := h[0].pos
			// Resume just before the next unexamined event.
			res.Next = &FilterPosition{Timestamp: p.Timestamp, Ingestion: p.Ingestion, StreamID: p.StreamID, Seq: p.Seq - 1}
			if p.Seq == 0 {
				res.Next = nil
			}
			break
		}
		c := h[0]
		scanned++
		msg := unsafe.String(unsafe.SliceData(c.val), len(c.val))
		if q.Match == nil || q.Match(msg) {
			n := len(c.val) + EventOverhead
			if len(res.Events) > 0 && size+n > maxBytes {
				p := c.pos
				res.Next = &FilterPosition{Timestamp: p.Timestamp, Ingestion: p.Ingestion, StreamID: p.StreamID, Seq: p.Seq - 1}
				break
			}
			size += n
			res.Events = append(res.Events, StoredEvent{Stream: c.name, Timestamp: c.pos.Timestamp,
				IngestionTime: c.pos.Ingestion, Seq: c.pos.Seq, StreamID: c.sid, Message: string(c.val)})
		}
		c.it.Next()
		if c.load() {
			heap.Fix(&h, 0)
		} else {
			c.it.Close()
			heap.Pop(&h)
		}
	}
	return res, nil
}
