package e2e

import (
	"bufio"
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/logwarden/logwarden/internal/testutil"
)

// awsCLIv2 returns the AWS CLI v2 (LOGWARDEN_AWS_CLI, else aws on PATH if it is v2).
func awsCLIv2(t *testing.T) string {
	t.Helper()
	cli := testutil.AWSCLI(t)
	out, err := exec.Command(cli, "--version").CombinedOutput()
	if err != nil || !strings.HasPrefix(string(out), "aws-cli/2") {
		testutil.MissingPeer(t, "the AWS CLI v2 is needed for `aws logs tail` (found "+strings.TrimSpace(string(out))+"); set LOGWARDEN_AWS_CLI or apt-get install awscli")
	}
	return cli
}

// upVisibleWithin bounds how long a line takes to be readable through the API
// under `up` (about 2 s: 1 s multi-line quiet period plus a 1 s flush; the
// bound leaves room for a loaded CI machine).
const upVisibleWithin = 10 * time.Second

// TestUp runs `logwarden up` on a host tree with an auth.log and a syslog:
// lines appended after start are readable through the API within seconds
// (the measured delay is logged), `aws logs tail` (CLI v2) prints them, and Ctrl-C
// (SIGINT) stops both cleanly.
func TestUp(t *testing.T) {
	cli := awsCLIv2(t)
	dir := t.TempDir()
	varLog := filepath.Join(dir, "var", "log")
	if err := os.MkdirAll(varLog, 0o755); err != nil {
		t.Fatal(err)
	}
	appendLines(t, filepath.Join(varLog, "auth.log"), []string{"Nov 26 05:40:01 web-1 sshd[812]: Accepted publickey for ec2-user from 192.0.2.10 port 50522 ssh2"})
	appendLines(t, filepath.Join(varLog, "syslog"), []string{"Nov 26 05:40:01 web-1 systemd[1]: Started Daily apt upgrade and clean activities."})
	addr := freeAddr(t)
	up := start(t, "up", nil, "up", "--listen", addr, "--data", filepath.Join(dir, "data"), "--var-log", varLog)
	waitListening(t, addr, up)

	// The banner names both logs and the command to read them.
	deadline := time.Now().Add(10 * time.Second)
	for !strings.Contains(up.output(), "aws logs tail") {
		if time.Now().After(deadline) {
			t.Fatalf("no banner after 10s:\n%s", up.output())
		}
		time.Sleep(50 * time.Millisecond)
	}
	for _, g := range []string{"/var/log/auth.log", "/var/log/syslog"} {
		if !strings.Contains(up.output(), "log group "+g) {
			t.Errorf("banner does not mention %s:\n%s", g, up.output())
		}
	}

	const fresh = "Nov 26 05:41:07 web-1 sudo: ec2-user : TTY=pts/0 ; PWD=/home/ec2-user ; USER=root ; COMMAND=/usr/bin/systemctl restart nginx"
	written := time.Now()
	appendLines(t, filepath.Join(varLog, "auth.log"), []string{fresh})
	c := client(addr)
	host, _ := os.Hostname()
	var got []string
	for {
		msgs, _, err := readStream(context.Background(), c, "/var/log/auth.log", host)
		if err == nil && len(msgs) == 2 {
			got = msgs
			break
		}
		if time.Since(written) > upVisibleWithin {
			t.Fatalf("after %s the stream holds %q (err %v), want both lines\n%s", upVisibleWithin, msgs, err, tail(up.output()))
		}
		time.Sleep(50 * time.Millisecond)
	}
	t.Logf("line visible through the API %.2fs after it was written", time.Since(written).Seconds())
	if got[1] != fresh {
		t.Fatalf("last event %q, want %q", got[1], fresh)
	}

	cmd := exec.Command(cli, "logs", "tail", "/var/log/auth.log", "--since", "1h", "--endpoint-url", "http://"+addr, "--region", "us-east-1")
	cmd.Env = append(os.Environ(), "AWS_ACCESS_KEY_ID=any", "AWS_SECRET_ACCESS_KEY=any", "AWS_PAGER=")
	out, err := cmd.CombinedOutput()
	if err != nil {
		t.Fatalf("aws logs tail: %v\n%s", err, out)
	}
	var lines []string
	sc := bufio.NewScanner(strings.NewReader(string(out)))
	for sc.Scan() {
		lines = append(lines, sc.Text())
	}
	// aws logs tail prints "<timestamp> <stream> <message>".
	re := regexp.MustCompile(`^\S+ ` + regexp.QuoteMeta(host) + ` (.*)$`)
	var msgs []string
	for _, l := range lines {
		if m := re.FindStringSubmatch(l); m != nil {
			msgs = append(msgs, m[1])
		}
	}
	if len(msgs) != 2 || msgs[1] != fresh {
		t.Fatalf("aws logs tail printed %d events %q, want the 2 auth.log lines; output:\n%s", len(msgs), msgs, out)
	}

	up.cmd.Process.Signal(os.Interrupt)
	select {
	case <-up.done:
		if up.err != nil {
			t.Fatalf("up exited with %v after Ctrl-C:\n%s", up.err, tail(up.output()))
		}
	case <-time.After(30 * time.Second):
		t.Fatalf("up did not stop within 30s of Ctrl-C:\n%s", tail(up.output()))
	}
	for _, want := range []string{"agent stopped", "server stopped"} {
		if !strings.Contains(up.output(), want) {
			t.Errorf("output lacks %q after Ctrl-C:\n%s", want, tail(up.output()))
		}
	}
}
