package store

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"hash"
	"sync"

	"github.com/cockroachdb/pebble/v2"
)

// commitReq is one caller's batch waiting for the committer.
type commitReq struct {
	b    *pebble.Batch
	done chan error
	err  error
}

var reqPool = sync.Pool{New: func() any { return &commitReq{done: make(chan error, 1)} }}

// enqueue hands b to the committer. Callers that need an order between their
// writes (one stream's chain) enqueue while holding the lock that defines it.
func (s *Store) enqueue(b *pebble.Batch) *commitReq {
	r := reqPool.Get().(*commitReq)
	r.b = b
	if p := s.failed.Load(); p != nil {
		r.err = *p
		b.Close()
		r.b = nil
		return r
	}
	s.closeMu.RLock()
	if s.closed {
		s.closeMu.RUnlock()
		r.err = ErrClosed
		b.Close()
		r.b = nil
		return r
	}
	s.commitCh <- r
	s.closeMu.RUnlock()
	return r
}

// wait blocks until the request's batch is durably committed.
func (r *commitReq) wait() error {
	var err error
	if r.err != nil || r.b == nil {
		err = r.err
	} else {
		err = <-r.done
	}
	r.err, r.b = nil, nil
	reqPool.Put(r)
	return err
}

// maxGroupBytes bounds the size of one group commit.
const maxGroupBytes = 32 << 20

// committer merges all queued batches into one and commits it with Sync: one
// fsync acknowledges every caller of the group.
func (s *Store) committer() {
	defer s.commitWG.Done()
	var group []*commitReq
	for {
		var first *commitReq
		select {
		case first = <-s.commitCh:
		case <-s.stopping:
			// Drain what is queued so no caller is left waiting.
			for {
				select {
				case r := <-s.commitCh:
					s.commit([]*commitReq{r})
				default:
					return
				}
			}
		}
		group = append(group[:0], first)
		size := first.b.Len()
	more:
		for size < maxGroupBytes {
			select {
			case r := <-s.commitCh:
				group = append(group, r)
				size += r.b.Len()
			default:
				break more
			}
		}
		s.commit(group)
	}
}

func (s *Store) commit(group []*commitReq) {
	var err error
	if p := s.failed.Load(); p != nil {
		err = *p
	} else {
		b := group[0].b
		for _, r := range group[1:] {
			if err = b.Apply(r.b, nil); err != nil {
				break
			}
		}
		if err == nil {
			err = s.db.Apply(b, pebble.Sync)
		}
		if err != nil {
			err = fmt.Errorf("commit batch: %w", err)
			s.failed.Store(&err)
			s.log.Error("store write failed; refusing further writes", "err", err)
		}
	}
	for _, r := range group {
		r.b.Close()
		r.done <- err
	}
}

// Event is one log event as given to Put.
type Event struct {
	Timestamp int64
	Message   string
}

// PutResult describes a stored batch.
type PutResult struct {
	// FirstSeq is the sequence number of the first stored event.
	FirstSeq uint64
	// IngestionTime is the ingestion time given to the events.
	IngestionTime int64
}

// Put appends events (already validated and in chronological order) to a
// stream and returns once they are durably stored.
func (s *Store) Put(groupName, streamName string, events []Event) (PutResult, error) {
	g, st, err := s.lookup(groupName, streamName)
	if err != nil {
		return PutResult{}, err
	}
	if len(events) == 0 {
		return PutResult{}, nil
	}
	// Size the batch: per event a header (≤ 1+10+10 bytes), the key and the value.
	size := 64 + streamRecordLen + chainRecordLen
	var msgBytes int64
	for i := range events {
		size += 1 + 10 + 10 + eventKeyLen + 10 + len(events[i].Message)
		msgBytes += int64(len(events[i].Message))
	}
	b := s.db.NewBatchWithSize(size)
	h := hashPool.Get().(hash.Hash)
	h.Reset()

	st.mu.Lock()
	if st.deleted {
		st.mu.Unlock()
		b.Close()
		hashPool.Put(h)
		return PutResult{}, ErrStreamNotFound
	}
	now := s.now().UnixMilli()
	if now < st.rec.LastIngest {
		now = st.rec.LastIngest // keep ingestion times monotonic within a stream
	}
	seq0 := st.rec.NextSeq
	var scratch [eventHashHeader]byte
	for i := range events {
		ev := &events[i]
		seq := seq0 + uint64(i)
		op := b.SetDeferred(eventKeyLen, uvarintLen(uint64(now))+len(ev.Message))
		putEventKey(op.Key, g.info.ID, st.rec.ID, ev.Timestamp, seq)
		n := binary.PutUvarint(op.Value, uint64(now))
		copy(op.Value[n:], ev.Message)
		_ = op.Finish()
		putEventHashHeader(scratch[:], ev.Timestamp, seq, now, len(ev.Message))
		h.Write(scratch[:])
		h.Write(op.Value[n:])
	}
	cr := chainRecord{Prev: st.rec.Head, FirstSeq: seq0, Count: uint32(len(events)),
		MinTs: events[0].Timestamp, MaxTs: events[len(events)-1].Timestamp, Ingest: now}
	h.Sum(cr.Digest[:0])
	hashPool.Put(h)
	cr.Hash = cr.link()
	_ = b.Set(chainKey(g.info.ID, st.rec.ID, seq0), cr.marshal(), nil)

	r := &st.rec
	if r.NextSeq == 1 || cr.MinTs < r.First {
		r.First = cr.MinTs
	}
	if r.NextSeq == 1 || cr.MaxTs > r.Last {
		r.Last = cr.MaxTs
	}
	r.LastIngest = now
	r.NextSeq += uint64(len(events))
	r.Batches++
	r.Bytes += msgBytes
	r.Head = cr.Hash
	_ = b.Set(streamKey(g.info.ID, st.name), r.marshal(), nil)
	g.bytes.Add(msgBytes)
	req := s.enqueue(b)
	st.mu.Unlock()
	if err := req.wait(); err != nil {
		return PutResult{}, err
	}
	return PutResult{FirstSeq: seq0, IngestionTime: now}, nil
}

