package server

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os/exec"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
	"github.com/aws/smithy-go/middleware"
	smithyhttp "github.com/aws/smithy-go/transport/http"

	"github.com/logwarden/logwarden/internal/query"
	"github.com/logwarden/logwarden/internal/store"
	"github.com/logwarden/logwarden/internal/testutil"
)

// liveTailClientOption turns off the SDK's "stream-" host prefix of
// StartLiveTail, which would send the call to stream-127.0.0.1.
func liveTailClientOption(o *cwl.Options) {
	o.APIOptions = append(o.APIOptions, func(st *middleware.Stack) error {
		return st.Initialize.Add(middleware.InitializeMiddlewareFunc("NoEndpointHostPrefix",
			func(ctx context.Context, in middleware.InitializeInput, next middleware.InitializeHandler) (middleware.InitializeOutput, middleware.Metadata, error) {
				return next.HandleInitialize(smithyhttp.DisableEndpointHostPrefix(ctx, true), in)
			}), middleware.Before)
	})
}

// liveTailFixture is a server with group /lt (streams web-1, web-2, db-1) and
// Live Tail updates every 50 ms.
func liveTailFixture(t *testing.T) (*testServer, *cwl.Client) {
	t.Helper()
	ts := startServer(t, Options{})
	ts.srv.tailEvery = 50 * time.Millisecond
	// plainBody: without it the SDK's client now and then closes a stream's
	// connection right after the response headers (see plainBody).
	c := cwl.New(ts.client().Options(), liveTailClientOption, func(o *cwl.Options) { o.HTTPClient = sdkHTTPClient(nil, nil) })
	ctx := context.Background()
	must(c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String("/lt")}))(t)
	for _, s := range []string{"web-1", "web-2", "db-1"} {
		must(c.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: aws.String("/lt"), LogStreamName: aws.String(s)}))(t)
	}
	return ts, c
}

func putMessages(t *testing.T, c *cwl.Client, stream string, msgs ...string) {
	t.Helper()
	now := time.Now().UnixMilli()
	evs := make([]types.InputLogEvent, len(msgs))
	for i, m := range msgs {
		evs[i] = types.InputLogEvent{Timestamp: aws.Int64(now), Message: aws.String(m)}
	}
	must(c.PutLogEvents(context.Background(), &cwl.PutLogEventsInput{LogGroupName: aws.String("/lt"),
		LogStreamName: aws.String(stream), LogEvents: evs}))(t)
}

// nextEvent returns the stream's next event, failing after 5 seconds.
func nextEvent(t *testing.T, st *cwl.StartLiveTailEventStream) types.StartLiveTailResponseStream {
	t.Helper()
	select {
	case ev, ok := <-st.Events():
		if !ok {
			t.Fatalf("live tail stream ended: %v", st.Err())
		}
		return ev
	case <-time.After(5 * time.Second):
		t.Fatal("no live tail event within 5s")
	}
	return nil
}

// collect reads sessionUpdates until want events arrived or 5 seconds passed.
func collect(t *testing.T, st *cwl.StartLiveTailEventStream, want int) (got []types.LiveTailSessionLogEvent, sampled bool) {
	t.Helper()
	deadline := time.Now().Add(5 * time.Second)
	for len(got) < want && time.Now().Before(deadline) {
		u, ok := nextEvent(t, st).(*types.StartLiveTailResponseStreamMemberSessionUpdate)
		if !ok {
			t.Fatal("event after sessionStart is not a sessionUpdate")
		}
		got = append(got, u.Value.SessionResults...)
		sampled = sampled || u.Value.SessionMetadata.Sampled
	}
	return got, sampled
}

