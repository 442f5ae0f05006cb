package main

import (
	"context"
	"encoding/json"
	"net/http/httptest"
	"os"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"

	"github.com/logwarden/logwarden/internal/review/parse"
	"github.com/logwarden/logwarden/internal/review/report"
	"github.com/logwarden/logwarden/internal/review/source"
	"github.com/logwarden/logwarden/internal/server"
	"github.com/logwarden/logwarden/internal/store"
)

// TestReview_ServerSource ships the fixture secure to the embedded server
// with the real SDK client, then runs `logwarden review --source server` on
// it and checks that the central review judges like the review of the file.
func TestReview_ServerSource(t *testing.T) {
	secure := filepath.Join(fixtureRoot, "var", "log", "secure")
	if _, err := os.Stat(secure); err != nil {
		t.Skipf("fixture missing: %v", err)
	}
	kst, _ := time.LoadLocation("Asia/Seoul")
	start := time.Date(2026, 11, 1, 0, 0, 0, 0, kst)
	end := start.AddDate(0, 1, 0)

	// The file review, from a tree holding only that file.
	root := t.TempDir()
	os.MkdirAll(filepath.Join(root, "var", "log"), 0o755)
	data, _ := os.ReadFile(secure)
	os.WriteFile(filepath.Join(root, "var", "log", "secure"), data, 0o644)
	fileDir := filepath.Join(t.TempDir(), "files")
	if _, stderr, err := runCmd(t, "review", "--period", "2026-11", "--root", root, "--out", fileDir, "--no-pdf"); err != nil {
		t.Fatalf("file review: %v\n%s", err, stderr)
	}
	var recs []parse.Record
	if _, err := source.Files(context.Background(), source.FileOptions{Root: root, Start: start, End: end, Zone: kst},
		func(r *parse.Record) error { recs = append(recs, *r); return nil }); err != nil {
		t.Fatal(err)
	}

	var mu sync.Mutex
	clock := start
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
	ctx := context.Background()
	client := cwl.New(cwl.Options{Region: "us-east-1", BaseEndpoint: aws.String(hs.URL), RetryMaxAttempts: 1,
		Credentials: credentials.NewStaticCredentialsProvider("AKIDTEST", "secret", "")})
	group, stream := "/var/log/secure", "web01"
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
		if _, err := client.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: aws.String(group), LogStreamName: aws.String(stream), LogEvents: batch}); err != nil {
			t.Fatal(err)
		}
		batch = nil
	}
	for _, r := range recs {
		if len(batch) > 0 && r.Time.UnixMilli()-aws.ToInt64(batch[0].Timestamp) > 12*3600*1000 {
			flush()
		}
		batch = append(batch, types.InputLogEvent{Message: aws.String(r.Raw), Timestamp: aws.Int64(r.Time.UnixMilli())})
	}
	flush()

	srvDir := filepath.Join(t.TempDir(), "server")
	_, stderr, err := runCmd(t, "review", "--period", "2026-11", "--source", "server", "--endpoint", hs.URL,
		"--log-group", group, "--out", srvDir, "--no-pdf")
	if err != nil {
		t.Fatalf("server review: %v\n%s", err, stderr)
	}
	fileRep, srvRep := readReport(t, fileDir), readReport(t, srvDir)
	fv, sv := map[string]string{}, map[string]string{}
	for _, c := range fileRep.Checks {
		fv[c.ID] = string(c.Verdict) + "/" + itoa(c.Examined)
	}
	for _, c := range srvRep.Checks {
		sv[c.ID] = string(c.Verdict) + "/" + itoa(c.Examined)
	}
	for _, id := range []string{"R01", "R02", "R03", "R04", "R05", "R06", "R07", "R08", "R09", "R11", "R15", "R17"} {
		if fv[id] != sv[id] {
			t.Errorf("%s: file review %s, server review %s", id, fv[id], sv[id])
		}
	}
	if srvRep.Scope.Mode != "server" || len(srvRep.Inputs) != 1 || srvRep.Inputs[0].LogGroup != group {
		t.Errorf("server inputs = %+v", srvRep.Inputs)
	}
}

func readReport(t *testing.T, dir string) *report.Report {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(dir, "report.json"))
	if err != nil {
		t.Fatal(err)
	}
	var r report.Report
	if err := json.Unmarshal(b, &r); err != nil {
		t.Fatal(err)
	}
	return &r
}

func itoa(n int) string { b, _ := json.Marshal(n); return string(b) }
