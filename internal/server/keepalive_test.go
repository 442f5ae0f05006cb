package server

import (
	"context"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/http/httptrace"
	"sync"
	"sync/atomic"
	"testing"

	"github.com/aws/aws-sdk-go-v2/aws"
	awshttp "github.com/aws/aws-sdk-go-v2/aws/transport/http"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/logwarden/logwarden/internal/store"
)

// plainBody hides the io.WriterTo of the SDK's request body.
//
// smithy-go wraps a request body in a "safe" closer whose WriteTo returns
// io.EOF once the body is closed, and closes it as soon as the response
// headers arrive. net/http's writeLoop, after sending Content-Length bytes,
// copies the body once more to check that nothing is left; when a fast server
// has already answered, that copy meets the closed body, io.Copy passes the
// io.EOF on as a write error, and the transport closes the connection under
// the response body being read: "deserialization failed ... use of closed
// network connection" on a 200 (aws/aws-sdk-go-v2#2737). A plain Read-only
// body returns (0, io.EOF) there, which io.Copy treats as the end.
type plainBody struct{ io.ReadCloser }

// doerFunc adapts a function to the SDK's HTTPClient.
type doerFunc func(*http.Request) (*http.Response, error)

func (f doerFunc) Do(r *http.Request) (*http.Response, error) { return f(r) }

// sdkHTTPClient is the SDK's default HTTP client with request bodies
// wrapped in plainBody, and a hook on each request's write result.
func sdkHTTPClient(dial func(context.Context, string, string) (net.Conn, error), wrote func(error)) doerFunc {
	hc := awshttp.NewBuildableClient().WithTransportOptions(func(tr *http.Transport) {
		if dial != nil {
			tr.DialContext = dial
		}
	})
	return func(r *http.Request) (*http.Response, error) {
		if r.Body != nil && r.Body != http.NoBody {
			r.Body = plainBody{r.Body}
		}
		if wrote != nil {
			r = r.WithContext(httptrace.WithClientTrace(r.Context(), &httptrace.ClientTrace{
				WroteRequest: func(i httptrace.WroteRequestInfo) { wrote(i.Err) }}))
		}
		return hc.Do(r)
	}
}

// benchClient is an SDK client of url that does not retry, so that any
// failure of the server shows.
func benchClient(url string) *cwl.Client {
	return cwl.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")},
		func(o *cwl.Options) {
			o.BaseEndpoint, o.RetryMaxAttempts, o.HTTPClient = aws.String(url), 1, sdkHTTPClient(nil, nil)
		})
}

// TestInsightsPollingKeepsConnection polls running Insights queries the way
// BenchmarkInsights does (StartQuery, then GetQueryResults every few ms while
// partial results change) and checks that one keep-alive connection carries
// every request: the server closes none, every request is written whole,
// every response decodes.
func TestInsightsPollingKeepsConnection(t *testing.T) {
	ts := startServer(t, Options{})
	ts.srv.queries.progressEvery = 0 // partial results as often as they come
	var opened, closed atomic.Int64
	hs := httptest.NewUnstartedServer(ts.srv)
	hs.Config.ConnState = func(_ net.Conn, s http.ConnState) {
		switch s {
		case http.StateNew:
			opened.Add(1)
		case http.StateClosed, http.StateHijacked:
			closed.Add(1)
		}
	}
	hs.Start()
	defer hs.Close()
	var dialed atomic.Int64
	var mu sync.Mutex
	var writeErrs []error
	d := &net.Dialer{}
	hc := sdkHTTPClient(func(ctx context.Context, n, a string) (net.Conn, error) {
		dialed.Add(1)
		return d.DialContext(ctx, n, a)
	}, func(err error) {
		if err != nil {
			mu.Lock()
			writeErrs = append(writeErrs, err)
			mu.Unlock()
		}
	})
	c := cwl.NewFromConfig(aws.Config{Region: "us-east-1", Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")},
		func(o *cwl.Options) { o.BaseEndpoint, o.RetryMaxAttempts, o.HTTPClient = aws.String(hs.URL), 1, hc })
	ctx := context.Background()
	if err := ts.st.CreateGroup(store.GroupSpec{Name: "g"}); err != nil {
		t.Fatal(err)
	}
	if err := ts.st.CreateStream("g", "s"); err != nil {
		t.Fatal(err)
	}
	const events = 40_000
	first := ts.clock.UnixMilli() - 3_600_000
	batch := make([]store.Event, 0, 10_000)
	for i := range events {
		batch = append(batch, store.Event{Timestamp: first + int64(i)*3_600_000/events, Message: fmt.Sprintf("sshd[%d]: Accepted publickey req=%08d", i%3000, i)})
		if len(batch) == cap(batch) {
			if _, err := ts.st.Put("g", "s", batch); err != nil {
				t.Fatal(err)
			}
			batch = batch[:0]
		}
	}
	queries := 40
	if testing.Short() {
		queries = 10
	}
	polls := 0
	for q := range queries {
		src := []string{"stats count(*) by bin(5m)", "fields @timestamp, @message | sort @timestamp desc | limit 20"}[q%2]
		out := must(c.StartQuery(ctx, &cwl.StartQueryInput{LogGroupName: aws.String("g"), QueryString: aws.String(src),
			StartTime: aws.Int64(first / 1000), EndTime: aws.Int64(ts.clock.Unix())}))(t)
		for {
			polls++
			r := must(c.GetQueryResults(ctx, &cwl.GetQueryResultsInput{QueryId: out.QueryId}))(t)
			if r.Status == types.QueryStatusComplete {
				if r.Statistics.RecordsScanned != events {
					t.Fatalf("query %d scanned %v events, want %d", q, r.Statistics.RecordsScanned, events)
				}
				break
			}
			if r.Status != types.QueryStatusRunning && r.Status != types.QueryStatusScheduled {
				t.Fatalf("query %d ended %s", q, r.Status)
			}
		}
	}
	mu.Lock()
	defer mu.Unlock()
	if len(writeErrs) > 0 {
		t.Errorf("%d requests not written whole, first: %v", len(writeErrs), writeErrs[0])
	}
	if dialed.Load() != 1 || opened.Load() != 1 || closed.Load() != 0 {
		t.Errorf("%d queries, %d polls: client dialed %d connections, server opened %d and closed %d; want 1, 1, 0",
			queries, polls, dialed.Load(), opened.Load(), closed.Load())
	}
}
