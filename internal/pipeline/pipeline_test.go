package pipeline

import (
	"context"
	"errors"
	"fmt"
	"math/rand/v2"
	"net"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/logwarden/logwarden/internal/cloudwatch"
)

var testDest = Destination{Group: "/app/web", Stream: "host-1"}

// The agent calls the pipeline through this interface (internal/agent.Sink, BatchSink).
var _ interface {
	Put(ctx context.Context, dest Destination, ev Event) error
	Flush(ctx context.Context) error
	PutBatch(ctx context.Context, dest Destination, evs []Event) (int, error)
} = (*Pipeline)(nil)

const baseTs = int64(1_795_000_000_000)

// quick returns options for tests: fast retries, long flush interval (the
// tests flush explicitly unless they test the timer).
func quick() Options {
	return Options{FlushInterval: time.Hour, RetryInitial: time.Millisecond, ThrottleInitial: time.Millisecond, RetryMax: 5 * time.Millisecond}
}

func putAll(t *testing.T, p *Pipeline, dst Destination, evs []Event) {
	t.Helper()
	for _, ev := range evs {
		if err := p.Put(context.Background(), dst, ev); err != nil {
			t.Fatalf("Put: %v", err)
		}
	}
}

func flush(t *testing.T, p *Pipeline) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := p.Flush(ctx); err != nil {
		t.Fatalf("Flush: %v", err)
	}
}

func closeP(t *testing.T, p *Pipeline) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	if err := p.Close(ctx); err != nil {
		t.Errorf("Close: %v", err)
	}
}

func TestPipeline_BatchLimits(t *testing.T) {
	big := strings.Repeat("x", 100_000)
	tests := []struct {
		name  string
		evs   func(a Acker) []Event
		sizes []int // events per batch, in order
	}{
		{"count", func(a Acker) []Event {
			evs := make([]Event, MaxBatchEvents+1)
			for i := range evs {
				evs[i] = Event{Timestamp: baseTs, Message: "m", Acker: a, Offset: int64(i + 1)}
			}
			return evs
		}, []int{MaxBatchEvents, 1}},
		{"bytes", func(a Acker) []Event {
			// 10 x (100,000+26) fit in 1,048,576; the 11th does not.
			evs := make([]Event, 11)
			for i := range evs {
				evs[i] = Event{Timestamp: baseTs, Message: big, Acker: a, Offset: int64(i + 1)}
			}
			return evs
		}, []int{10, 1}},
		{"span", func(a Acker) []Event {
			return []Event{
				{Timestamp: baseTs, Message: "a", Acker: a, Offset: 1},
				{Timestamp: baseTs + MaxBatchSpan - 1, Message: "b", Acker: a, Offset: 2},
				{Timestamp: baseTs + MaxBatchSpan, Message: "c", Acker: a, Offset: 3},
				{Timestamp: baseTs + MaxBatchSpan + 5, Message: "d", Acker: a, Offset: 4},
			}
		}, []int{2, 2}},
		{"span backwards", func(a Acker) []Event {
			return []Event{
				{Timestamp: baseTs, Message: "a", Acker: a, Offset: 1},
				{Timestamp: baseTs - MaxBatchSpan, Message: "b", Acker: a, Offset: 2},
			}
		}, []int{1, 1}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fc := newFakeClient(t)
			p := New(fc, quick())
			acks := newAckLog(t, "src")
			evs := tt.evs(acks)
			putAll(t, p, testDest, evs)
			flush(t, p)
			var got []int
			for _, b := range fc.sentBatches() {
				got = append(got, len(b.events))
			}
			if fmt.Sprint(got) != fmt.Sprint(tt.sizes) {
				t.Errorf("batch sizes = %v, want %v", got, tt.sizes)
			}
			if last := acks.last(); last != int64(len(evs)) {
				t.Errorf("last ack = %d, want %d", last, len(evs))
			}
			closeP(t, p)
		})
	}
}

