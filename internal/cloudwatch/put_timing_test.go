package cloudwatch

import (
	"context"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"

	"github.com/logwarden/logwarden/internal/testutil"
)

// reportCPU adds cpu-ns/event and MiB/cpu-s (message bytes) metrics.
func reportCPU(b *testing.B, start time.Duration, events int, bytes int64) {
	cpu := testutil.CPUTime() - start
	b.ReportMetric(float64(cpu.Nanoseconds())/float64(events), "cpu-ns/event")
	b.ReportMetric(float64(bytes)/(1<<20)/cpu.Seconds(), "MiB/cpu-s")
}

// benchLineLen is the reference line size.
const benchLineLen = 121

// benchBatch is about one full batch of 121-byte syslog-style lines (1 MiB
// with 26 bytes each), varied like real sshd/cron lines so that compression
// is not flattered by identical lines.
func benchBatch() []Event {
	users := []string{"ec2-user", "root", "admin", "deploy", "backup", "jenkins", "postgres"}
	msgs := []string{"Accepted publickey for %s from 10.%d.%d.%d port %d ssh2: RSA SHA256:%x",
		"Failed password for invalid user %s from 203.0.%d.%d port %d ssh2 %x%x",
		"pam_unix(sshd:session): session opened for user %s(uid=%d) by (uid=0) %x %d",
		"(%s) CMD (run-parts /etc/cron.hourly) pid=%d job=%d host=%d seq=%x"}
	r := uint64(42)
	next := func() int { r ^= r << 13; r ^= r >> 7; r ^= r << 17; return int(r % 65536) }
	evs := make([]Event, 7000)
	for i := range evs {
		head := fmt.Sprintf("Nov 26 05:%02d:%02d ip-10-0-1-23 sshd[%d]: ", i/60%60, i%60, 1000+next())
		var body string
		switch k := next() % len(msgs); k {
		case 0:
			body = fmt.Sprintf(msgs[k], users[next()%len(users)], next()%256, next()%256, next()%256, next(), uint64(next())<<32|uint64(next()))
		case 1:
			body = fmt.Sprintf(msgs[k], users[next()%len(users)], next()%256, next()%256, next(), next(), next())
		case 2:
			body = fmt.Sprintf(msgs[k], users[next()%len(users)], next(), next(), next())
		default:
			body = fmt.Sprintf(msgs[k], users[next()%len(users)], next(), next(), next(), next())
		}
		line := head + body + strings.Repeat(" x", 64)
		evs[i] = Event{Timestamp: 1_795_000_000_000 + int64(i), Message: line[:121]}
	}
	return evs
}

// TestHelperNullServer is not a test: it is the null server of
// testutil.NullCWLServer, run in a child process.
func TestHelperNullServer(t *testing.T) { testutil.ServeNullCWL(t) }

// BenchmarkPutLogEvents compares the SDK's own serializer with the
// hand-written body (signed as for AWS), with gzip, and unsigned as for a
// loopback endpoint, into a null server in another process. One op is one
// batch of 7,000 121-byte lines; cpu-ns/event counts this process only.
func BenchmarkPutLogEvents(b *testing.B) {
	url := testutil.NullCWLServer(b)
	evs := benchBatch()
	for _, tc := range []struct {
		name     string
		comp     Compression
		sdk      bool
		unsigned bool // UNSIGNED-PAYLOAD, as for a loopback endpoint
	}{
		{"sdk", CompressionNone, true, false},
		{"fast", CompressionNone, false, false},
		{"fast-gzip", CompressionGzip, false, false},
		{"fast-unsigned", CompressionNone, false, true},
	} {
		b.Run(tc.name, func(b *testing.B) {
			b.Setenv("AWS_EC2_METADATA_DISABLED", "true")
			cl, err := New(context.Background(), Config{
				Region: "us-east-1", Endpoint: url, Compression: tc.comp, SignLoopbackPayload: !tc.unsigned,
				StaticCredentials: &aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"},
			})
			if err != nil {
				b.Fatal(err)
			}
			ctx := context.Background()
			b.SetBytes(int64(len(evs) * benchLineLen))
			b.ReportAllocs()
			start := testutil.CPUTime()
			for b.Loop() {
				var err error
				if tc.sdk {
					_, err = cl.putLogEventsSDK(ctx, "/g", "s", evs)
				} else {
					_, err = cl.PutLogEvents(ctx, "/g", "s", evs)
				}
				if err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.N*len(evs))/b.Elapsed().Seconds(), "events/s")
			reportCPU(b, start, b.N*len(evs), int64(b.N*len(evs)*benchLineLen))
		})
	}
}

// BenchmarkAppendPutLogEventsBody is the serializer alone.
func BenchmarkAppendPutLogEventsBody(b *testing.B) {
	evs := benchBatch()
	b.SetBytes(int64(len(evs) * benchLineLen))
	b.ReportAllocs()
	var buf []byte
	start := testutil.CPUTime()
	for b.Loop() {
		buf = AppendPutLogEventsBody(buf[:0], "/g", "s", evs)
	}
	b.ReportMetric(float64(b.N*len(evs))/b.Elapsed().Seconds(), "events/s")
	reportCPU(b, start, b.N*len(evs), int64(b.N*len(evs)*benchLineLen))
	_ = fmt.Sprint(len(buf))
}

// BenchmarkGzipPutLogEventsBody is serializing plus compression, no HTTP.
func BenchmarkGzipPutLogEventsBody(b *testing.B) {
	evs := benchBatch()
	b.SetBytes(int64(len(evs) * benchLineLen))
	b.ReportAllocs()
	start := testutil.CPUTime()
	var n int
	for b.Loop() {
		body, err := AppendGzipPutLogEventsBody(nil, "/g", "s", evs)
		if err != nil {
			b.Fatal(err)
		}
		n = len(body)
	}
	b.ReportMetric(float64(b.N*len(evs))/b.Elapsed().Seconds(), "events/s")
	reportCPU(b, start, b.N*len(evs), int64(b.N*len(evs)*benchLineLen))
	b.ReportMetric(float64(n), "gzip-bytes/batch")
}
