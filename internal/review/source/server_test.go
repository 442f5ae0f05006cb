package source

import (
	"context"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/logwarden/logwarden/internal/review/parse"
	"github.com/logwarden/logwarden/internal/review/source/cwltest"
)

// TestCloudWatchAgainstEmbeddedServer ships the fixture secure to the
// embedded server with the real SDK client (PutLogEvents) and checks that
// reading it back through CloudWatch yields the same records as reading the
// file: the central review sees what a local review sees.
func TestCloudWatchAgainstEmbeddedServer(t *testing.T) {
	srv := cwltest.Start(t, "ap-northeast-2", time.Date(2026, 11, 1, 0, 0, 0, 0, time.UTC))
	client := srv.Client
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

	// ship every in-period line (the API rejects batches spanning more
	// than 24 h and events older than 14 days)
	group, stream := "/var/log/secure", "i-0abc"
	srv.Ship(t, group, stream, local)
	srv.SetClock(end.Add(time.Hour))

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
	if _, err := CloudWatch(ctx, CloudWatchOptions{Endpoint: srv.URL, Groups: []string{group}, Start: start, End: end, Zone: kst},
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
