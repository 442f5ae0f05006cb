package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
)

// maxBatchEvents is the PutLogEvents event limit. A crash may repeat only
// the batch in flight (one per stream with the default concurrency): an ack
// is in the checkpoint journal before the next batch is sent.
const (
	maxBatchEvents   = 10_000
	maxRepeatBatches = 1
)

// TestAgentKill9 ships a pre-written file, kills the agent with SIGKILL while it
// is shipping, restarts it, and checks that no line is lost and that at most one
// batch of lines is repeated; then a graceful stop and restart repeats nothing.
func TestAgentKill9(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the kill -9 run in -short mode")
	}
	const total = 1_000_000
	dir := t.TempDir()
	logPath := filepath.Join(dir, "app.log")
	lines := make([]string, total)
	for i := range lines {
		lines[i] = fmt.Sprintf("Nov 26 05:40:01 web-1 app[42]: seq=%07d request handled path=/api/v1/items status=200", i)
	}
	appendLines(t, logPath, lines)

	addr := freeAddr(t)
	srv := start(t, "server", nil, "server", "--listen", addr, "--data", filepath.Join(dir, "data"))
	waitListening(t, addr, srv)
	cfg, _ := json.Marshal(map[string]any{
		"agent": map[string]any{"region": "us-east-1", "logfile": ""},
		"logs": map[string]any{"endpoint_override": "http://" + addr, "force_flush_interval": 1,
			"logs_collected": map[string]any{"files": map[string]any{"collect_list": []any{
				map[string]any{"file_path": logPath, "log_group_name": "/e2e/crash", "log_stream_name": "s"}}}}},
	})
	cfgPath := filepath.Join(dir, "agent.json")
	os.WriteFile(cfgPath, cfg, 0o644)
	state := filepath.Join(dir, "state")
	c := client(addr)
	count := func() int {
		msgs, _, err := readStream(context.Background(), c, "/e2e/crash", "s")
		if err != nil {
			return 0
		}
		return len(msgs)
	}

	// newest is the sequence number of the newest event stored: a cheap progress probe.
	newest := func() int {
		out, err := c.GetLogEvents(context.Background(), &cloudwatchlogs.GetLogEventsInput{
			LogGroupName: aws.String("/e2e/crash"), LogStreamName: aws.String("s"), Limit: aws.Int32(1)})
		if err != nil || len(out.Events) == 0 {
			return 0
		}
		_, rest, _ := strings.Cut(aws.ToString(out.Events[0].Message), "seq=")
		n, _ := strconv.Atoi(rest[:7])
		return n
	}

	agent := start(t, "agent1", nil, "agent", "-c", cfgPath, "--state-dir", state)
	deadline := time.Now().Add(60 * time.Second)
	for newest() < total/4 {
		if time.Now().After(deadline) {
			t.Fatalf("agent shipped up to seq %d in 60s\n%s", newest(), tail(agent.output()))
		}
		time.Sleep(20 * time.Millisecond)
	}
	agent.kill() // SIGKILL
	atKill := newest()

	agent = start(t, "agent2", nil, "agent", "-c", cfgPath, "--state-dir", state)
	deadline = time.Now().Add(90 * time.Second)
	for {
		n := 0
		if newest() == total-1 {
			n = count()
		}
		if n >= total {
			// Let anything still in flight land before judging.
			time.Sleep(2 * time.Second)
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("after restart only %d of %d events arrived\n%s", n, total, tail(agent.output()))
		}
		time.Sleep(100 * time.Millisecond)
	}
	agent.stop(t)

	msgs, _, err := readStream(context.Background(), c, "/e2e/crash", "s")
	if err != nil {
		t.Fatal(err)
	}
	seen := make([]int, total)
	for _, m := range msgs {
		_, rest, _ := strings.Cut(m, "seq=")
		seq, err := strconv.Atoi(rest[:7])
		if err != nil {
			t.Fatalf("bad event %q", m)
		}
		seen[seq]++
	}
	dups, first, last := 0, -1, -1
	for seq, n := range seen {
		if n == 0 {
			t.Fatalf("line seq=%d lost across kill -9", seq)
		}
		if n > 1 {
			if first < 0 {
				first = seq
			}
			last = seq
		}
		dups += n - 1
	}
	// One batch is a run of consecutive lines, each sent twice.
	if dups > 0 && (dups != last-first+1 || seen[first] != 2) {
		t.Fatalf("repeated lines are not one batch: %d repeats over seq %d..%d", dups, first, last)
	}
	if dups > maxRepeatBatches*maxBatchEvents {
		t.Fatalf("%d lines repeated after kill -9, want at most the batches in flight (%d)", dups, maxRepeatBatches*maxBatchEvents)
	}
	t.Logf("killed with events up to seq %d delivered; after restart: %d events, 0 lost, %d repeated", atKill, len(msgs), dups)

	// A graceful stop and restart sends nothing again.
	agent = start(t, "agent3", nil, "agent", "-c", cfgPath, "--state-dir", state)
	time.Sleep(3 * time.Second)
	agent.stop(t)
	if n := count(); n != len(msgs) {
		t.Fatalf("a restart after a graceful stop changed the stream from %d to %d events", len(msgs), n)
	}
}