func TestPipeline_SortsStably(t *testing.T) {
	fc := newFakeClient(t)
	p := New(fc, quick())
	evs := []Event{
		{Timestamp: baseTs + 30, Message: "c"},
		{Timestamp: baseTs + 10, Message: "a1"},
		{Timestamp: baseTs + 20, Message: "b"},
		{Timestamp: baseTs + 10, Message: "a2"},
	}
	putAll(t, p, testDest, evs)
	flush(t, p)
	var got []string
	for _, e := range fc.allEvents() {
		got = append(got, e.Message)
	}
	if want := "a1 a2 b c"; strings.Join(got, " ") != want {
		t.Errorf("order = %q, want %q", strings.Join(got, " "), want)
	}
	closeP(t, p)
}

func TestTruncate(t *testing.T) {
	tests := []struct {
		name string
		msg  string
	}{
		{"ascii", strings.Repeat("a", MaxEventBytes+10)},
		{"multibyte boundary", strings.Repeat("한", MaxEventBytes/3+100)},
		{"exact", strings.Repeat("b", MaxEventBytes)},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := Truncate(tt.msg)
			if len(got) > MaxEventBytes {
				t.Errorf("len = %d, want <= %d", len(got), MaxEventBytes)
			}
			if !utf8.ValidString(got) {
				t.Errorf("result is not valid UTF-8")
			}
			if len(tt.msg) <= MaxEventBytes {
				if got != tt.msg {
					t.Errorf("short message changed")
				}
				return
			}
			if !strings.HasSuffix(got, TruncatedMarker) {
				t.Errorf("missing marker")
			}
			if !strings.HasPrefix(tt.msg, strings.TrimSuffix(got, TruncatedMarker)) {
				t.Errorf("kept part is not a prefix")
			}
		})
	}
}

func TestPipeline_TruncatesAndSkipsEmpty(t *testing.T) {
	fc := newFakeClient(t)
	p := New(fc, quick())
	acks := newAckLog(t, "src")
	putAll(t, p, testDest, []Event{
		{Timestamp: baseTs, Message: strings.Repeat("z", MaxEventBytes+1), Acker: acks, Offset: 1},
		{Timestamp: baseTs, Message: "", Acker: acks, Offset: 2},
	})
	flush(t, p)
	evs := fc.allEvents()
	if len(evs) != 1 || !strings.HasSuffix(evs[0].Message, TruncatedMarker) {
		t.Fatalf("sent %d events, want 1 truncated", len(evs))
	}
	st := p.Stats()
	if st.Truncated != 1 || st.EmptySkipped != 1 {
		t.Errorf("Truncated=%d EmptySkipped=%d, want 1 1", st.Truncated, st.EmptySkipped)
	}
	if acks.last() != 2 {
		t.Errorf("last ack = %d, want 2", acks.last())
	}
	closeP(t, p)
}

func TestPipeline_FlushInterval(t *testing.T) {
	fc := newFakeClient(t)
	clk := newFakeClock()
	opts := quick()
	opts.FlushInterval = 5 * time.Second
	opts.Clock = clk
	p := New(fc, opts)
	acks := newAckLog(t, "src")
	putAll(t, p, testDest, []Event{{Timestamp: baseTs, Message: "one", Acker: acks, Offset: 10}})
	clk.Advance(4 * time.Second)
	time.Sleep(20 * time.Millisecond) // give a wrongly armed timer the chance to fire
	if n := len(fc.sentBatches()); n != 0 {
		t.Fatalf("sent %d batches before force_flush_interval, want 0", n)
	}
	if acks.last() != -1 {
		t.Fatalf("acked %d before the batch was sent", acks.last())
	}
	clk.Advance(time.Second)
	acks.waitFor(10)
	if n := len(fc.sentBatches()); n != 1 {
		t.Errorf("sent %d batches after force_flush_interval, want 1", n)
	}
	closeP(t, p)
}

