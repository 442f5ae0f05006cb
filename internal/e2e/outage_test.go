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
)

// outageRSSLimit is the bound on the agent's memory whatever the
// backlog.
const outageRSSLimit = 64 << 20

// TestAgentOutage stops the server while the agent has a 53 MB backlog to
// ship, checks that the agent stops reading ahead and stays under 64 MiB
// while it retries, then restarts the server and checks that every line
// arrives exactly once and in order.
func TestAgentOutage(t *testing.T) {
	if testing.Short() {
		t.Skip("skipping the outage run in -short mode")
	}
	const before, during = 20_000, 600_000
	dir := t.TempDir()
	logPath := filepath.Join(dir, "app.log")
	line := func(i int) string {
		return fmt.Sprintf("Nov 26 05:40:01 web-1 app[42]: seq=%07d request handled path=/api/v1/items status=200", i)
	}
	var lines []string
	for i := range before {
		lines = append(lines, line(i))
	}
	appendLines(t, logPath, lines)

	addr := freeAddr(t)
	data := filepath.Join(dir, "data")
	srv := start(t, "server1", nil, "server", "--listen", addr, "--data", data)
	waitListening(t, addr, srv)
	cfg, _ := json.Marshal(map[string]any{
		"agent": map[string]any{"region": "us-east-1", "logfile": ""},
		"logs": map[string]any{"endpoint_override": "http://" + addr, "force_flush_interval": 1,
			"logs_collected": map[string]any{"files": map[string]any{"collect_list": []any{
				map[string]any{"file_path": logPath, "log_group_name": "/e2e/outage", "log_stream_name": "s"}}}}},
	})
	cfgPath := filepath.Join(dir, "agent.json")
	os.WriteFile(cfgPath, cfg, 0o644)
	agent := start(t, "agent", nil, "agent", "-c", cfgPath, "--state-dir", filepath.Join(dir, "state"))
	c := client(addr)
	count := func() int {
		msgs, _, err := readStream(context.Background(), c, "/e2e/outage", "s")
		if err != nil {
			return 0
		}
		return len(msgs)
	}
	waitUntil(t, 60*time.Second, func() bool { return count() == before }, agent)

	// The outage: the server goes away, the file grows by 53 MB.
	srv.stop(t)
	pid := agent.cmd.Process.Pid
	read0 := procIO(t, pid, "rchar")
	lines = lines[:0]
	for i := before; i < before+during; i++ {
		lines = append(lines, line(i))
	}
	appendLines(t, logPath, lines)
	backlog := int64(len(strings.Join(lines, "\n")) + 1)
	time.Sleep(8 * time.Second) // retries back off; reading must have paused
	rss, hwm := procKiB(t, pid, "VmRSS"), procKiB(t, pid, "VmHWM")
	read := procIO(t, pid, "rchar") - read0
	t.Logf("during the outage: RSS %d KiB, peak %d KiB, read %d of the %d-byte backlog", rss, hwm, read, backlog)
	if hwm*1024 > outageRSSLimit {
		t.Errorf("peak RSS %d KiB during the outage, want at most %d MiB", hwm, outageRSSLimit>>20)
	}
	if read >= backlog/2 {
		t.Errorf("the agent read %d bytes of the %d-byte backlog while the destination was down: reading did not pause", read, backlog)
	}

	srv = start(t, "server2", nil, "server", "--listen", addr, "--data", data)
	waitListening(t, addr, srv)
	total := before + during
	waitUntil(t, 120*time.Second, func() bool { return count() >= total }, agent)
	time.Sleep(time.Second) // anything still in flight lands before judging
	agent.stop(t)
	msgs, _, err := readStream(context.Background(), c, "/e2e/outage", "s")
	if err != nil {
		t.Fatal(err)
	}
	if len(msgs) != total {
		t.Fatalf("%d events after the outage, want %d (exactly once)", len(msgs), total)
	}
	for i, m := range msgs {
		if m != line(i) {
			t.Fatalf("event %d = %q, want %q (in order, exactly once)", i, m, line(i))
		}
	}
}

// waitUntil polls cond until it holds, failing after d with the agent's log.
func waitUntil(t *testing.T, d time.Duration, cond func() bool, agent *proc) {
	t.Helper()
	deadline := time.Now().Add(d)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("condition not met within %s\n%s", d, tail(agent.output()))
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// procKiB reads a "Name: N kB" line of /proc/PID/status.
func procKiB(t *testing.T, pid int, name string) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, name+":"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(strings.TrimSuffix(strings.TrimSpace(v), "kB")), 10, 64)
			if err != nil {
				t.Fatalf("%s: %v", l, err)
			}
			return n
		}
	}
	t.Fatalf("no %s in /proc/%d/status", name, pid)
	return 0
}

// procIO reads a field of /proc/PID/io (rchar: bytes read by any read call).
func procIO(t *testing.T, pid int, name string) int64 {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/io", pid))
	if err != nil {
		t.Skipf("cannot read /proc/%d/io: %v", pid, err)
	}
	for _, l := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(l, name+":"); ok {
			n, err := strconv.ParseInt(strings.TrimSpace(v), 10, 64)
			if err != nil {
				t.Fatalf("%s: %v", l, err)
			}
			return n
		}
	}
	t.Fatalf("no %s in /proc/%d/io", name, pid)
	return 0
}
