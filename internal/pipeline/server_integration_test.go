package pipeline

import (
	"context"
	"fmt"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"

	"github.com/logwarden/logwarden/internal/cloudwatch"
	"github.com/logwarden/logwarden/internal/server"
	"github.com/logwarden/logwarden/internal/store"
)

// TestPipeline_EmbeddedServer ships through the real client into logwarden's
// own server (SigV4 verified, faults injected) and reads every event back.
func TestPipeline_EmbeddedServer(t *testing.T) {
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true")
	dir := t.TempDir()
	st, err := store.Open(store.Options{Dir: filepath.Join(dir, "data"), RetentionInterval: -1})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	auth := filepath.Join(dir, "auth")
	if err := os.WriteFile(auth, []byte("AKIDTEST secret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	faults := map[string]int{}
	srv, err := server.New(st, server.Options{AuthFile: auth, Fault: func(op string) *server.APIError {
		mu.Lock()
		defer mu.Unlock()
		if op != "PutLogEvents" {
			return nil
		}
		faults[op]++
		switch faults[op] {
		case 2, 3:
			return &server.APIError{Status: 400, Code: "ThrottlingException", Message: "Rate exceeded"}
		case 5:
			return &server.APIError{Status: 503, Code: "ServiceUnavailableException", Message: "try later"}
		}
		return nil
	}})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()

	ctx := context.Background()
	n := 20_000
	if testing.Short() {
		n = 3_000
	}
	base := time.Now().Add(-time.Hour).UnixMilli()
	for _, tc := range []struct {
		name string
		comp cloudwatch.Compression
	}{{"gzip", cloudwatch.CompressionGzip}, {"plain", cloudwatch.CompressionNone}} {
		t.Run(tc.name, func(t *testing.T) {
			cl, err := cloudwatch.New(ctx, cloudwatch.Config{
				Region: "us-east-1", Endpoint: hs.URL, Compression: tc.comp,
				StaticCredentials: &aws.Credentials{AccessKeyID: "AKIDTEST", SecretAccessKey: "secret"},
			})
			if err != nil {
				t.Fatal(err)
			}
			opts := quick()
			opts.Concurrency = 2
			p := New(cl, opts)
			dst := Destination{Group: "/it/" + tc.name, Stream: "host-1", Class: "STANDARD", RetentionDays: 7}
			acks := newAckLog(t, tc.name)
			var want []string
			for i := range n {
				ts := base + int64(i)
				if i%10 == 3 {
					ts -= 5 // a little out of order
				}
				msg := fmt.Sprintf("%s line %06d \"quoted\" 한글 \t tab", tc.name, i)
				ev := Event{Timestamp: ts, Message: msg, Acker: acks, Offset: int64(i + 1)}
				if i%1000 == 999 {
					ev = Event{Skip: true, Acker: acks, Offset: int64(i + 1)}
				} else {
					want = append(want, msg)
				}
				if err := p.Put(ctx, dst, ev); err != nil {
					t.Fatal(err)
				}
			}
			flush(t, p)
			if acks.last() != int64(n) {
				t.Errorf("last ack %d, want %d", acks.last(), n)
			}
			eventually(t, "retention", func() bool {
				out, err := cl.Logs().DescribeLogGroups(ctx, &cwl.DescribeLogGroupsInput{LogGroupNamePrefix: aws.String(dst.Group)})
				return err == nil && len(out.LogGroups) == 1 && aws.ToInt32(out.LogGroups[0].RetentionInDays) == 7
			})
			closeP(t, p)

			var got []string
			var token *string
			for {
				out, err := cl.Logs().GetLogEvents(ctx, &cwl.GetLogEventsInput{
					LogGroupName: aws.String(dst.Group), LogStreamName: aws.String(dst.Stream),
					StartFromHead: aws.Bool(true), NextToken: token,
				})
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range out.Events {
					got = append(got, aws.ToString(e.Message))
				}
				if token != nil && aws.ToString(out.NextForwardToken) == *token {
					break
				}
				token = out.NextForwardToken
			}
			slices.Sort(got)
			slices.Sort(want)
			if len(got) != len(want) || !slices.Equal(got, want) {
				t.Errorf("read back %d events, want %d (exactly once)", len(got), len(want))
			}
			if s := p.Stats(); s.Retries == 0 && tc.name == "gzip" {
				t.Errorf("Retries = 0, want the injected faults retried")
			}
		})
	}
}