func TestPipeline_SkipEventsAckedInOrder(t *testing.T) {
	fc, release := blockedClient(t)
	opts := quick()
	opts.Concurrency = 2
	p := New(fc, opts)
	acks := newAckLog(t, "src")
	putAll(t, p, testDest, []Event{{Timestamp: baseTs, Message: "a", Acker: acks, Offset: 1}})
	// Close the first batch so that the skip lands in a later one.
	go p.Flush(context.Background())
	eventually(t, "first batch in flight", func() bool { return len(fc.callLog()) == 1 })
	putAll(t, p, testDest, []Event{{Skip: true, Acker: acks, Offset: 2}})
	go p.Flush(context.Background())
	time.Sleep(20 * time.Millisecond)
	if acks.last() != -1 {
		t.Fatalf("skip acked (%d) before the earlier event was accepted", acks.last())
	}
	close(release)
	acks.waitFor(2)
	if n := len(fc.allEvents()); n != 1 {
		t.Errorf("sent %d events, want 1 (skips are not sent)", n)
	}
	closeP(t, p)
}

func TestPipeline_RetriesNeverAdvance(t *testing.T) {
	netErr := &net.OpError{Op: "dial", Net: "tcp", Err: errors.New("connection refused")}
	http500 := &smithyhttp.ResponseError{Response: &smithyhttp.Response{Response: &http.Response{StatusCode: 500}}, Err: errors.New("internal")}
	tests := []struct {
		name     string
		err      error
		throttle bool
	}{
		{"throttling", &types.ThrottlingException{Message: aws.String("Rate exceeded")}, true},
		{"service unavailable", &types.ServiceUnavailableException{Message: aws.String("down")}, false},
		{"http 500", http500, false},
		{"network", netErr, false},
		{"unknown", errors.New("something odd"), false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fc := newFakeClient(t)
			const failures = 3
			var calls atomic.Int32
			acks := newAckLog(t, "src")
			fc.put = func(string, string, []cloudwatch.Event) (cloudwatch.Rejected, error) {
				if calls.Add(1) <= failures {
					if acks.last() != -1 {
						t.Errorf("acked %d while the batch was failing", acks.last())
					}
					return cloudwatch.Rejected{}, fmt.Errorf("put log events: %w", tt.err)
				}
				return cloudwatch.Rejected{}, nil
			}
			p := New(fc, quick())
			putAll(t, p, testDest, []Event{{Timestamp: baseTs, Message: "a", Acker: acks, Offset: 7}})
			flush(t, p)
			if acks.last() != 7 {
				t.Errorf("last ack = %d, want 7", acks.last())
			}
			st := p.Stats()
			if st.Retries != failures || st.Events != 1 {
				t.Errorf("Retries=%d Events=%d, want %d 1", st.Retries, st.Events, failures)
			}
			if tt.throttle && st.Throttles != failures {
				t.Errorf("Throttles=%d, want %d", st.Throttles, failures)
			}
			if n := len(fc.allEvents()); n != 1 {
				t.Errorf("accepted %d events, want 1", n)
			}
			closeP(t, p)
		})
	}
}

func TestPipeline_CloseWhileFailingDoesNotAck(t *testing.T) {
	fc := newFakeClient(t)
	fc.put = func(string, string, []cloudwatch.Event) (cloudwatch.Rejected, error) {
		return cloudwatch.Rejected{}, &types.ServiceUnavailableException{Message: aws.String("down")}
	}
	p := New(fc, quick())
	acks := newAckLog(t, "src")
	putAll(t, p, testDest, []Event{{Timestamp: baseTs, Message: "a", Acker: acks, Offset: 1}})
	ctx, cancel := context.WithTimeout(context.Background(), 50*time.Millisecond)
	defer cancel()
	if err := p.Close(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("Close = %v, want deadline exceeded", err)
	}
	if acks.last() != -1 {
		t.Errorf("acked %d although the destination never accepted", acks.last())
	}
	if err := p.Put(context.Background(), testDest, Event{Message: "late"}); !errors.Is(err, ErrClosed) {
		t.Errorf("Put after Close = %v, want ErrClosed", err)
	}
}

