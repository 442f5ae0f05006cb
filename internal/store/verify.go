package store

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"errors"
	"fmt"
	"hash"
	"sort"
	"strings"
	"syscall"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

// Problem kinds reported by Verify.
const (
	ProblemChanged  = "changed"  // an event's content, time or order differs from what was accepted
	ProblemRemoved  = "removed"  // accepted events are missing
	ProblemInserted = "inserted" // an event was added outside the API
	ProblemChain    = "chain"    // the hash chain itself was altered
)

// Problem is one integrity violation.
type Problem struct {
	Kind   string
	Group  string
	Stream string
	// From and To are the event timestamps (ms) concerned.
	From, To int64
	Detail   string
}

func (p Problem) String() string {
	return fmt.Sprintf("%s: group %q stream %q, events %s .. %s: %s", p.Kind, p.Group, p.Stream,
		fmtMillis(p.From), fmtMillis(p.To), p.Detail)
}

func fmtMillis(ms int64) string { return time.UnixMilli(ms).UTC().Format("2006-01-02T15:04:05.000Z") }

// Report is the result of Verify.
type Report struct {
	Groups, Streams, Batches, Events int
	// Unchecked counts batches partly removed by retention, whose digest can
	// no longer be checked.
	Unchecked int
	Problems  []Problem
}

// OK reports whether no problem was found.
func (r *Report) OK() bool { return len(r.Problems) == 0 }

// String renders the report for people.
func (r *Report) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "checked %d groups, %d streams, %d batches, %d events", r.Groups, r.Streams, r.Batches, r.Events)
	if r.Unchecked > 0 {
		fmt.Fprintf(&b, " (%d batches partly expired by retention, not checked)", r.Unchecked)
	}
	b.WriteString("\n")
	if r.OK() {
		b.WriteString("integrity: OK\n")
		return b.String()
	}
	fmt.Fprintf(&b, "integrity: %d problems\n", len(r.Problems))
	for _, p := range r.Problems {
		b.WriteString(p.String())
		b.WriteString("\n")
	}
	return b.String()
}

// VerifyDir opens the store in dir read-only and verifies it.
func VerifyDir(ctx context.Context, dir string) (*Report, error) {
	s, err := Open(Options{Dir: dir, ReadOnly: true})
	if errors.Is(err, syscall.EAGAIN) {
		return nil, fmt.Errorf("store is in use by a running server (stop it first): %w", err)
	}
	if err != nil {
		return nil, err
	}
	defer s.Close()
	return s.Verify(ctx)
}

type batchCheck struct {
	rec     chainRecord
	h       hash.Hash
	seen    uint32
	expect  uint64 // next sequence number expected
	missing uint64
	extra   int
	broken  bool
}

// Verify re-reads every stream and checks its events against its hash chain.
func (s *Store) Verify(ctx context.Context) (*Report, error) {
	rep := &Report{}
	s.mu.RLock()
	type item struct {
		g  *group
		st *stream
	}
	var items []item
	known := map[[2]uint64]bool{}
	for _, g := range s.grps {
		rep.Groups++
		for _, st := range g.streams {
			items = append(items, item{g, st})
			known[[2]uint64{g.info.ID, st.rec.ID}] = true
		}
	}
	s.mu.RUnlock()
	sort.Slice(items, func(i, j int) bool {
		if items[i].g.info.Name != items[j].g.info.Name {
			return items[i].g.info.Name < items[j].g.info.Name
		}
		return items[i].st.name < items[j].st.name
	})
	snap := s.db.NewSnapshot()
	defer snap.Close()
	for _, it := range items {
		if err := ctx.Err(); err != nil {
			return rep, err
		}
		it.st.mu.Lock()
		rec := it.st.rec
		it.st.mu.Unlock()
		if err := verifyStream(snap, rep, it.g.info.Name, it.g.info.ID, it.st.name, &rec); err != nil {
			return rep, err
		}
	}
	// Events or chain records of streams that do not exist.
	for _, p := range []byte{prefixEvent, prefixChain} {
		iter, err := snap.NewIter(&pebble.IterOptions{LowerBound: []byte{p}, UpperBound: []byte{p + 1}})
		if err != nil {
			return rep, fmt.Errorf("scan store: %w", err)
		}
		for ok := iter.First(); ok; ok = iter.Next() {
			k := iter.Key()
			if len(k) < streamPrefixLen {
				continue
			}
			id := [2]uint64{binary.BigEndian.Uint64(k[1:]), binary.BigEndian.Uint64(k[9:])}
			if !known[id] {
				var ts int64
				if _, _, t, _, ok := decodeEventKey(k); ok {
					ts = t
				}
				rep.Problems = append(rep.Problems, Problem{Kind: ProblemInserted, Group: fmt.Sprintf("id %d", id[0]),
					Stream: fmt.Sprintf("id %d", id[1]), From: ts, To: ts, Detail: "data of a stream that does not exist"})
				// Skip the rest of this stream.
				iter.SeekGE(prefixEnd(k[:streamPrefixLen]))
				if !iter.Valid() {
					break
				}
				iter.Prev()
			}
		}
		if err := iter.Close(); err != nil {
			return rep, fmt.Errorf("scan store: %w", err)
		}
	}
	return rep, nil
}

