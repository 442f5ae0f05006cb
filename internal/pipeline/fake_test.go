package pipeline

import (
	"context"
	"fmt"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/logwarden/logwarden/internal/cloudwatch"
)

// sent is one PutLogEvents call the fake accepted.
type sent struct {
	group, stream string
	events        []cloudwatch.Event
}

// fakeClient is a Client whose behaviour is set by function fields; it checks
// every batch against the PutLogEvents limits and records what it accepted.
type fakeClient struct {
	t *testing.T

	// put, if set, decides the outcome of a PutLogEvents call before it is recorded.
	put          func(group, stream string, events []cloudwatch.Event) (cloudwatch.Rejected, error)
	createGroup  func(group, class string) error
	createStream func(group, stream string) error

	mu         sync.Mutex
	batches    []sent
	calls      []string
	retention  map[string]int
	retentions []string
}

func newFakeClient(t *testing.T) *fakeClient {
	return &fakeClient{t: t, retention: map[string]int{}}
}

// record logs one call.
func (f *fakeClient) record(call string) {
	f.mu.Lock()
	f.calls = append(f.calls, call)
	f.mu.Unlock()
}

// blockedClient is a fakeClient whose PutLogEvents calls block until
// release is closed (a destination that is down), then succeed.
func blockedClient(t *testing.T) (fc *fakeClient, release chan struct{}) {
	fc, release = newFakeClient(t), make(chan struct{})
	fc.put = func(string, string, []cloudwatch.Event) (cloudwatch.Rejected, error) {
		<-release
		return cloudwatch.Rejected{}, nil
	}
	return fc, release
}

func (f *fakeClient) PutLogEvents(ctx context.Context, group, stream string, events []cloudwatch.Event) (cloudwatch.Rejected, error) {
	if err := ctx.Err(); err != nil {
		return cloudwatch.Rejected{}, err
	}
	f.record("put " + group + " " + stream)
	if err := checkLimits(events); err != nil {
		f.t.Errorf("PutLogEvents: %v", err)
	}
	var rej cloudwatch.Rejected
	if f.put != nil {
		var err error
		rej, err = f.put(group, stream, events)
		if err != nil {
			return rej, err
		}
	}
	f.mu.Lock()
	f.batches = append(f.batches, sent{group, stream, slices.Clone(events)})
	f.mu.Unlock()
	return rej, nil
}

func (f *fakeClient) CreateLogGroup(ctx context.Context, group, class string) error {
	f.record("create-group " + group + " " + class)
	if f.createGroup != nil {
		return f.createGroup(group, class)
	}
	return nil
}

func (f *fakeClient) CreateLogStream(ctx context.Context, group, stream string) error {
	f.record("create-stream " + group + " " + stream)
	if f.createStream != nil {
		return f.createStream(group, stream)
	}
	return nil
}

func (f *fakeClient) LogGroupRetention(ctx context.Context, group string) (int, error) {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.calls = append(f.calls, "describe "+group)
	return f.retention[group], nil
}

func (f *fakeClient) PutRetentionPolicy(ctx context.Context, group string, days int) error {
	f.mu.Lock()
	defer f.mu.Unlock()
	f.retention[group] = days
	f.retentions = append(f.retentions, fmt.Sprintf("%s=%d", group, days))
	return nil
}

func (f *fakeClient) sentBatches() []sent {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.batches)
}

func (f *fakeClient) callLog() []string {
	f.mu.Lock()
	defer f.mu.Unlock()
	return slices.Clone(f.calls)
}

func (f *fakeClient) allEvents() []cloudwatch.Event {
	var out []cloudwatch.Event
	for _, b := range f.sentBatches() {
		out = append(out, b.events...)
	}
	return out
}

// checkLimits applies the service's PutLogEvents batch rules.
func checkLimits(events []cloudwatch.Event) error {
	if len(events) == 0 || len(events) > MaxBatchEvents {
		return fmt.Errorf("batch of %d events", len(events))
	}
	size := 0
	for i, e := range events {
		if e.Message == "" {
			return fmt.Errorf("event %d: empty message", i)
		}
		if len(e.Message)+EventOverheadBytes > 1_048_576 {
			return fmt.Errorf("event %d: %d bytes", i, len(e.Message))
		}
		size += len(e.Message) + EventOverheadBytes
		if i > 0 && e.Timestamp < events[i-1].Timestamp {
			return fmt.Errorf("event %d: not in chronological order", i)
		}
	}
	if size > MaxBatchBytes {
		return fmt.Errorf("upload too large: %d bytes", size)
	}
	if span := events[len(events)-1].Timestamp - events[0].Timestamp; span > MaxBatchSpan {
		return fmt.Errorf("batch spans %d ms", span)
	}
	return nil
}

// ackLog records the offsets one Acker was told, and fails the test if they
// ever go backwards.
type ackLog struct {
	t    *testing.T
	name string

	mu      sync.Mutex
	offsets []int64
	changed chan struct{}
}

func newAckLog(t *testing.T, name string) *ackLog {
	return &ackLog{t: t, name: name, changed: make(chan struct{}, 1)}
}

func (a *ackLog) Ack(off int64) {
	a.mu.Lock()
	if n := len(a.offsets); n > 0 && off < a.offsets[n-1] {
		a.t.Errorf("%s: Ack(%d) after Ack(%d): out of order", a.name, off, a.offsets[n-1])
	}
	a.offsets = append(a.offsets, off)
	a.mu.Unlock()
	select {
	case a.changed <- struct{}{}:
	default:
	}
}

func (a *ackLog) last() int64 {
	a.mu.Lock()
	defer a.mu.Unlock()
	if len(a.offsets) == 0 {
		return -1
	}
	return a.offsets[len(a.offsets)-1]
}

// waitFor waits (bounded) until the last ack is want.
func (a *ackLog) waitFor(want int64) {
	a.t.Helper()
	deadline := time.After(60 * time.Second)
	for a.last() != want {
		select {
		case <-a.changed:
		case <-deadline:
			a.t.Fatalf("%s: last ack %d, want %d", a.name, a.last(), want)
		}
	}
}

// fakeClock is a Clock that moves only when told.
type fakeClock struct {
	mu     sync.Mutex
	now    time.Time
	timers []fakeTimer
}

type fakeTimer struct {
	at time.Time
	ch chan time.Time
}

func newFakeClock() *fakeClock {
	return &fakeClock{now: time.Date(2026, 11, 26, 12, 0, 0, 0, time.UTC)}
}

func (c *fakeClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

func (c *fakeClock) After(d time.Duration) <-chan time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	ch := make(chan time.Time, 1)
	if d <= 0 {
		ch <- c.now
		return ch
	}
	c.timers = append(c.timers, fakeTimer{c.now.Add(d), ch})
	return ch
}

func (c *fakeClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	kept := c.timers[:0]
	for _, t := range c.timers {
		if !t.at.After(c.now) {
			t.ch <- c.now
			continue
		}
		kept = append(kept, t)
	}
	c.timers = kept
}

// eventually polls cond until it holds or a generous deadline passes.
func eventually(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(60 * time.Second)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(time.Millisecond)
	}
}