func TestPipeline_Bootstrap(t *testing.T) {
	groupMissing := &types.ResourceNotFoundException{Message: aws.String("The specified log group does not exist.")}
	streamMissing := &types.ResourceNotFoundException{Message: aws.String("The specified log stream does not exist.")}
	tests := []struct {
		name        string
		groupExists bool
		want        []string
	}{
		{"stream missing", true, []string{
			"put /app/web host-1", "create-stream /app/web host-1", "put /app/web host-1"}},
		{"group missing", false, []string{
			"put /app/web host-1", "create-stream /app/web host-1", "create-group /app/web INFREQUENT_ACCESS",
			"create-stream /app/web host-1", "put /app/web host-1"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			fc := newFakeClient(t)
			groupExists, streamExists := tt.groupExists, false
			fc.put = func(string, string, []cloudwatch.Event) (cloudwatch.Rejected, error) {
				switch {
				case !groupExists:
					return cloudwatch.Rejected{}, groupMissing
				case !streamExists:
					return cloudwatch.Rejected{}, streamMissing
				}
				return cloudwatch.Rejected{}, nil
			}
			fc.createGroup = func(string, string) error {
				if groupExists {
					return &types.ResourceAlreadyExistsException{}
				}
				groupExists = true
				return nil
			}
			fc.createStream = func(string, string) error {
				if !groupExists {
					return groupMissing
				}
				streamExists = true
				return nil
			}
			dst := testDest
			dst.Class = "INFREQUENT_ACCESS"
			p := New(fc, quick())
			acks := newAckLog(t, "src")
			putAll(t, p, dst, []Event{{Timestamp: baseTs, Message: "a", Acker: acks, Offset: 1}})
			flush(t, p)
			if got := fc.callLog(); strings.Join(got, "\n") != strings.Join(tt.want, "\n") {
				t.Errorf("calls:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(tt.want, "\n"))
			}
			if acks.last() != 1 {
				t.Errorf("last ack = %d, want 1", acks.last())
			}
			closeP(t, p)
		})
	}
}

func TestPipeline_RejectedAndInvalidAreCountedAndAcked(t *testing.T) {
	fc := newFakeClient(t)
	var calls atomic.Int32
	fc.put = func(_, _ string, evs []cloudwatch.Event) (cloudwatch.Rejected, error) {
		if calls.Add(1) == 1 {
			return cloudwatch.Rejected{TooOld: 2, TooNew: 1}, nil
		}
		return cloudwatch.Rejected{}, &types.InvalidParameterException{Message: aws.String("Log events in a single PutLogEvents request must be in chronological order.")}
	}
	p := New(fc, quick())
	acks := newAckLog(t, "src")
	now := time.Now().UnixMilli()
	putAll(t, p, testDest, []Event{
		{Timestamp: now - 15*24*3600*1000, Message: "old1", Acker: acks, Offset: 1},
		{Timestamp: now - 15*24*3600*1000 + 1, Message: "old2", Acker: acks, Offset: 2},
	})
	// the span rule puts these into a batch of their own
	putAll(t, p, testDest, []Event{
		{Timestamp: now, Message: "ok", Acker: acks, Offset: 3},
		{Timestamp: now + 3*3600*1000, Message: "new", Acker: acks, Offset: 4},
	})
	flush(t, p)
	st := p.Stats()
	if st.RejectedTooOld != 2 || st.RejectedTooNew != 1 {
		t.Errorf("RejectedTooOld=%d RejectedTooNew=%d, want 2 1", st.RejectedTooOld, st.RejectedTooNew)
	}
	if st.DroppedInvalid != 2 {
		t.Errorf("DroppedInvalid=%d, want 2", st.DroppedInvalid)
	}
	if st.Retries != 0 {
		t.Errorf("Retries=%d, want 0 (InvalidParameter is not retried)", st.Retries)
	}
	if acks.last() != 4 {
		t.Errorf("last ack = %d, want 4", acks.last())
	}
	closeP(t, p)
}

func TestPipeline_ConcurrentAcksInOrder(t *testing.T) {
	fc := newFakeClient(t)
	fc.put = func(string, string, []cloudwatch.Event) (cloudwatch.Rejected, error) {
		time.Sleep(time.Duration(rand.IntN(3)) * time.Millisecond)
		if rand.IntN(4) == 0 {
			return cloudwatch.Rejected{}, &types.ThrottlingException{}
		}
		return cloudwatch.Rejected{}, nil
	}
	opts := quick()
	opts.Concurrency = 4
	p := New(fc, opts)
	sources := []*ackLog{newAckLog(t, "a"), newAckLog(t, "b"), newAckLog(t, "c")}
	const perSource = 30_000
	var off [3]int64
	for i := 0; i < perSource*len(sources); i++ {
		s := i % len(sources)
		off[s]++
		ev := Event{Timestamp: baseTs + int64(i), Message: fmt.Sprintf("line %d", i), Acker: sources[s], Offset: off[s]}
		if i%97 == 0 {
			ev = Event{Skip: true, Acker: sources[s], Offset: off[s]}
		}
		if err := p.Put(context.Background(), testDest, ev); err != nil {
			t.Fatal(err)
		}
	}
	flush(t, p)
	for _, s := range sources {
		if s.last() != perSource {
			t.Errorf("%s: last ack %d, want %d", s.name, s.last(), perSource)
		}
	}
	evs := fc.allEvents()
	seen := make(map[string]bool, len(evs))
	for _, e := range evs {
		if seen[e.Message] {
			t.Fatalf("event %q sent twice", e.Message)
		}
		seen[e.Message] = true
	}
	wantSent := perSource*len(sources) - (perSource*len(sources)+96)/97
	if len(evs) != wantSent {
		t.Errorf("sent %d events, want %d", len(evs), wantSent)
	}
	closeP(t, p)
}

func TestPipeline_Backpressure(t *testing.T) {
	fc, release := blockedClient(t)
	p := New(fc, quick())
	acks := newAckLog(t, "src")
	msg := strings.Repeat("m", 1000)
	// One batch in flight (blocked) plus one building batch: 2 x 1,026-byte
	// events per MiB ... fill both, then the next Put must block.
	perBatch := MaxBatchBytes / (len(msg) + EventOverheadBytes)
	n := 0
	put := func(ctx context.Context) error {
		n++
		return p.Put(ctx, testDest, Event{Timestamp: baseTs, Message: msg, Acker: acks, Offset: int64(n)})
	}
	for i := 0; i < 2*perBatch; i++ {
		if err := put(context.Background()); err != nil {
			t.Fatalf("Put %d: %v", i, err)
		}
	}
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Millisecond)
	defer cancel()
	if err := put(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("Put on a backed-up destination = %v, want it to block until ctx ends", err)
	}
	n-- // that event was not handed over
	if b := p.budget.Load(); b > 2*MaxBatchBytes+reserveChunk {
		t.Errorf("holding %d bytes, want <= one batch in flight and one building", b)
	}
	done := make(chan error, 1)
	go func() { done <- put(context.Background()) }()
	select {
	case err := <-done:
		t.Fatalf("Put returned %v while backed up", err)
	case <-time.After(20 * time.Millisecond):
	}
	close(release)
	if err := <-done; err != nil {
		t.Fatalf("Put after release: %v", err)
	}
	flush(t, p)
	if acks.last() != int64(n) {
		t.Errorf("last ack %d, want %d", acks.last(), n)
	}
	closeP(t, p)
}

