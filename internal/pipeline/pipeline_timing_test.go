package pipeline

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

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
			start := cpuTime()
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
			b.ReportMetric(float64((cpuTime()-start).Nanoseconds())/float64(b.N), "cpu-ns/event")
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

// cpuTime is this process's user+system CPU time; the machine is shared, so
// the end-to-end benchmark reports CPU per event beside wall-clock figures.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

const nullServerEnv = "LOGWARDEN_TEST_NULL_SERVER"

// TestHelperNullServer is not a test: run by nullServer in a child process,
// it answers every request with {} until its stdin closes.
func TestHelperNullServer(t *testing.T) {
	if os.Getenv(nullServerEnv) != "1" {
		t.Skip("helper process for benchmarks")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("ADDR %s\n", l.Addr())
	go http.Serve(l, http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		io.WriteString(w, "{}")
	}))
	io.Copy(io.Discard, os.Stdin)
}

func nullServer(b testing.TB) string {
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperNullServer$")
	cmd.Env = append(os.Environ(), nullServerEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		b.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		b.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ADDR ") {
		b.Fatalf("null server: %q %v", line, err)
	}
	return "http://" + strings.TrimSpace(strings.TrimPrefix(line, "ADDR "))
}

// BenchmarkPipelineCloudWatch is the shipping half end to end: Put into the
// pipeline, batching, the real cloudwatch client (serialization, SigV4,
// HTTP) into a null server in another process. cpu-ns/event and MiB/cpu-s
// count this process only.
func BenchmarkPipelineCloudWatch(b *testing.B) {
	url := nullServer(b)
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
			start := cpuTime()
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
			cpu := cpuTime() - start
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
