package server

import (
	"bufio"
	"context"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	cwl "github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs/types"
)

// buildBinary builds cmd/logwarden into a temporary directory.
func buildBinary(t *testing.T) string {
	t.Helper()
	bin := filepath.Join(t.TempDir(), "logwarden")
	cmd := exec.Command("go", "build", "-o", bin, "github.com/logwarden/logwarden/cmd/logwarden")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("build logwarden: %v\n%s", err, out)
	}
	return bin
}

// startBinary runs `logwarden server` on a free loopback port and returns the
// process and its endpoint URL.
func startBinary(t *testing.T, bin, dir string, extra ...string) (*exec.Cmd, string) {
	t.Helper()
	args := append([]string{"server", "--listen", "127.0.0.1:0", "--data", dir}, extra...)
	cmd := exec.Command(bin, args...)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	cmd.Stderr = io.Discard
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		cmd.Process.Kill()
		cmd.Wait()
	})
	lines := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if i := strings.Index(sc.Text(), "listening on "); i >= 0 {
				lines <- strings.Fields(sc.Text()[i+len("listening on "):])[0]
			}
		}
	}()
	select {
	case url := <-lines:
		return cmd, url
	case <-time.After(30 * time.Second):
		t.Fatal("server did not start")
	}
	return nil, ""
}

// TestCrashKeepsAcknowledgedEvents kills the server with SIGKILL while 8 writers
// put batches, restarts it, and checks that every acknowledged event is there
// exactly once (and that nothing is duplicated).
func TestCrashKeepsAcknowledgedEvents(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary and runs a load; skipped in -short")
	}
	bin := buildBinary(t)
	dir := filepath.Join(t.TempDir(), "data")
	srv, url := startBinary(t, bin, dir)
	ctx := context.Background()
	c := newClient(url, "AKID", "secret")
	must(c.CreateLogGroup(ctx, &cwl.CreateLogGroupInput{LogGroupName: aws.String("/crash")}))(t)
	const writers, batch = 8, 200
	for w := 0; w < writers; w++ {
		must(c.CreateLogStream(ctx, &cwl.CreateLogStreamInput{LogGroupName: aws.String("/crash"), LogStreamName: aws.String(fmt.Sprintf("w%d", w))}))(t)
	}
	var mu sync.Mutex
	acked := map[string]bool{}
	var wg sync.WaitGroup
	start := time.Now()
	for w := 0; w < writers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			wc := newClient(url, "AKID", "secret")
			for b := 0; ; b++ {
				evs := make([]types.InputLogEvent, batch)
				msgs := make([]string, batch)
				now := time.Now().UnixMilli()
				for i := range evs {
					msgs[i] = fmt.Sprintf("w%d b%d e%d %s", w, b, i, strings.Repeat("x", 100))
					evs[i] = types.InputLogEvent{Timestamp: aws.Int64(now), Message: aws.String(msgs[i])}
				}
				_, err := wc.PutLogEvents(ctx, &cwl.PutLogEventsInput{LogGroupName: aws.String("/crash"),
					LogStreamName: aws.String(fmt.Sprintf("w%d", w)), LogEvents: evs})
				if err != nil {
					return // the server is gone
				}
				mu.Lock()
				for _, m := range msgs {
					acked[m] = true
				}
				mu.Unlock()
			}
		}()
	}
	// Let the load run, then kill -9 in the middle of it.
	for {
		time.Sleep(100 * time.Millisecond)
		mu.Lock()
		n := len(acked)
		mu.Unlock()
		if n >= 20*batch || time.Since(start) > 20*time.Second {
			break
		}
	}
	if err := srv.Process.Kill(); err != nil {
		t.Fatal(err)
	}
	srv.Wait()
	wg.Wait()
	if len(acked) == 0 {
		t.Fatal("no batch was acknowledged before the kill")
	}

	srv, url = startBinary(t, bin, dir)
	c = newClient(url, "AKID", "secret")
	seen := map[string]int{}
	for w := 0; w < writers; w++ {
		p := cwl.NewGetLogEventsPaginator(c, &cwl.GetLogEventsInput{LogGroupName: aws.String("/crash"),
			LogStreamName: aws.String(fmt.Sprintf("w%d", w)), StartFromHead: aws.Bool(true)},
			func(o *cwl.GetLogEventsPaginatorOptions) { o.StopOnDuplicateToken = true })
		for p.HasMorePages() {
			// A read is retried (the paginator keeps its token on error): this
			// test judges what the store kept, not one connection of a loaded host.
			var page *cwl.GetLogEventsOutput
			var err error
			for attempt := 0; attempt < 3; attempt++ {
				if page, err = p.NextPage(ctx); err == nil {
					break
				}
				time.Sleep(200 * time.Millisecond)
			}
			for _, e := range must(page, err)(t).Events {
				seen[aws.ToString(e.Message)]++
			}
		}
	}
	for m, n := range seen {
		if n != 1 {
			t.Errorf("event %.20q stored %d times", m, n)
		}
	}
	missing := 0
	for m := range acked {
		if seen[m] != 1 {
			missing++
		}
	}
	if missing > 0 {
		t.Fatalf("%d of %d acknowledged events lost after kill -9", missing, len(acked))
	}
	t.Logf("%d acknowledged events survived kill -9 (%d stored in all)", len(acked), len(seen))
	// The hash chain is intact after the crash: batches are atomic.
	if err := srv.Process.Signal(os.Interrupt); err != nil {
		t.Fatal(err)
	}
	srv.Wait()
	out, err := exec.Command(bin, "verify", "--data", dir).CombinedOutput()
	if err != nil || !strings.Contains(string(out), "integrity: OK") {
		t.Fatalf("logwarden verify after kill -9: %v\n%s", err, out)
	}
}