func TestSDKLiveTail(t *testing.T) {
	for _, tc := range []struct {
		name string
		in   cwl.StartLiveTailInput
		want []string // stream/message of the events expected, in order
	}{
		{"group by ARN, filter pattern", cwl.StartLiveTailInput{LogGroupIdentifiers: []string{"arn:aws:logs:us-east-1:000000000000:log-group:/lt"},
			LogEventFilterPattern: aws.String("ERROR")}, []string{"web-1/ERROR a", "web-2/ERROR c", "db-1/ERROR e"}},
		{"stream names", cwl.StartLiveTailInput{LogGroupIdentifiers: []string{"/lt"}, LogStreamNames: []string{"db-1", "web-2"}},
			[]string{"web-2/ERROR c", "web-2/INFO d", "db-1/ERROR e"}},
		{"stream prefixes and pattern", cwl.StartLiveTailInput{LogGroupIdentifiers: []string{"/lt"}, LogStreamNamePrefixes: []string{"web"},
			LogEventFilterPattern: aws.String("INFO")}, []string{"web-1/INFO b", "web-2/INFO d"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ts, c := liveTailFixture(t)
			putMessages(t, c, "web-1", "ERROR before the session")
			out := must(c.StartLiveTail(context.Background(), &tc.in))(t)
			st := out.GetStream()
			defer st.Close()
			start, ok := nextEvent(t, st).(*types.StartLiveTailResponseStreamMemberSessionStart)
			if !ok || aws.ToString(start.Value.SessionId) == "" || aws.ToString(start.Value.RequestId) == "" ||
				aws.ToString(start.Value.LogEventFilterPattern) != aws.ToString(tc.in.LogEventFilterPattern) ||
				len(start.Value.LogGroupIdentifiers) != len(tc.in.LogGroupIdentifiers) {
				t.Fatalf("first event %#v, want a sessionStart echoing the request", start)
			}
			putMessages(t, c, "web-1", "ERROR a", "INFO b")
			putMessages(t, c, "web-2", "ERROR c", "INFO d")
			putMessages(t, c, "db-1", "ERROR e")
			got, sampled := collect(t, st, len(tc.want))
			var gotS []string
			for _, e := range got {
				gotS = append(gotS, aws.ToString(e.LogStreamName)+"/"+aws.ToString(e.Message))
				if aws.ToString(e.LogGroupIdentifier) != "arn:aws:logs:us-east-1:000000000000:log-group:/lt" ||
					aws.ToInt64(e.Timestamp) == 0 || aws.ToInt64(e.IngestionTime) == 0 {
					t.Errorf("event %+v: want the group ARN, a timestamp and an ingestion time", e)
				}
			}
			if strings.Join(gotS, "|") != strings.Join(tc.want, "|") || sampled {
				t.Fatalf("events %q (sampled %v), want %q", gotS, sampled, tc.want)
			}
			// The client goes away: the session ends and frees its slot.
			st.Close()
			waitFor(t, func() bool { return ts.srv.liveTails() == 0 })
		})
	}
}

// waitFor polls cond for up to 5 seconds.
func waitFor(t *testing.T, cond func() bool) {
	t.Helper()
	for deadline := time.Now().Add(5 * time.Second); !cond(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("condition not met within 5s")
		}
	}
}

func TestSDKLiveTailSampled(t *testing.T) {
	_, c := liveTailFixture(t)
	out := must(c.StartLiveTail(context.Background(), &cwl.StartLiveTailInput{LogGroupIdentifiers: []string{"/lt"}}))(t)
	st := out.GetStream()
	defer st.Close()
	nextEvent(t, st)
	msgs := make([]string, maxLiveTailUpdateEvents+200)
	for i := range msgs {
		msgs[i] = fmt.Sprintf("line %d", i)
	}
	putMessages(t, c, "web-1", msgs...) // one batch: published into one update
	got, sampled := collect(t, st, 1)
	if len(got) != maxLiveTailUpdateEvents || !sampled || aws.ToString(got[0].Message) != "line 0" {
		t.Fatalf("%d events, sampled %v; want %d, true", len(got), sampled, maxLiveTailUpdateEvents)
	}
}

func TestSDKLiveTailLimitAndTimeout(t *testing.T) {
	ts, c := liveTailFixture(t)
	ctx := context.Background()
	in := &cwl.StartLiveTailInput{LogGroupIdentifiers: []string{"/lt"}}
	var streams []*cwl.StartLiveTailEventStream
	defer func() {
		for _, st := range streams {
			st.Close()
		}
	}()
	// A client per stream: the SDK's clients share one event-stream decoder
	// between their streams (smithy-go's Codec keeps its buffer), so two live
	// streams of one client race (go test -race shows it).
	for range maxLiveTailSessions {
		c := cwl.New(c.Options())
		st := must(c.StartLiveTail(ctx, in))(t).GetStream()
		streams = append(streams, st)
		nextEvent(t, st)
	}
	if n := ts.srv.liveTails(); n != maxLiveTailSessions {
		t.Fatalf("%d sessions open, want %d", n, maxLiveTailSessions)
	}
	_, err := c.StartLiveTail(ctx, in)
	wantAPIError[*types.LimitExceededException](t, err, "")
	for _, st := range streams {
		st.Close()
	}
	streams = nil
	waitFor(t, func() bool { return ts.srv.liveTails() == 0 })

	ts.srv.tailMax = 200 * time.Millisecond
	st := must(c.StartLiveTail(ctx, in))(t).GetStream()
	defer st.Close()
	nextEvent(t, st)
	for range st.Events() {
	}
	var te *types.SessionTimeoutException
	if !errors.As(st.Err(), &te) {
		t.Fatalf("stream ended with %v, want SessionTimeoutException", st.Err())
	}
}

