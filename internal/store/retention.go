package store

import (
	"encoding/binary"
	"fmt"
	"time"

	"github.com/cockroachdb/pebble/v2"
)

func (s *Store) retentionLoop(every time.Duration) {
	defer s.bgWG.Done()
	t := time.NewTicker(every)
	defer t.Stop()
	for {
		select {
		case <-s.closing:
			return
		case <-t.C:
			if n, err := s.ExpireNow(); err != nil {
				s.log.Warn("retention pass failed", "err", err)
			} else if n > 0 {
				s.log.Info("retention pass removed events", "events", n)
			}
			if err := s.SaveFilterCounts(); err != nil {
				s.log.Warn("saving filter match counts failed", "err", err)
			}
		}
	}
}

// ExpireNow removes the events that are older than their group's retention,
// with one range delete per stream, and returns how many it removed. Reads hide
// such events already; this reclaims the space and keeps storedBytes accurate.
func (s *Store) ExpireNow() (int, error) {
	type target struct {
		g      *group
		st     *stream
		cutoff int64
	}
	now := s.now().UnixMilli()
	var targets []target
	s.mu.RLock()
	for _, g := range s.grps {
		if g.info.RetentionDays <= 0 {
			continue
		}
		c := now - int64(g.info.RetentionDays)*DayMillis
		for _, st := range g.streams {
			targets = append(targets, target{g, st, c})
		}
	}
	s.mu.RUnlock()
	total := 0
	for _, t := range targets {
		n, err := s.expireStream(t.g, t.st, t.cutoff)
		if err != nil {
			return total, err
		}
		total += n
	}
	return total, nil
}

func (s *Store) expireStream(g *group, st *stream, cutoff int64) (int, error) {
	st.mu.Lock()
	if st.deleted || st.rec.NextSeq == 1 || st.rec.First >= cutoff || st.rec.PurgedBefore >= cutoff {
		st.mu.Unlock()
		return 0, nil
	}
	lower := eventKey(g.info.ID, st.rec.ID, st.rec.PurgedBefore, 0)
	if st.rec.PurgedBefore == 0 {
		lower = idPrefix(prefixEvent, g.info.ID, st.rec.ID)
	}
	upper := eventKey(g.info.ID, st.rec.ID, cutoff, 0)
	it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: lower, UpperBound: upper})
	if err != nil {
		st.mu.Unlock()
		return 0, fmt.Errorf("scan expired events: %w", err)
	}
	var n int
	var bytes int64
	for ok := it.First(); ok; ok = it.Next() {
		v := it.Value()
		_, k := binary.Uvarint(v)
		if k > 0 {
			bytes += int64(len(v) - k)
		}
		n++
	}
	if err := it.Close(); err != nil {
		st.mu.Unlock()
		return 0, fmt.Errorf("scan expired events: %w", err)
	}
	b := s.db.NewBatch()
	_ = b.DeleteRange(lower, upper, nil)
	st.rec.Bytes -= bytes
	st.rec.PurgedBefore = cutoff
	// The first event is now the first one at or after the cutoff.
	sp := idPrefix(prefixEvent, g.info.ID, st.rec.ID)
	if it, err := s.db.NewIter(&pebble.IterOptions{LowerBound: upper, UpperBound: prefixEnd(sp)}); err == nil {
		if it.First() {
			if _, _, ts, _, ok := decodeEventKey(it.Key()); ok {
				st.rec.First = ts
			}
		} else {
			st.rec.First = st.rec.Last
		}
		it.Close()
	}
	_ = b.Set(streamKey(g.info.ID, st.name), st.rec.marshal(), nil)
	g.bytes.Add(-bytes)
	req := s.enqueue(b)
	st.mu.Unlock()
	return n, req.wait()
}
