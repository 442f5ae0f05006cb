// Package cwltest runs the embedded CloudWatch Logs server on a loopback
// port for tests and ships parsed log lines to it with the real SDK client,
// so that a central review (source.CloudWatch, review --source server) can
// be compared with the review of the same file.
package cwltest

import (
	"context"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/logwarden/logwarden/internal/review/parse"
	"github.com/logwarden/logwarden/internal/server"
	"github.com/logwarden/logwarden/internal/store"
)

// batchSpan is the most event time one PutLogEvents carries here: the API
// rejects batches spanning more than 24 h.
const batchSpan = 12 * time.Hour

// Server is the embedded server with a clock the test sets: the server
// rejects events too old or too far ahead of its now, so Ship moves the
// clock along with the events it puts.
type Server struct {
	URL    string
	Client *cwl.Client

	mu    sync.Mutex
	clock time.Time
}

// Start starts the server on 127.0.0.1 with its store in a temporary
// directory and the clock at clock; it stops when the test ends. Client is
// an SDK client for region with static test credentials.
func Start(tb testing.TB, region string, clock time.Time) *Server {
	tb.Helper()
	s := &Server{clock: clock}
	st, err := store.Open(store.Options{Dir: filepath.Join(tb.TempDir(), "data"), RetentionInterval: -1, Now: s.now})
	if err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() { st.Close() })
	srv, err := server.New(st, server.Options{Now: s.now})
	if err != nil {
		tb.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	tb.Cleanup(hs.Close)
	s.URL = hs.URL
	s.Client = cwl.New(cwl.Options{Region: region, BaseEndpoint: aws.String(hs.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")})
	return s
}

func (s *Server) now() time.Time {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.clock
}

// SetClock sets the server's now.
func (s *Server) SetClock(t time.Time) {
	s.mu.Lock()
	s.clock = t
	s.mu.Unlock()
}

// Ship creates group and stream and puts the raw line of every record at
// the record's time, in batches of at most batchSpan, with the clock a
// minute after each batch's last event. It fails the test if the server
// rejects any event.
func (s *Server) Ship(tb testing.TB, group, stream string, recs []parse.Record) {
	tb.Helper()
	ctx := context.Background()
	if _, err := s.Client.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String(group)}); err != nil {
		tb.Fatal(err)
	}
	if _, err := s.Client.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)}); err != nil {
		tb.Fatal(err)
	}
	var batch []types.InputLogEvent
	flush := func() {
		if len(batch) == 0 {
			return
		}
		s.SetClock(time.UnixMilli(aws.ToInt64(batch[len(batch)-1].Timestamp)).Add(time.Minute))
		out, err := s.Client.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream), LogEvents: batch})
		if err != nil {
			tb.Fatal(err)
		}
		if out.RejectedLogEventsInfo != nil {
			tb.Fatalf("events rejected: %+v", out.RejectedLogEventsInfo)
		}
		batch = nil
	}
	for _, r := range recs {
		if len(batch) > 0 && r.Time.UnixMilli()-aws.ToInt64(batch[0].Timestamp) > batchSpan.Milliseconds() {
			flush()
		}
		batch = append(batch, types.InputLogEvent{Message: aws.String(r.Raw), Timestamp: aws.Int64(r.Time.UnixMilli())})
	}
	flush()
}