func TestLiveTailValidation(t *testing.T) {
	ts, _ := liveTailFixture(t)
	for _, tc := range []struct {
		name, body, code, msg string
	}{
		{"no groups", `{}`, codeInvalidParameter, "1 validation error detected: Value null at 'logGroupIdentifiers' failed to satisfy constraint: Member must not be null"},
		{"empty groups", `{"logGroupIdentifiers":[]}`, codeInvalidParameter, "must have length greater than or equal to 1"},
		{"11 groups", `{"logGroupIdentifiers":["a","b","c","d","e","f","g","h","i","j","k"]}`, codeInvalidParameter, "less than or equal to 10"},
		{"names with 2 groups", `{"logGroupIdentifiers":["/lt","/lt2"],"logStreamNames":["web-1"]}`, codeInvalidParameter, "exactly one log group"},
		{"names and prefixes", `{"logGroupIdentifiers":["/lt"],"logStreamNames":["web-1"],"logStreamNamePrefixes":["w"]}`, codeInvalidParameter, "mutually exclusive"},
		{"bad stream name", `{"logGroupIdentifiers":["/lt"],"logStreamNames":["a:b"]}`, codeInvalidParameter, "logStreamNames.1.member"},
		{"bad pattern", `{"logGroupIdentifiers":["/lt"],"logEventFilterPattern":"{ $.a = "}`, codeInvalidParameter, ""},
		{"missing group", `{"logGroupIdentifiers":["/nope"]}`, codeResourceNotFound, "The specified log group does not exist."},
	} {
		t.Run(tc.name, func(t *testing.T) {
			req, _ := http.NewRequest(http.MethodPost, ts.url+"/", strings.NewReader(tc.body))
			req.Header.Set("X-Amz-Target", "Logs_20140328.StartLiveTail")
			req.Header.Set("Content-Type", "application/x-amz-json-1.1")
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			b, _ := io.ReadAll(resp.Body)
			resp.Body.Close()
			if resp.StatusCode != 400 || resp.Header.Get("X-Amzn-ErrorType") != tc.code || !strings.Contains(string(b), tc.msg) {
				t.Fatalf("%d %s %s; want 400 %s containing %q", resp.StatusCode, resp.Header.Get("X-Amzn-ErrorType"), b, tc.code, tc.msg)
			}
		})
	}
}