func TestPipeline_MemoryBoundAcrossDestinations(t *testing.T) {
	fc, release := blockedClient(t)
	opts := quick()
	opts.Concurrency = 8
	opts.MaxBufferedBytes = 3 * MaxBatchBytes
	p := New(fc, opts)
	msg := strings.Repeat("m", 10_000)
	stop := make(chan struct{})
	var maxSeen atomic.Int64
	go func() {
		for {
			select {
			case <-stop:
				return
			default:
			}
			if b := p.budget.Load(); b > maxSeen.Load() {
				maxSeen.Store(b)
			}
			time.Sleep(100 * time.Microsecond)
		}
	}()
	ctx, cancel := context.WithTimeout(context.Background(), 100*time.Millisecond)
	defer cancel()
	errs := make(chan error, 4)
	for d := 0; d < 4; d++ {
		dst := Destination{Group: "g", Stream: fmt.Sprint(d)}
		go func() {
			for {
				if err := p.Put(ctx, dst, Event{Timestamp: baseTs, Message: msg}); err != nil {
					errs <- err
					return
				}
			}
		}()
	}
	for range 4 {
		if err := <-errs; !errors.Is(err, context.DeadlineExceeded) {
			t.Errorf("Put = %v, want blocked until deadline", err)
		}
	}
	close(stop)
	// Past the budget, only a destination holding nothing may take one chunk.
	if limit := opts.MaxBufferedBytes + 4*reserveChunk; maxSeen.Load() > limit {
		t.Errorf("buffered peaked at %d bytes, want <= %d", maxSeen.Load(), limit)
	}
	close(release)
	closeP(t, p)
}

