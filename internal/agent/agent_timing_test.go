package agent

import (
	"bufio"
	"context"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"sync/atomic"
	"testing"
	"time"

	"github.com/logwarden/logwarden/internal/cloudwatch"
	"github.com/logwarden/logwarden/internal/pipeline"
	"github.com/logwarden/logwarden/internal/testutil"
)

// countingSink acknowledges every event at once and counts them.
type countingSink struct {
	n     atomic.Int64
	bytes atomic.Int64
}

func (s *countingSink) Put(_ context.Context, _ pipeline.Destination, ev pipeline.Event) error {
	s.n.Add(1)
	s.bytes.Add(int64(len(ev.Message)))
	if ev.Acker != nil {
		ev.Acker.Ack(ev.Offset)
	}
	return nil
}

func (s *countingSink) Flush(context.Context) error { return nil }

// writeSyslog writes n syslog-style lines of exactly 121 bytes (with "\n").
func writeSyslog(tb testing.TB, path string, n int) int64 {
	tb.Helper()
	f, err := os.Create(path)
	if err != nil {
		tb.Fatal(err)
	}
	w := bufio.NewWriterSize(f, 1<<20)
	for i := 0; i < n; i++ {
		// 15 + 1 + 11 + 1 + 13 + ... padded to 120 characters.
		line := fmt.Sprintf("Nov 26 05:09:%02d ip-10-0-0-1 sshd[%05d]: Accepted publickey for ec2-user from 10.0.%d.%d port %05d ssh2: RSA SHA256:",
			i%60, i%100000, (i/256)%256, i%256, i%65536)
		for len(line) < 120 {
			line += "x"
		}
		w.WriteString(line[:120])
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		tb.Fatal(err)
	}
	f.Close()
	return int64(n) * 121
}

// BenchmarkAgent measures the read side end to end: a file of 121-byte
// syslog lines, through tail, decode and the agent, into a sink that
// acknowledges at once. MB/s is per run of the whole file.
func BenchmarkAgent(b *testing.B) {
	benchRead(b, func() (Sink, func() int64, func()) {
		sink := &countingSink{}
		return sink, sink.n.Load, func() {}
	})
}

// benchLines is how many lines the read benchmarks ship (~58 MiB).
const benchLines = 500_000

// benchRead ships a file of benchLines syslog lines b.N times into the sink
// newSink makes, which also says how many events it delivered so far and
// what to do once the agent stopped; it reports lines/s and MiB/cpu-s.
func benchRead(b *testing.B, newSink func() (sink Sink, delivered func() int64, close func())) {
	path := filepath.Join(b.TempDir(), "syslog")
	size := writeSyslog(b, path, benchLines)
	b.SetBytes(size)
	b.ReportAllocs()
	cpu0 := testutil.CPUTime()
	b.ResetTimer()
	for i := 0; i < b.N; i++ {
		sink, delivered, close := newSink()
		opts := testOptions(b.TempDir(), sink, testSource(path))
		opts.CheckpointInterval = 200 * time.Millisecond
		runUntil(b, opts, func() bool { return delivered() >= benchLines-1 })
		close()
		if got := delivered(); got != benchLines {
			b.Fatalf("events = %d, want %d", got, benchLines)
		}
	}
	b.StopTimer()
	cpu := testutil.CPUTime() - cpu0
	b.ReportMetric(float64(benchLines*b.N)/b.Elapsed().Seconds(), "lines/s")
	// MiB per CPU-second (user+system of the whole process, GC included):
	// the per-core figure, independent of how busy the machine is.
	b.ReportMetric(float64(size)*float64(b.N)/(1<<20)/cpu.Seconds(), "MiB/cpu-s")
}

// runAgent runs an agent with opts in the background; the function it
// returns stops it and waits until Run returned.
func runAgent(tb testing.TB, opts Options) (stop func()) {
	tb.Helper()
	a, err := New(opts)
	if err != nil {
		tb.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- a.Run(ctx) }()
	return func() {
		cancel()
		if err := <-done; err != nil {
			tb.Fatal(err)
		}
	}
}

// waitUntil polls cond every millisecond until it holds (benchmarks: no
// deadline, the benchmark's own timeout bounds it).
func waitUntil(cond func() bool) {
	for !cond() {
		time.Sleep(time.Millisecond)
	}
}

// runUntil runs an agent with opts until cond holds, then stops it.
func runUntil(tb testing.TB, opts Options, cond func() bool) {
	tb.Helper()
	stop := runAgent(tb, opts)
	waitUntil(cond)
	stop()
}

// nullClient accepts every batch at once.
type nullClient struct{ events atomic.Int64 }

func (c *nullClient) PutLogEvents(_ context.Context, _, _ string, evs []cloudwatch.Event) (cloudwatch.Rejected, error) {
	c.events.Add(int64(len(evs)))
	return cloudwatch.Rejected{}, nil
}
func (c *nullClient) CreateLogGroup(context.Context, string, string) error   { return nil }
func (c *nullClient) CreateLogStream(context.Context, string, string) error  { return nil }
func (c *nullClient) LogGroupRetention(context.Context, string) (int, error) { return 0, nil }
func (c *nullClient) PutRetentionPolicy(context.Context, string, int) error  { return nil }

// BenchmarkAgentPipeline is BenchmarkAgent through the real batching
// pipeline into a client that accepts everything: the read side plus
// batching, without the network.
func BenchmarkAgentPipeline(b *testing.B) {
	benchRead(b, func() (Sink, func() int64, func()) {
		client := &nullClient{}
		pl := pipeline.New(client, pipeline.Options{FlushInterval: 50 * time.Millisecond})
		return pl, client.events.Load, func() { pl.Close(context.Background()) }
	})
}

// BenchmarkIdleFiles follows 1,000 small files (publish_multi_logs) and
// reports the heap held per idle followed file once they are read, and the
// CPU share the idle agent then uses (polls, rescans).
func BenchmarkIdleFiles(b *testing.B) {
	const files = 1000
	for i := 0; i < b.N; i++ {
		dir := b.TempDir()
		for f := 0; f < files; f++ {
			os.WriteFile(filepath.Join(dir, fmt.Sprintf("f%04d.log", f)), []byte("one line\n"), 0o644)
		}
		src := testSource(filepath.Join(dir, "*.log"))
		src.PublishMultiLogs = true
		sink := &countingSink{}
		opts := testOptions(b.TempDir(), sink, src)
		opts.PollInterval, opts.ScanInterval = DefaultPollInterval, DefaultScanInterval
		runtime.GC()
		var before runtime.MemStats
		runtime.ReadMemStats(&before)
		stop := runAgent(b, opts)
		waitUntil(func() bool { return sink.n.Load() >= files })
		time.Sleep(100 * time.Millisecond)
		runtime.GC()
		var after runtime.MemStats
		runtime.ReadMemStats(&after)
		b.ReportMetric(float64(after.HeapInuse-before.HeapInuse)/files, "heap-B/file")
		b.ReportMetric(float64(runtime.NumGoroutine())/files, "goroutines/file")
		// Idle cost: CPU used over two seconds with nothing to read.
		c0 := testutil.CPUTime()
		time.Sleep(2 * time.Second)
		b.ReportMetric(100*(testutil.CPUTime()-c0).Seconds()/2, "idle-cpu-%")
		stop()
	}
}
