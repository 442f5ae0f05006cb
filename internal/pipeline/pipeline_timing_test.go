package pipeline

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/logwarden/logwarden/internal/cloudwatch"
	"github.com/logwarden/logwarden/internal/testutil"
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
			start := testutil.CPUTime()
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
			b.ReportMetric(float64((testutil.CPUTime()-start).Nanoseconds())/float64(b.N), "cpu-ns/event")
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

// TestHelperNullServer is not a test: it is the null server of
// testutil.NullCWLServer, run in a child process.
func TestHelperNullServer(t *testing.T) { testutil.ServeNullCWL(t) }

// BenchmarkPipelineCloudWatch is the shipping half end to end: Put into the
// pipeline, batching, the real cloudwatch client (serialization, SigV4,
// HTTP) into a null server in another process. cpu-ns/event and MiB/cpu-s
// count this process only.
func BenchmarkPipelineCloudWatch(b *testing.B) {
	url := testutil.NullCWLServer(b)
	b.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	for _, tc := range []struct {
		name   string
		comp   cloudwatch.Compression
		signed bool // hash the body as for AWS (not needed on loopback)
	}{
		{"plain", cloudwatch.CompressionNone, false},
		{"plain-signed", cloudwatch.CompressionNone, true},
		{"gzip-signed", cloudwatch.CompressionGzip, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			cl, err := cloudwatch.New(context.Background(), cloudwatch.Config{
				Region: "us-east-1", Endpoint: url, Compression: tc.comp, SignLoopbackPayload: tc.signed,
				StaticCredentials: &aws.Credentials{AccessKeyID: "AKID", SecretAccessKey: "secret"},
			})
			if err != nil {
				b.Fatal(err)
			}
			p := New(cl, Options{FlushInterval: time.Hour})
			acker := &countAcker{}
			dst := Destination{Group: "/bench", Stream: "s"}
			ctx := context.Background()
			lines := benchLines(4096)
			ts := time.Now().UnixMilli()
			b.SetBytes(int64(len(benchLine)))
			b.ReportAllocs()
			start := testutil.CPUTime()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if err := p.Put(ctx, dst, Event{Timestamp: ts, Message: lines[i%len(lines)], Acker: acker, Offset: int64(i + 1)}); err != nil {
					b.Fatal(err)
				}
			}
			if err := p.Flush(ctx); err != nil {
				b.Fatal(err)
			}
			b.StopTimer()
			cpu := testutil.CPUTime() - start
			if acker.last != int64(b.N) {
				b.Fatalf("last ack %d, want %d", acker.last, b.N)
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64(cpu.Nanoseconds())/float64(b.N), "cpu-ns/event")
			b.ReportMetric(float64(b.N*len(benchLine))/(1<<20)/cpu.Seconds(), "MiB/cpu-s")
			_ = p.Close(ctx)
		})
	}
}

// benchLines returns n distinct 121-byte syslog-style lines.
func benchLines(n int) []string {
	users := []string{"ec2-user", "root", "admin", "deploy", "backup", "jenkins", "postgres"}
	out := make([]string, n)
	r := uint64(42)
	next := func() int { r ^= r << 13; r ^= r >> 7; r ^= r << 17; return int(r % 65536) }
	for i := range out {
		line := fmt.Sprintf("Nov 26 05:%02d:%02d ip-10-0-1-23 sshd[%d]: Accepted publickey for %s from 10.%d.%d.%d port %d ssh2: RSA SHA256:%x%x",
			i/60%60, i%60, 1000+next(), users[next()%len(users)], next()%256, next()%256, next()%256, next(), next(), next())
		line += strings.Repeat(" x", 64)
		out[i] = line[:len(benchLine)]
	}
	return out
}
