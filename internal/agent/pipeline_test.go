package agent

import (
	"context"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/logwarden/logwarden/internal/cloudwatch"
	"github.com/logwarden/logwarden/internal/pipeline"
)

// recordingClient stores what the pipeline sends, in order per stream.
type recordingClient struct {
	mu   sync.Mutex
	msgs map[string][]string
	ts   map[string][]int64
}

func (c *recordingClient) PutLogEvents(_ context.Context, group, stream string, evs []cloudwatch.Event) (cloudwatch.Rejected, error) {
	c.mu.Lock()
	defer c.mu.Unlock()
	k := group + "/" + stream
	for _, e := range evs {
		c.msgs[k] = append(c.msgs[k], e.Message)
		c.ts[k] = append(c.ts[k], e.Timestamp)
	}
	return cloudwatch.Rejected{}, nil
}
func (c *recordingClient) CreateLogGroup(context.Context, string, string) error   { return nil }
func (c *recordingClient) CreateLogStream(context.Context, string, string) error  { return nil }
func (c *recordingClient) LogGroupRetention(context.Context, string) (int, error) { return 0, nil }
func (c *recordingClient) PutRetentionPolicy(context.Context, string, int) error  { return nil }

func (c *recordingClient) messages(k string) []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]string(nil), c.msgs[k]...)
}

// TestAgent_ThroughPipeline runs the agent into the real batching pipeline
// (PutBatch, acknowledgements after the client accepted a batch) across a
// rotation and a restart: every line once, in order, with its timestamp.
func TestAgent_ThroughPipeline(t *testing.T) {
	dir, state := t.TempDir(), t.TempDir()
	path := filepath.Join(dir, "app.log")
	src := testSource(path)
	src.TimestampFormat = "%Y-%m-%dT%H:%M:%S"
	src.UTC = true
	base := time.Date(2026, 11, 20, 0, 0, 0, 0, time.UTC)
	// Times increase with the line number (the pipeline sorts each batch by time).
	stamp := func(prefix string, from, to int) []string {
		var out []string
		for i := from; i < to; i++ {
			sec := i
			if prefix == "b" {
				sec += 600
			}
			out = append(out, base.Add(time.Duration(sec)*time.Second).Format("2006-01-02T15:04:05")+" "+lines(prefix, i, i+1)[0])
		}
		return out
	}
	client := &recordingClient{msgs: map[string][]string{}, ts: map[string][]int64{}}
	run := func(write func()) {
		pl := pipeline.New(client, pipeline.Options{FlushInterval: 20 * time.Millisecond})
		defer pl.Close(context.Background())
		a, err := New(testOptions(state, pl, src))
		if err != nil {
			t.Fatal(err)
		}
		ctx, cancel := context.WithCancel(context.Background())
		done := make(chan error, 1)
		go func() { done <- a.Run(ctx) }()
		write()
		cancel()
		if err := <-done; err != nil {
			t.Fatal(err)
		}
	}
	const k = "group/stream"
	run(func() {
		appendLines(t, path, stamp("a", 0, 500)...)
		waitFor(t, "500 events", waitLong, func() bool { return len(client.messages(k)) >= 499 })
	})
	run(func() { // restart, then rotate
		appendLines(t, path, stamp("a", 500, 600)...)
		waitFor(t, "600 events", waitLong, func() bool { return len(client.messages(k)) >= 599 })
		if err := renameAndCreate(path, stamp("b", 0, 100)); err != nil {
			t.Fatal(err)
		}
		waitFor(t, "700 events", waitLong, func() bool { return len(client.messages(k)) >= 699 })
	})
	want := append(stamp("a", 0, 600), stamp("b", 0, 100)...)
	assertExactly(t, client.messages(k), want)
	client.mu.Lock()
	defer client.mu.Unlock()
	for i, ts := range client.ts[k] {
		if w := base.Add(time.Duration(i) * time.Second).UnixMilli(); ts != w {
			t.Fatalf("event %d timestamp %d, want %d", i, ts, w)
		}
	}
}

func renameAndCreate(path string, next []string) error {
	if err := osRename(path, path+".1"); err != nil {
		return err
	}
	return writeLines(path, next)
}
