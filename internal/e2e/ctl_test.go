package e2e

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// ctlRun runs `logwarden ctl ARGS --root root` with the process supervisor.
func ctlRun(t *testing.T, root string, args ...string) (string, error) {
	t.Helper()
	cmd := exec.Command(binary(t), append(append([]string{"ctl"}, args...), "--root", root)...)
	cmd.Env = append(os.Environ(), "LOGWARDEN_CTL_SUPERVISOR=process", "AWS_EC2_METADATA_DISABLED=true",
		"AWS_ACCESS_KEY_ID=e2e", "AWS_SECRET_ACCESS_KEY=e2e", "AWS_REGION=us-east-1")
	out, err := cmd.CombinedOutput()
	return string(out), err
}

type ctlStatus struct {
	Status, StartTime, ConfigStatus, Version string
}

func status(t *testing.T, root string) ctlStatus {
	t.Helper()
	out, err := ctlRun(t, root, "-a", "status")
	if err != nil {
		t.Fatalf("ctl status: %v\n%s", err, out)
	}
	var st ctlStatus
	if err := json.Unmarshal([]byte(out), &st); err != nil {
		t.Fatalf("status is not JSON: %v\n%s", err, out)
	}
	return st
}

// TestCtlFetchConfigStartStop drives the seed's command line,
// `ctl -a fetch-config -m onPremise -c file:CONFIG -s`, against a local server:
// the config is validated and installed, the agent starts in the background,
// status says running, the file's lines arrive, and stop stops it.
func TestCtlFetchConfigStartStop(t *testing.T) {
	dir := t.TempDir()
	root := filepath.Join(dir, "root")
	addr := freeAddr(t)
	srv := start(t, "server", nil, "server", "--listen", addr, "--data", filepath.Join(dir, "data"))
	waitListening(t, addr, srv)

	logPath := filepath.Join(dir, "messages")
	var lines []string
	for i := 0; i < 100; i++ {
		lines = append(lines, fmt.Sprintf("Nov 26 05:40:%02d web-1 systemd[1]: unit %d started", i%60, i))
	}
	appendLines(t, logPath, lines)
	cfg := fmt.Sprintf(`{"agent":{"region":"us-east-1"},"logs":{"endpoint_override":"http://%s","force_flush_interval":1,
  "logs_collected":{"files":{"collect_list":[{"file_path":%q,"log_group_name":"/var/log/messages","log_stream_name":"web-1"}]}}}}`, addr, logPath)
	cfgPath := filepath.Join(dir, "logs.json")
	if err := os.WriteFile(cfgPath, []byte(cfg), 0o644); err != nil {
		t.Fatal(err)
	}

	// A bad config is refused with its JSON path, and nothing is installed.
	bad := filepath.Join(dir, "bad.json")
	os.WriteFile(bad, []byte(`{"logs":{"logs_collected":{"files":{"collect_list":[{"file_path":"/x","retention_in_days":8}]}}}}`), 0o644)
	out, err := ctlRun(t, root, "-a", "fetch-config", "-m", "onPremise", "-c", "file:"+bad, "-s")
	if err == nil || !strings.Contains(out, "collect_list[0].retention_in_days") {
		t.Fatalf("fetch-config of a bad config: err %v, output:\n%s\nwant a failure naming collect_list[0].retention_in_days", err, out)
	}
	if st := status(t, root); st.ConfigStatus != "not configured" || st.Status != "stopped" {
		t.Fatalf("after a refused config, status %+v, want stopped and not configured", st)
	}

	out, err = ctlRun(t, root, "-a", "fetch-config", "-m", "onPremise", "-c", "file:"+cfgPath, "-s")
	if err != nil {
		t.Fatalf("fetch-config: %v\n%s", err, out)
	}
	t.Cleanup(func() { ctlRun(t, root, "-a", "stop") })
	if _, err := os.Stat(filepath.Join(root, "etc", "amazon-cloudwatch-agent.d", "file_logs.json")); err != nil {
		t.Fatalf("config not installed as file_logs.json: %v", err)
	}
	st := status(t, root)
	if st.Status != "running" || st.ConfigStatus != "configured" || st.StartTime == "" {
		t.Fatalf("status after fetch-config -s: %+v, want running, configured, with a start time", st)
	}

	c := client(addr)
	deadline := time.Now().Add(30 * time.Second)
	for {
		msgs, _, err := readStream(context.Background(), c, "/var/log/messages", "web-1")
		if err == nil && len(msgs) == len(lines) {
			for i := range msgs {
				if msgs[i] != lines[i] {
					t.Fatalf("event %d = %q, want %q", i, msgs[i], lines[i])
				}
			}
			break
		}
		if time.Now().After(deadline) {
			logOut, _ := os.ReadFile(filepath.Join(root, "logs", "logwarden.log"))
			t.Fatalf("%d of %d lines arrived within 30s (err %v); agent log:\n%s", len(msgs), len(lines), err, tail(string(logOut)))
		}
		time.Sleep(100 * time.Millisecond)
	}

	if out, err := ctlRun(t, root, "-a", "stop"); err != nil {
		t.Fatalf("stop: %v\n%s", err, out)
	}
	if st := status(t, root); st.Status != "stopped" || st.ConfigStatus != "configured" {
		t.Fatalf("status after stop: %+v, want stopped and configured", st)
	}
	if out, err := ctlRun(t, root, "-a", "remove-config", "-c", "all"); err != nil {
		t.Fatalf("remove-config: %v\n%s", err, out)
	}
	if st := status(t, root); st.ConfigStatus != "not configured" {
		t.Fatalf("status after remove-config -c all: %+v, want not configured", st)
	}
}
