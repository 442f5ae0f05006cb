package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/logwarden/logwarden/internal/testutil"
)

const (
	rotationLines   = 200_000
	rotationChunk   = 500
	rotationEvery   = 20_000 // lines between rotations
	tsLayout        = "2006-01-02 15:04:05.000"
	rotationGroup   = "/e2e/app"
	rotationStream  = "host-1"
	deliveryTimeout = 90 * time.Second
)

// TestAgentRotationExactlyOnce runs the built binary: `logwarden server` as the
// destination and `logwarden agent` with a CloudWatch Agent JSON config, while
// 200,000 lines are written and the real logrotate rotates the file, alternating
// rename+create (under continuous writing) and copytruncate. Every line must
// arrive exactly once, in order, with the timestamp written in the line.
//
// logrotate's copytruncate loses whatever a program appends between the copy
// and the truncate (logrotate(8) says so); no tailer can recover that, so the
// writer pauses across a copytruncate and the test waits until the agent has
// delivered what was written before it, which is what the rotation itself
// must not lose.
func TestAgentRotationExactlyOnce(t *testing.T) {
	logrotate := testutil.Peer(t, "logrotate", "apt-get install logrotate")
	if testing.Short() {
		t.Skip("skipping the 200,000-line rotation run in -short mode")
	}
	dir := t.TempDir()
	if keep := os.Getenv("LOGWARDEN_E2E_KEEP"); keep != "" {
		dir = keep
	}
	logPath := filepath.Join(dir, "logs", "app.log")
	if err := os.MkdirAll(filepath.Dir(logPath), 0o755); err != nil {
		t.Fatal(err)
	}
	addr := freeAddr(t)
	srv := start(t, "server", nil, "server", "--listen", addr, "--data", filepath.Join(dir, "data"))
	waitListening(t, addr, srv)

	cfg := map[string]any{
		"agent": map[string]any{"region": "us-east-1", "logfile": ""},
		"logs": map[string]any{
			"endpoint_override":    "http://" + addr,
			"force_flush_interval": 1,
			"logs_collected": map[string]any{"files": map[string]any{"collect_list": []any{
				map[string]any{
					"file_path":        logPath,
					"log_group_name":   rotationGroup,
					"log_stream_name":  rotationStream,
					"timezone":         "UTC",
					"timestamp_format": "%Y-%m-%d %H:%M:%S.%f",
				},
			}}},
		},
	}
	cfgPath := filepath.Join(dir, "agent.json")
	data, _ := json.Marshal(cfg)
	if err := os.WriteFile(cfgPath, data, 0o644); err != nil {
		t.Fatal(err)
	}
	agent := start(t, "agent", nil, "agent", "-c", cfgPath, "--state-dir", filepath.Join(dir, "state"), "--log-level", os.Getenv("LOGWARDEN_E2E_LOG_LEVEL"))

	rotConf := func(kind string) string {
		p := filepath.Join(dir, "logrotate-"+kind+".conf")
		body := fmt.Sprintf("%s {\n  rotate 100\n  %s\n  nocompress\n  missingok\n}\n", logPath, kind)
		if err := os.WriteFile(p, []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
		return p
	}
	createConf, truncConf := rotConf("create"), rotConf("copytruncate")
	rotate := func(conf string) {
		out, err := exec.Command(logrotate, "-f", "-s", filepath.Join(dir, "logrotate.state"), conf).CombinedOutput()
		if err != nil {
			t.Fatalf("logrotate %s: %v\n%s", conf, err, out)
		}
	}

	c := client(addr)
	ctx := context.Background()
	waitCount := func(n int) {
		t.Helper()
		deadline := time.Now().Add(deliveryTimeout)
		for {
			msgs, _, err := readStream(ctx, c, rotationGroup, rotationStream)
			if err == nil && len(msgs) >= n {
				return
			}
			if time.Now().After(deadline) {
				agent.cmd.Process.Signal(syscall.SIGQUIT) // the Go runtime prints every goroutine's stack
				time.Sleep(time.Second)
				t.Fatalf("only %d of %d events arrived within %s (last error %v)\nagent output (%s):\n%s", len(msgs), n, deliveryTimeout, err, agent.out, tail(agent.output()))
			}
			time.Sleep(200 * time.Millisecond)
		}
	}

	want := make([]int64, 0, rotationLines)
	rotations := 0
	var last time.Time
	for seq := 0; seq < rotationLines; seq += rotationChunk {
		lines := make([]string, rotationChunk)
		// Timestamps never go backwards, as in a real log: the server orders
		// a stream by timestamp, so the check below can compare by sequence.
		now := time.Now().UTC().Truncate(time.Millisecond)
		if now.Before(last) {
			now = last
		}
		last = now
		for i := range lines {
			ts := now
			lines[i] = fmt.Sprintf("%s seq=%07d host-1 app[42]: request handled path=/api/v1/items status=200", ts.Format(tsLayout), seq+i)
			want = append(want, ts.UnixMilli())
		}
		appendLines(t, logPath, lines)
		if seq == 0 {
			// The agent must be following the file before it is first rotated:
			// a file rotated away before the agent ever saw it is not the
			// newest match of file_path, so it is (rightly) never read.
			waitCount(1)
		}
		if (seq+rotationChunk)%rotationEvery == 0 && seq+rotationChunk < rotationLines {
			rotations++
			if rotations%2 == 1 {
				rotate(createConf) // rename+create while the agent is reading
			} else {
				waitCount(seq + rotationChunk)
				rotate(truncConf)
			}
		}
	}
	waitCount(rotationLines)
	agent.stop(t)

	msgs, ts, err := readStream(ctx, c, rotationGroup, rotationStream)
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != rotationLines {
		t.Fatalf("got %d events, want exactly %d", len(msgs), rotationLines)
	}
	for i, m := range msgs {
		_, rest, ok := strings.Cut(m, "seq=")
		if !ok || len(rest) < 7 {
			t.Fatalf("event %d has no seq: %q", i, m)
		}
		seq, err := strconv.Atoi(rest[:7])
		if err != nil {
			t.Fatalf("event %d: bad seq in %q", i, m)
		}
		if seq != i {
			t.Fatalf("event %d carries seq %d: lost, duplicated or out of order (message %q)", i, seq, m)
		}
		if ts[i] != want[i] {
			t.Fatalf("event %d timestamp %d, want %d (%s)", i, ts[i], want[i], time.UnixMilli(want[i]).UTC().Format(tsLayout))
		}
	}
	t.Logf("%d lines, %d rotations (%d rename+create, %d copytruncate): every line exactly once, in order, right timestamps",
		rotationLines, rotations, (rotations+1)/2, rotations/2)
}