func verifyStream(snap *pebble.Snapshot, rep *Report, gname string, gid uint64, sname string, rec *streamRecord) error {
	rep.Streams++
	add := func(kind string, from, to int64, format string, args ...any) {
		rep.Problems = append(rep.Problems, Problem{Kind: kind, Group: gname, Stream: sname, From: from, To: to,
			Detail: fmt.Sprintf(format, args...)})
	}
	// 1. The chain: every link follows from the previous one.
	cp := idPrefix(prefixChain, gid, rec.ID)
	iter, err := snap.NewIter(&pebble.IterOptions{LowerBound: cp, UpperBound: prefixEnd(cp)})
	if err != nil {
		return fmt.Errorf("read chain: %w", err)
	}
	var batches []*batchCheck
	var prev [32]byte
	nextSeq := uint64(1)
	for ok := iter.First(); ok; ok = iter.Next() {
		bc := &batchCheck{h: sha256.New()}
		if err := bc.rec.unmarshal(iter.Value()); err != nil {
			add(ProblemChain, 0, 0, "unreadable chain record: %v", err)
			continue
		}
		r := &bc.rec
		switch {
		case r.Hash != r.link():
			add(ProblemChain, r.MinTs, r.MaxTs, "chain record of batch at sequence %d was altered", r.FirstSeq)
		case r.Prev != prev:
			add(ProblemChain, r.MinTs, r.MaxTs, "chain broken before batch at sequence %d (a batch was removed or replaced)", r.FirstSeq)
		case r.FirstSeq != nextSeq:
			add(ProblemChain, r.MinTs, r.MaxTs, "batch at sequence %d does not follow sequence %d", r.FirstSeq, nextSeq-1)
		}
		prev = r.Hash
		nextSeq = r.FirstSeq + uint64(r.Count)
		batches = append(batches, bc)
	}
	if err := iter.Close(); err != nil {
		return fmt.Errorf("read chain: %w", err)
	}
	if uint64(len(batches)) != rec.Batches || prev != rec.Head || nextSeq != rec.NextSeq {
		var t int64
		if len(batches) > 0 {
			t = batches[len(batches)-1].rec.MaxTs
		}
		add(ProblemChain, t, rec.Last, "chain head does not match the stream (%d of %d batches); batches at the end were removed",
			len(batches), rec.Batches)
	}
	rep.Batches += len(batches)
	find := func(seq uint64) *batchCheck {
		i := sort.Search(len(batches), func(i int) bool { return batches[i].rec.FirstSeq > seq })
		if i == 0 {
			return nil
		}
		b := batches[i-1]
		if seq >= b.rec.FirstSeq+uint64(b.rec.Count) {
			return nil
		}
		return b
	}
	// 2. The events: each belongs to a batch and hashes to its digest.
	ep := idPrefix(prefixEvent, gid, rec.ID)
	iter, err = snap.NewIter(&pebble.IterOptions{LowerBound: ep, UpperBound: prefixEnd(ep)})
	if err != nil {
		return fmt.Errorf("read events: %w", err)
	}
	defer iter.Close()
	var hdr [eventHashHeader]byte
	for ok := iter.First(); ok; ok = iter.Next() {
		rep.Events++
		_, _, ts, seq, kok := decodeEventKey(iter.Key())
		v := iter.Value()
		ing, n := binary.Uvarint(v)
		if !kok || n <= 0 {
			add(ProblemInserted, ts, ts, "malformed event record")
			continue
		}
		b := find(seq)
		if b == nil {
			add(ProblemInserted, ts, ts, "event with sequence %d belongs to no accepted batch", seq)
			continue
		}
		b.seen++
		if b.expect == 0 {
			b.expect = b.rec.FirstSeq
		}
		switch {
		case seq < b.expect:
			b.extra++
			continue
		case seq > b.expect:
			b.missing += seq - b.expect
		}
		b.expect = seq + 1
		if ts < b.rec.MinTs || ts > b.rec.MaxTs || int64(ing) != b.rec.Ingest {
			b.broken = true
		}
		putEventHashHeader(hdr[:], ts, seq, int64(ing), len(v)-n)
		b.h.Write(hdr[:])
		b.h.Write(v[n:])
	}
	if err := iter.Error(); err != nil {
		return fmt.Errorf("read events: %w", err)
	}
	for _, b := range batches {
		r := &b.rec
		if r.MaxTs < rec.PurgedBefore {
			continue // removed by retention
		}
		if r.MinTs < rec.PurgedBefore {
			rep.Unchecked++
			continue
		}
		var sum [32]byte
		b.h.Sum(sum[:0])
		if b.expect == 0 {
			b.expect = r.FirstSeq
		}
		b.missing += r.FirstSeq + uint64(r.Count) - b.expect
		switch {
		case b.missing > 0:
			add(ProblemRemoved, r.MinTs, r.MaxTs, "%d of %d events of the batch ingested at %s are missing",
				b.missing, r.Count, fmtMillis(r.Ingest))
		case b.extra > 0:
			add(ProblemInserted, r.MinTs, r.MaxTs, "%d events were added to the batch ingested at %s",
				b.extra, fmtMillis(r.Ingest))
		case b.broken || !bytes.Equal(sum[:], r.Digest[:]):
			add(ProblemChanged, r.MinTs, r.MaxTs, "events of the batch ingested at %s (sequence %d..%d) differ from what was accepted",
				fmtMillis(r.Ingest), r.FirstSeq, r.FirstSeq+uint64(r.Count)-1)
		}
	}
	return nil
}
