package pipeline

import (
	"context"
	"fmt"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/logwarden/logwarden/internal/cloudwatch"
)

// TestPipeline_ConcurrencyIsSharedPool checks logs.concurrency as the
// CloudWatch Agent reads it: with N > 1 at most N batches are in flight
// across all destinations; with 1 each destination has its own one.
func TestPipeline_ConcurrencyIsSharedPool(t *testing.T) {
	const dests, perDest = 6, 12
	for _, tc := range []struct {
		concurrency int
		want        int64 // most batches in flight at once
	}{
		{1, dests},
		{2, 2},
		{4, 4},
	} {
		t.Run(fmt.Sprint("concurrency=", tc.concurrency), func(t *testing.T) {
			var now, most atomic.Int64
			fc := newFakeClient(t)
			fc.put = func(string, string, []cloudwatch.Event) (cloudwatch.Rejected, error) {
				n := now.Add(1)
				for {
					m := most.Load()
					if n <= m || most.CompareAndSwap(m, n) {
						break
					}
				}
				time.Sleep(5 * time.Millisecond) // long enough for the others to pile up
				now.Add(-1)
				return cloudwatch.Rejected{}, nil
			}
			opts := quick()
			opts.Concurrency = tc.concurrency
			p := New(fc, opts)
			acks := make([]*ackLog, dests)
			for i := range acks {
				acks[i] = newAckLog(t, fmt.Sprint("src", i))
			}
			// Messages of 300 KiB fill a batch every three events, so every
			// destination has full batches waiting to be sent at once.
			msg := strings.Repeat("x", 300<<10)
			var wg sync.WaitGroup
			for i := range dests {
				wg.Go(func() {
					dst := Destination{Group: "g", Stream: fmt.Sprint("s", i)}
					for j := 1; j <= perDest; j++ {
						ev := Event{Timestamp: baseTs + int64(j), Message: fmt.Sprintf("%s d%d e%d", msg, i, j), Acker: acks[i], Offset: int64(j)}
						if err := p.Put(context.Background(), dst, ev); err != nil {
							t.Error(err)
							return
						}
					}
				})
			}
			wg.Wait()
			flush(t, p)
			for _, a := range acks {
				if a.last() != perDest {
					t.Errorf("%s: last ack %d, want %d", a.name, a.last(), perDest)
				}
			}
			if got := len(fc.allEvents()); got != dests*perDest {
				t.Errorf("sent %d events, want %d", got, dests*perDest)
			}
			if m := most.Load(); m > tc.want {
				t.Errorf("%d batches in flight at once, want at most %d", m, tc.want)
			}
			if tc.concurrency > 1 && most.Load() < 2 {
				t.Errorf("never more than %d batch in flight: the pool does not run batches side by side", most.Load())
			}
			closeP(t, p)
		})
	}
}

// slowAcker takes a while to record an ack, as a checkpoint journal write
// does, so that a batch sent before the previous acks returned is caught.
type slowAcker struct{ acked atomic.Int64 }

func (a *slowAcker) Ack(off int64) {
	time.Sleep(200 * time.Microsecond)
	a.acked.Store(off)
}

// TestPipeline_NextBatchAfterAcks checks the crash bound: a destination
// sends its next batch only after the acks of the previous one returned, so
// a kill repeats at most the batch in flight.
func TestPipeline_NextBatchAfterAcks(t *testing.T) {
	const events = 90
	pad := strings.Repeat("x", 300<<10) // three events fill a batch
	acker := &slowAcker{}
	fc := newFakeClient(t)
	fc.put = func(_, _ string, evs []cloudwatch.Event) (cloudwatch.Rejected, error) {
		var first int64
		if _, err := fmt.Sscanf(evs[0].Message, "o=%d", &first); err != nil {
			t.Errorf("message %q: %v", evs[0].Message, err)
		}
		if got := acker.acked.Load(); got != first-1 {
			t.Errorf("batch starting at %d sent with acks at %d: the previous batch's acks had not returned", first, got)
		}
		return cloudwatch.Rejected{}, nil
	}
	p := New(fc, quick())
	for i := int64(1); i <= events; i++ {
		if err := p.Put(context.Background(), testDest, Event{Timestamp: baseTs + i, Message: fmt.Sprintf("o=%d %s", i, pad), Acker: acker, Offset: i}); err != nil {
			t.Fatal(err)
		}
	}
	flush(t, p)
	if got := acker.acked.Load(); got != events {
		t.Errorf("last ack %d, want %d", got, events)
	}
	if n := len(fc.batches); n < 10 {
		t.Errorf("only %d batches: the test needs many to mean anything", n)
	}
	closeP(t, p)
}
