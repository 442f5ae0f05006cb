package server

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
)

// putBody returns a PutLogEvents body of n ~150-byte events.
func putBody(stream string, n int, ts int64) []byte {
	var b strings.Builder
	fmt.Fprintf(&b, `{"logGroupName":"bench","logStreamName":%q,"logEvents":[`, stream)
	for i := 0; i < n; i++ {
		if i > 0 {
			b.WriteByte(',')
		}
		fmt.Fprintf(&b, `{"message":"host-01 sshd[%d]: Accepted publickey for deploy from 10.0.%d.%d port %d ssh2: RSA SHA256:0123456789abcdef req=%08d","timestamp":%d}`,
			1000+i%3000, i%256, (i*7)%256, 1024+i, i, ts)
	}
	b.WriteString("]}")
	return []byte(b.String())
}

// BenchmarkPutLogEventsHTTP measures the server side of PutLogEvents (HTTP,
// decoding, validation, synced group-committed store write) with 8 concurrent
// connections sending pre-encoded 1,000-event batches.
func BenchmarkPutLogEventsHTTP(b *testing.B) {
	ts := startServer(b, Options{})
	c := ts.client()
	ctx := context.Background()
	must(c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String("bench")}))(b)
	const streams = 8
	bodies := make([][]byte, streams)
	for i := range bodies {
		name := fmt.Sprintf("s%d", i)
		must(c.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: aws.String("bench"), LogStreamName: aws.String(name)}))(b)
		bodies[i] = putBody(name, 1000, time.Now().UnixMilli())
	}
	var next atomic.Int64
	b.SetParallelism(streams / max(1, b.N/b.N))
	b.ResetTimer()
	start := time.Now()
	cpu0 := cpuTime()
	b.RunParallel(func(pb *testing.PB) {
		body := bodies[int(next.Add(1))%streams]
		hc := &http.Client{}
		for pb.Next() {
			req, _ := http.NewRequest(http.MethodPost, ts.url+"/", bytes.NewReader(body))
			req.Header.Set("X-Amz-Target", "Logs_20140328.PutLogEvents")
			req.Header.Set("Content-Type", "application/x-amz-json-1.1")
			resp, err := hc.Do(req)
			if err != nil {
				b.Error(err)
				return
			}
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 200 {
				b.Errorf("status %d", resp.StatusCode)
				return
			}
		}
	})
	b.ReportMetric(float64(b.N)*1000/time.Since(start).Seconds(), "events/s")
	// CPU per event (server and the light raw-HTTP clients) does not depend on
	// what else the machine is doing, unlike events/s.
	b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N*1000), "cpu-ns/event")
}

// cpuTime is the process's user+system CPU time.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkDecodePutLogEvents measures the PutLogEvents body decoder alone.
func BenchmarkDecodePutLogEvents(b *testing.B) {
	body := putBody("s", 1000, time.Now().UnixMilli())
	b.SetBytes(int64(len(body)))
	for i := 0; i < b.N; i++ {
		if _, e := decodePutLogEvents(body); e != nil {
			b.Fatal(e)
		}
	}
}