func TestPipeline_Retention(t *testing.T) {
	fc := newFakeClient(t)
	fc.retention["/keep"] = 30
	p := New(fc, quick())
	for _, dst := range []Destination{
		{Group: "/app", Stream: "a", RetentionDays: 7},
		{Group: "/app", Stream: "b", RetentionDays: 7},
		{Group: "/keep", Stream: "a", RetentionDays: 30},
		{Group: "/none", Stream: "a", RetentionDays: -1},
	} {
		putAll(t, p, dst, []Event{{Timestamp: baseTs, Message: "x"}})
	}
	flush(t, p)
	countDescribes := func() int {
		n := 0
		for _, c := range fc.callLog() {
			if strings.HasPrefix(c, "describe ") {
				n++
			}
		}
		return n
	}
	eventually(t, "retention checked", func() bool {
		fc.mu.Lock()
		set := fc.retention["/app"] == 7
		fc.mu.Unlock()
		return set && countDescribes() >= 2
	})
	time.Sleep(10 * time.Millisecond) // a wrong extra check would show up now
	closeP(t, p)
	fc.mu.Lock()
	defer fc.mu.Unlock()
	if got := strings.Join(fc.retentions, ","); got != "/app=7" {
		t.Errorf("PutRetentionPolicy calls = %q, want %q", got, "/app=7")
	}
	describes := 0
	for _, c := range fc.calls {
		if strings.HasPrefix(c, "describe ") {
			describes++
		}
	}
	if describes != 2 {
		t.Errorf("describe calls = %d, want 2 (once per group with retention)", describes)
	}
}

func TestPipeline_FlushWithNothing(t *testing.T) {
	p := New(newFakeClient(t), quick())
	flush(t, p)
	closeP(t, p)
	closeP(t, p) // a second Close is harmless
}

