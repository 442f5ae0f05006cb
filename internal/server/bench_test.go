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
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/logwarden/logwarden/internal/store"
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

// benchInsightsEvents is the size of the Insights benchmark's log group.
const benchInsightsEvents = 1_000_000

// BenchmarkInsights runs Logs Insights queries through the SDK (StartQuery,
// then GetQueryResults until Complete) over one group of 1,000,000 stored
// events (~100 bytes, 8 streams, 10 hours; one in 1,000 contains an "x").
func BenchmarkInsights(b *testing.B) {
	ts := startServer(b, Options{})
	// No retries: a failed call fails the benchmark. The client hides the
	// SDK's request-body race that made it fail now and then (plainBody).
	c := benchClient(ts.url)
	ctx := context.Background()
	if err := ts.st.CreateGroup(store.GroupSpec{Name: "bench"}); err != nil {
		b.Fatal(err)
	}
	const streams, span = 8, 10 * 3_600_000
	first := ts.clock.Truncate(5*time.Minute).UnixMilli() - span // 120 whole 5-minute bins
	batch := make([]store.Event, 0, 10_000)
	for s := range streams {
		name := fmt.Sprintf("s%d", s)
		if err := ts.st.CreateStream("bench", name); err != nil {
			b.Fatal(err)
		}
		for i := s; i < benchInsightsEvents; i += streams {
			msg := fmt.Sprintf("host-01 sshd[%d]: Accepted publickey for deploy from 10.0.%d.%d port %d ssh2 req=%08d",
				1000+i%3000, i%256, (i*7)%256, 1024+i%60000, i)
			if i%1000 == 0 {
				msg = fmt.Sprintf("host-01 kernel: oom-killer x=%d invoked", i)
			}
			batch = append(batch, store.Event{Timestamp: first + int64(i)*span/benchInsightsEvents, Message: msg})
			if len(batch) == cap(batch) || i+streams >= benchInsightsEvents {
				if _, err := ts.st.Put("bench", name, batch); err != nil {
					b.Fatal(err)
				}
				batch = batch[:0]
			}
		}
	}
	for _, bc := range []struct {
		name, query string
		rows        int
		matched     float64
	}{
		{"stats_count_by_bin5m", "stats count(*) by bin(5m)", 120, benchInsightsEvents},
		{"filter_like", "filter @message like /x/ | fields @timestamp, @message", 1000, 1000},
		{"sort_limit", "fields @timestamp, @message | sort @timestamp desc | limit 20", 20, benchInsightsEvents},
	} {
		b.Run(bc.name, func(b *testing.B) {
			cpu0 := cpuTime()
			for b.Loop() {
				id := must(c.StartQuery(ctx, &cwl.StartQueryInput{LogGroupName: aws.String("bench"), QueryString: aws.String(bc.query),
					StartTime: aws.Int64(first / 1000), EndTime: aws.Int64(ts.clock.Unix())}))(b).QueryId
				for {
					out := must(c.GetQueryResults(ctx, &cwl.GetQueryResultsInput{QueryId: id}))(b)
					if out.Status == types.QueryStatusComplete {
						if len(out.Results) != bc.rows || out.Statistics.RecordsMatched != bc.matched ||
							out.Statistics.RecordsScanned != benchInsightsEvents {
							b.Fatalf("%d rows, statistics %+v", len(out.Results), out.Statistics)
						}
						break
					}
					if out.Status != types.QueryStatusRunning && out.Status != types.QueryStatusScheduled {
						b.Fatalf("query ended %s", out.Status)
					}
					time.Sleep(2 * time.Millisecond)
				}
			}
			b.ReportMetric(float64(benchInsightsEvents)*float64(b.N)/b.Elapsed().Seconds(), "events/s")
			b.ReportMetric(float64((cpuTime()-cpu0).Nanoseconds())/float64(b.N*benchInsightsEvents), "cpu-ns/event")
		})
	}
}

// BenchmarkMetricFilterCounting measures what PutLogEvents adds per stored
// event to count the matches of a group's metric filters (terms, JSON and
// space-delimited patterns mixed), for 1, 10 and 100 filters.
func BenchmarkMetricFilterCounting(b *testing.B) {
	patterns := []string{`"Failed password"`, `?ERROR ?FATAL`, `{ $.status >= 500 }`, `[ip, user, ..., status = 5*, size]`, `sshd -Accepted`}
	for _, n := range []int{1, 10, 100} {
		b.Run(fmt.Sprintf("filters=%d", n), func(b *testing.B) {
			ts := startServer(b, Options{})
			if err := ts.st.CreateGroup(store.GroupSpec{Name: "g"}); err != nil {
				b.Fatal(err)
			}
			for i := range n {
				f := store.SavedFilter{Kind: store.KindMetric, Name: fmt.Sprintf("f%03d", i), Pattern: patterns[i%len(patterns)], Spec: []byte(`{}`)}
				if err := ts.st.PutSavedFilter("g", f, maxMetricFilters); err != nil {
					b.Fatal(err)
				}
			}
			batch := make([]store.Event, 1000)
			for i := range batch {
				batch[i].Message = fmt.Sprintf("host-01 sshd[%d]: Accepted publickey for deploy from 10.0.%d.%d port %d ssh2 req=%08d", 1000+i%3000, i%256, (i*7)%256, 1024+i, i)
			}
			b.ResetTimer()
			for range b.N {
				ts.srv.countMetricMatches("g", batch)
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch)), "ns/event")
		})
	}
}
