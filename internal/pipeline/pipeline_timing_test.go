package pipeline

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/logwarden/logwarden/internal/cloudwatch"
)

// nullClient accepts every batch at once.
type nullClient struct{}

func (nullClient) PutLogEvents(context.Context, string, string, []cloudwatch.Event) (cloudwatch.Rejected, error) {
	return cloudwatch.Rejected{}, nil
}
func (nullClient) CreateLogGroup(context.Context, string, string) error   { return nil }
func (nullClient) CreateLogStream(context.Context, string, string) error  { return nil }
func (nullClient) LogGroupRetention(context.Context, string) (int, error) { return 0, nil }
func (nullClient) PutRetentionPolicy(context.Context, string, int) error  { return nil }

type countAcker struct{ last int64 }

func (a *countAcker) Ack(off int64) { a.last = off }

// benchLine is a 121-byte syslog-style line (the reference size).
var benchLine = func() string {
	s := "Nov 26 05:10:47 ip-10-0-1-23 sshd[12345]: Accepted publickey for ec2-user from 10.0.0.5 port 52314 ssh2: RSA SHA256:abcdefgh"
	for len(s) < 121 {
		s += "x"
	}
	return s[:121]
}()

// BenchmarkPipeline measures Put (and PutBatch) into a client that accepts
// instantly: the pipeline's own cost per event, end to end through batching,
// sorting checks and ordered acks.
func BenchmarkPipeline(b *testing.B) {
	for _, mode := range []string{"Put", "PutBatch64"} {
		b.Run(mode, func(b *testing.B) {
			p := New(nullClient{}, Options{FlushInterval: time.Hour})
			acker := &countAcker{}
			dst := Destination{Group: "/bench", Stream: "s"}
			ctx := context.Background()
			ts := time.Now().UnixMilli()
			batch := make([]Event, 64)
			b.SetBytes(int64(len(benchLine)))
			b.ReportAllocs()
			b.ResetTimer()
			switch mode {
			case "Put":
				for i := 0; i < b.N; i++ {
					if err := p.Put(ctx, dst, Event{Timestamp: ts, Message: benchLine, Acker: acker, Offset: int64(i + 1)}); err != nil {
						b.Fatal(err)
					}
				}
			default:
				for i := 0; i < b.N; i += len(batch) {
					n := min(len(batch), b.N-i)
					for j := range n {
						batch[j] = Event{Timestamp: ts, Message: benchLine, Acker: acker, Offset: int64(i + j + 1)}
					}
					if _, err := p.PutBatch(ctx, dst, batch[:n]); err != nil {
						b.Fatal(err)
					}
				}
			}
			if err := p.Flush(ctx); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			if acker.last != int64(b.N) {
				b.Fatalf("last ack %d, want %d", acker.last, b.N)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			_ = p.Close(ctx)
		})
	}
}

// BenchmarkPipeline_Destinations spreads events over several destinations
// from parallel goroutines, as several tailers would.
func BenchmarkPipeline_Destinations(b *testing.B) {
	p := New(nullClient{}, Options{FlushInterval: time.Hour})
	defer p.Close(context.Background())
	b.SetBytes(int64(len(benchLine)))
	b.ReportAllocs()
	var id int64
	msg := strings.Clone(benchLine)
	b.RunParallel(func(pb *testing.PB) {
		dst := Destination{Group: "/bench", Stream: fmt.Sprint(time.Now().UnixNano(), &id)}
		ts := time.Now().UnixMilli()
		for pb.Next() {
			if err := p.Put(context.Background(), dst, Event{Timestamp: ts, Message: msg}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
}