func TestPipeline_BudgetHeldByIdleDestinationDoesNotStall(t *testing.T) {
	fc := newFakeClient(t)
	opts := quick()
	opts.MaxBufferedBytes = 2 * reserveChunk
	p := New(fc, opts)
	idle := Destination{Group: "g", Stream: "idle"}
	busy := Destination{Group: "g", Stream: "busy"}
	putAll(t, p, idle, []Event{{Timestamp: baseTs, Message: "waits for the flush interval"}})
	acks := newAckLog(t, "busy")
	msg := strings.Repeat("b", 1000)
	ctx, cancel := context.WithTimeout(context.Background(), 60*time.Second)
	defer cancel()
	for i := range 5000 {
		if err := p.Put(ctx, busy, Event{Timestamp: baseTs, Message: msg, Acker: acks, Offset: int64(i + 1)}); err != nil {
			t.Fatalf("Put %d: %v", i, err)
		}
	}
	flush(t, p)
	if acks.last() != 5000 {
		t.Errorf("last ack %d, want 5000", acks.last())
	}
	if n := len(fc.sentBatches()); n < 5000*1026/(2*reserveChunk) {
		t.Errorf("sent %d batches, want small batches under a %d-byte budget", n, opts.MaxBufferedBytes)
	}
	closeP(t, p)
}

func TestPipeline_ReleasesMemoryWhenIdle(t *testing.T) {
	for _, keep := range []bool{false, true} {
		t.Run(fmt.Sprintf("keep=%v", keep), func(t *testing.T) {
			opts := quick()
			opts.KeepMemory = keep
			p := New(nullClient{}, opts)
			msg := strings.Repeat("r", 10_000)
			for range IdleReleaseBytes/len(msg) + 100 {
				putAll(t, p, testDest, []Event{{Timestamp: baseTs, Message: msg}})
			}
			flush(t, p)
			if keep {
				time.Sleep(IdleReleaseAfter + 200*time.Millisecond)
				if p.sinceRelease.Load() == 0 {
					t.Errorf("released memory with KeepMemory set")
				}
			} else {
				eventually(t, "idle release", func() bool { return p.sinceRelease.Load() == 0 })
			}
			closeP(t, p)
		})
	}
}

// TestPipeline_ConcurrentProducers has several sources on several
// destinations putting at once, with flushes in between, failures and a small
// memory budget: every source ends fully acked, in order, and every event is
// sent exactly once.
func TestPipeline_ConcurrentProducers(t *testing.T) {
	fc := newFakeClient(t)
	var calls atomic.Int64
	fc.put = func(string, string, []cloudwatch.Event) (cloudwatch.Rejected, error) {
		if calls.Add(1)%5 == 0 {
			return cloudwatch.Rejected{}, &types.ServiceUnavailableException{}
		}
		return cloudwatch.Rejected{}, nil
	}
	opts := quick()
	opts.Concurrency = 3
	opts.MaxBufferedBytes = 4 * reserveChunk
	p := New(fc, opts)
	const sources, perSource = 6, 5000
	logs := make([]*ackLog, sources)
	done := make(chan error, sources)
	for s := range sources {
		logs[s] = newAckLog(t, fmt.Sprint("src", s))
		dst := Destination{Group: "g", Stream: fmt.Sprint("s", s%3)}
		go func() {
			batch := make([]Event, 0, 50)
			for i := 1; i <= perSource; i++ {
				batch = append(batch, Event{Timestamp: baseTs + int64(i%100), Message: fmt.Sprintf("s%d-%d", s, i), Acker: logs[s], Offset: int64(i)})
				if len(batch) == cap(batch) || i == perSource {
					if _, err := p.PutBatch(context.Background(), dst, batch); err != nil {
						done <- err
						return
					}
					batch = batch[:0]
				}
				if i%1700 == 0 {
					go p.Flush(context.Background())
				}
			}
			done <- nil
		}()
	}
	for range sources {
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	flush(t, p)
	for _, l := range logs {
		if l.last() != perSource {
			t.Errorf("%s: last ack %d, want %d", l.name, l.last(), perSource)
		}
	}
	seen := map[string]bool{}
	for _, e := range fc.allEvents() {
		if seen[e.Message] {
			t.Fatalf("%q sent twice", e.Message)
		}
		seen[e.Message] = true
	}
	if len(seen) != sources*perSource {
		t.Errorf("sent %d distinct events, want %d", len(seen), sources*perSource)
	}
	closeP(t, p)
}
