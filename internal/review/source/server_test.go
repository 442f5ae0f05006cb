package source

import (
	"context"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
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

// TestCloudWatchAgainstEmbeddedServer ships the fixture secure to the
// embedded server with the real SDK client (PutLogEvents) and checks that
// reading it back through CloudWatch yields the same records as reading the
// file: the central review sees what a local review sees.
func TestCloudWatchAgainstEmbeddedServer(t *testing.T) {
	var mu sync.Mutex
	clock := time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC)
	now := func() time.Time { mu.Lock(); defer mu.Unlock(); return clock }
	st, err := store.Open(store.Options{Dir: filepath.Join(t.TempDir(), "data"), RetentionInterval: -1, Now: now})
	if err != nil {
		t.Fatal(err)
	}
	defer st.Close()
	srv, err := server.New(st, server.Options{Now: now})
	if err != nil {
		t.Fatal(err)
	}
	hs := httptest.NewServer(srv)
	defer hs.Close()
	client := cwl.New(cwl.Options{Region: "ap-northeast-2", BaseEndpoint: aws.String(hs.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")})
	ctx := context.Background()

	// local reading of the fixture secure
	root := t.TempDir()
	data, err := os.ReadFile(filepath.Join("..", "testdata", "rhel-kst", "var", "log", "secure"))
	if err != nil {
		t.Fatal(err)
	}
	if err := os.MkdirAll(filepath.Join(root, "var", "log"), 0o755); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(filepath.Join(root, "var", "log", "secure"), data, 0o644); err != nil {
		t.Fatal(err)
	}
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, kst)
	end := start.AddDate(0, 1, 0)
	local := readRecords(t, root, start, end, kst)

	// ship every in-period line, one PutLogEvents per day (the API rejects
	// batches spanning more than 24 h and events older than 14 days)
	group, stream := "/var/log/secure", "i-0abc"
	if _, err := client.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String(group)}); err != nil {
		t.Fatal(err)
	}
	if _, err := client.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream)}); err != nil {
		t.Fatal(err)
	}
	var batch []types.InputLogEvent
	flush := func() {
		if len(batch) == 0 {
			return
		}
		mu.Lock()
		clock = time.UnixMilli(aws.ToInt64(batch[len(batch)-1].Timestamp)).Add(time.Minute)
		mu.Unlock()
		out, err := client.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream), LogEvents: batch})
		if err != nil {
			t.Fatal(err)
		}
		if out.RejectedLogEventsInfo != nil {
			t.Fatalf("events rejected: %+v", out.RejectedLogEventsInfo)
		}
		batch = nil
	}
	for _, r := range local {
		if len(batch) > 0 && r.Time.UnixMilli()-aws.ToInt64(batch[0].Timestamp) > 12*3600*1000 {
			flush()
		}
		batch = append(batch, types.InputLogEvent{Message: aws.String(r.Raw), Timestamp: aws.Int64(r.Time.UnixMilli())})
	}
	flush()
	mu.Lock()
	clock = end.Add(time.Hour)
	mu.Unlock()

	var central []parse.Record
	inputs, err := CloudWatch(ctx, CloudWatchOptions{Client: client, Groups: []string{group}, Start: start, End: end, Zone: kst},
		func(r *parse.Record) error { central = append(central, *r); return nil })
	if err != nil {
		t.Fatal(err)
	}
	if len(inputs) != 1 || inputs[0].Name != "/var/log/secure/i-0abc" || inputs[0].Class != ClassAuth || inputs[0].InPeriod != int64(len(local)) {
		t.Fatalf("inputs %+v", inputs)
	}
	if len(central) != len(local) || len(local) < 50 {
		t.Fatalf("central %d records, local %d", len(central), len(local))
	}
	// the same through an endpoint URL alone, with no AWS credentials anywhere
	for _, k := range []string{"AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN", "AWS_PROFILE"} {
		t.Setenv(k, "")
	}
	t.Setenv("AWS_EC2_METADATA_DISABLED", "true") // never reach for the instance metadata address
	t.Setenv("AWS_CONFIG_FILE", filepath.Join(t.TempDir(), "none"))
	t.Setenv("AWS_SHARED_CREDENTIALS_FILE", filepath.Join(t.TempDir(), "none"))
	n := 0
	if _, err := CloudWatch(ctx, CloudWatchOptions{Endpoint: hs.URL, Groups: []string{group}, Start: start, End: end, Zone: kst},
		func(*parse.Record) error { n++; return nil }); err != nil || n != len(local) {
		t.Fatalf("endpoint-only read: %d records, %v", n, err)
	}
	key := func(r parse.Record) string {
		return strings.Join([]string{r.Time.UTC().Format(time.RFC3339Nano), string(r.Kind), r.Program, r.User, r.TargetUser, r.SrcIP,
			r.Method, r.Command, r.Detail, r.Raw}, "|")
	}
	for i := range local {
		if key(local[i]) != key(central[i]) {
			t.Errorf("record %d:\n local   %s\n central %s", i, key(local[i]), key(central[i]))
		}
	}
}