// TestAWSCLILiveTail runs `aws logs start-live-tail` against the server and
// reads the events it prints.
func TestAWSCLILiveTail(t *testing.T) {
	awsBin := testutil.AWSCLI(t)
	// start-live-tail came to the CLI in 2024: Debian 12's 2.9 has no
	// such command. That is the CLI's age, not a missing peer.
	if out, _ := exec.Command(awsBin, "logs", "start-live-tail").CombinedOutput(); strings.Contains(strings.ToLower(string(out)), "invalid choice") {
		ver, _ := exec.Command(awsBin, "--version").CombinedOutput()
		t.Skipf("this AWS CLI (%s) has no start-live-tail", strings.TrimSpace(string(ver)))
	}
	ts, c := liveTailFixture(t)
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	cmd := exec.CommandContext(ctx, awsBin, "logs", "start-live-tail", "--endpoint-url", ts.url, "--output", "json",
		"--log-group-identifiers", "arn:aws:logs:us-east-1:000000000000:log-group:/lt", "--log-event-filter-pattern", "ERROR")
	// Without it the CLI sends the call to stream-127.0.0.1 (the service's
	// "stream-" host prefix); botocore honours it since 2025.
	cmd.Env = append(peerEnv(t), "AWS_DISABLE_HOST_PREFIX_INJECTION=true")
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	defer cmd.Process.Kill()
	exited := make(chan error, 1)
	for deadline := time.Now().Add(10 * time.Second); ts.srv.liveTails() == 0; time.Sleep(20 * time.Millisecond) {
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			go func() { exited <- cmd.Wait() }()
			<-exited
			if strings.Contains(stderr.String(), "stream-127.0.0.1") {
				// Older CLIs (botocore before disable_host_prefix_injection)
				// always call stream-<host>, which a local endpoint cannot be.
				t.Skipf("this AWS CLI ignores AWS_DISABLE_HOST_PREFIX_INJECTION and calls stream-127.0.0.1: %s", stderr.String())
			}
			t.Fatalf("aws logs start-live-tail opened no session in 10s: %s", stderr.String())
		}
	}
	putMessages(t, c, "web-1", "INFO skipped", "ERROR from the CLI test")
	lines := make(chan string)
	go func() {
		defer close(lines)
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			lines <- sc.Text()
		}
	}()
	var out strings.Builder
	for {
		select {
		case l, ok := <-lines:
			if !ok {
				t.Fatalf("aws logs start-live-tail ended without the event: %s\nstderr: %s", out.String(), stderr.String())
			}
			out.WriteString(l + "\n")
			if strings.Contains(l, "ERROR from the CLI test") {
				if strings.Contains(out.String(), "INFO skipped") {
					t.Fatalf("the filter pattern let INFO through: %s", out.String())
				}
				return
			}
		case <-ctx.Done():
			t.Fatalf("no event from aws logs start-live-tail: %s\nstderr: %s", out.String(), stderr.String())
		}
	}
}

// TestRunEndsLiveTailOnShutdown checks that an open Live Tail stream does
// not hold up Run's graceful shutdown (which waits up to shutdownGrace).
func TestRunEndsLiveTailOnShutdown(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	addrc := make(chan string, 1)
	done := make(chan error, 1)
	go func() {
		done <- Run(ctx, Options{Listen: "127.0.0.1:0", DataDir: t.TempDir()}, func(a string) { addrc <- a })
	}()
	var addr string
	select {
	case addr = <-addrc:
	case err := <-done:
		t.Fatalf("Run: %v", err)
	}
	c := cwl.New(newClient("http://"+addr, "AKID", "secret").Options(), liveTailClientOption,
		func(o *cwl.Options) { o.HTTPClient = sdkHTTPClient(nil, nil) })
	must(c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String("/lt")}))(t)
	st := must(c.StartLiveTail(context.Background(), &cwl.StartLiveTailInput{LogGroupIdentifiers: []string{"/lt"}}))(t).GetStream()
	defer st.Close()
	nextEvent(t, st)
	start := time.Now()
	cancel()
	select {
	case err := <-done:
		if err != nil {
			t.Fatalf("Run after cancel: %v", err)
		}
	case <-time.After(shutdownGrace / 2):
		t.Fatalf("Run still running %v after cancel with a Live Tail open", shutdownGrace/2)
	}
	for range st.Events() {
	}
	t.Logf("shut down in %v", time.Since(start).Round(time.Millisecond))
}

// BenchmarkLiveTailPublish measures what PutLogEvents adds per stored event
// to hand a 1,000-event batch to 15 open sessions (filter pattern "ERROR",
// one in ten events matching; the pending updates are taken every 10 batches
// as the sessions' ticks would).
func BenchmarkLiveTailPublish(b *testing.B) {
	t := newTails()
	f, err := query.CompileFilter("ERROR")
	if err != nil {
		b.Fatal(err)
	}
	var sessions []*tailSession
	for range maxLiveTailSessions {
		ts := &tailSession{groups: map[string]string{"g": "arn"}, filter: f}
		t.sessions[ts] = true
		sessions = append(sessions, ts)
	}
	batch := make([]store.Event, 1000)
	for i := range batch {
		batch[i] = store.Event{Timestamp: int64(i), Message: fmt.Sprintf("host-01 app[%d]: INFO request %08d served in 3 ms", i, i)}
		if i%10 == 0 {
			batch[i].Message = fmt.Sprintf("host-01 app[%d]: ERROR request %08d failed", i, i)
		}
	}
	for i := 0; b.Loop(); i++ {
		t.publish("g", "s", batch, 1)
		if i%10 == 9 {
			for _, ts := range sessions {
				ts.take()
			}
		}
	}
	b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N*len(batch)), "ns/event")
}
