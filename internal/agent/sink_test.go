package agent

import (
	"bytes"
	"context"
	"log/slog"
	"os"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode/utf8"

	"github.com/logwarden/logwarden/internal/pipeline"
)

// fakeSink records every event handed over and acknowledges it according
// to its mode.
type fakeSink struct {
	mu      sync.Mutex
	events  []rec
	pending []pipeline.Event
	// ackLimit: acknowledge only the first ackLimit events (-1: all).
	ackLimit int
	// delay: acknowledge in the background after this long (0: at once).
	delay  time.Duration
	acked  int
	flushE error
}

type rec struct {
	dest pipeline.Destination
	ev   pipeline.Event
}

func newSink() *fakeSink { return &fakeSink{ackLimit: -1} }

func (s *fakeSink) Put(ctx context.Context, dest pipeline.Destination, ev pipeline.Event) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.events = append(s.events, rec{dest, ev})
	s.pending = append(s.pending, ev)
	if s.delay == 0 {
		s.ackLocked()
	} else {
		time.AfterFunc(s.delay, func() {
			s.mu.Lock()
			defer s.mu.Unlock()
			s.ackLocked()
		})
	}
	return nil
}

func (s *fakeSink) ackLocked() {
	for len(s.pending) > 0 && (s.ackLimit < 0 || s.acked < s.ackLimit) {
		ev := s.pending[0]
		s.pending = s.pending[1:]
		if ev.Acker != nil {
			ev.Acker.Ack(ev.Offset)
		}
		s.acked++
	}
}

func (s *fakeSink) Flush(ctx context.Context) error {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.ackLocked()
	if s.flushE != nil {
		return s.flushE
	}
	if len(s.pending) > 0 {
		return context.DeadlineExceeded
	}
	return nil
}

// messages returns the non-skipped messages in order.
func (s *fakeSink) messages() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []string
	for _, r := range s.events {
		if !r.ev.Skip {
			out = append(out, r.ev.Message)
		}
	}
	return out
}

func (s *fakeSink) records() []rec {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]rec(nil), s.events...)
}

func (s *fakeSink) count() int {
	s.mu.Lock()
	defer s.mu.Unlock()
	n := 0
	for _, r := range s.events {
		if !r.ev.Skip {
			n++
		}
	}
	return n
}

var _ Sink = (*fakeSink)(nil)

func waitFor(t *testing.T, what string, timeout time.Duration, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(timeout)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", timeout, what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// syncBuffer is a goroutine-safe log buffer.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}

func newTestLogger(b *syncBuffer) *slog.Logger {
	return slog.New(slog.NewTextHandler(b, &slog.HandlerOptions{Level: slog.LevelDebug}))
}

func utf8Valid(s string) bool { return utf8.ValidString(s) }

// batchFake offers PutBatch on top of a fakeSink.
type batchFake struct{ *fakeSink }

func (b batchFake) PutBatch(ctx context.Context, dest pipeline.Destination, evs []pipeline.Event) (int, error) {
	for i, ev := range evs {
		if err := b.Put(ctx, dest, ev); err != nil {
			return i, err
		}
	}
	return len(evs), nil
}

var _ BatchSink = batchFake{}

func osRename(a, b string) error { return os.Rename(a, b) }

func writeLines(path string, ls []string) error {
	return os.WriteFile(path, []byte(strings.Join(ls, "\n")+"\n"), 0o644)
}