var hashPool = sync.Pool{New: func() any { return sha256.New() }}

func uvarintLen(v uint64) int {
	n := 1
	for v >= 0x80 {
		v >>= 7
		n++
	}
	return n
}

// eventHashHeader is the length of the fixed part hashed before each message.
const eventHashHeader = 8 + 8 + 8 + 4

func putEventHashHeader(dst []byte, ts int64, seq uint64, ingest int64, msgLen int) {
	binary.BigEndian.PutUint64(dst[0:], uint64(ts))
	binary.BigEndian.PutUint64(dst[8:], seq)
	binary.BigEndian.PutUint64(dst[16:], uint64(ingest))
	binary.BigEndian.PutUint32(dst[24:], uint32(msgLen))
}

// chainRecord is one link of a stream's hash chain: one accepted batch.
type chainRecord struct {
	Prev     [32]byte
	Hash     [32]byte
	FirstSeq uint64
	Count    uint32
	MinTs    int64
	MaxTs    int64
	Ingest   int64
	Digest   [32]byte // SHA-256 over the batch's events in sequence order
}

const chainRecordLen = 32 + 32 + 8 + 4 + 8 + 8 + 8 + 32

// link computes the record's chain hash from its other fields.
func (c *chainRecord) link() [32]byte {
	var buf [32 + 8 + 4 + 8 + 8 + 8 + 32]byte
	copy(buf[0:], c.Prev[:])
	binary.BigEndian.PutUint64(buf[32:], c.FirstSeq)
	binary.BigEndian.PutUint32(buf[40:], c.Count)
	binary.BigEndian.PutUint64(buf[44:], uint64(c.MinTs))
	binary.BigEndian.PutUint64(buf[52:], uint64(c.MaxTs))
	binary.BigEndian.PutUint64(buf[60:], uint64(c.Ingest))
	copy(buf[68:], c.Digest[:])
	return sha256.Sum256(buf[:])
}

func (c *chainRecord) marshal() []byte {
	b := make([]byte, chainRecordLen)
	copy(b[0:], c.Prev[:])
	copy(b[32:], c.Hash[:])
	binary.BigEndian.PutUint64(b[64:], c.FirstSeq)
	binary.BigEndian.PutUint32(b[72:], c.Count)
	binary.BigEndian.PutUint64(b[76:], uint64(c.MinTs))
	binary.BigEndian.PutUint64(b[84:], uint64(c.MaxTs))
	binary.BigEndian.PutUint64(b[92:], uint64(c.Ingest))
	copy(b[100:], c.Digest[:])
	return b
}

func (c *chainRecord) unmarshal(b []byte) error {
	if len(b) != chainRecordLen {
		return fmt.Errorf("decode chain record: length %d", len(b))
	}
	copy(c.Prev[:], b[0:])
	copy(c.Hash[:], b[32:])
	c.FirstSeq = binary.BigEndian.Uint64(b[64:])
	c.Count = binary.BigEndian.Uint32(b[72:])
	c.MinTs = int64(binary.BigEndian.Uint64(b[76:]))
	c.MaxTs = int64(binary.BigEndian.Uint64(b[84:]))
	c.Ingest = int64(binary.BigEndian.Uint64(b[92:]))
	copy(c.Digest[:], b[100:])
	return nil
}
