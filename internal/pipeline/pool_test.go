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
