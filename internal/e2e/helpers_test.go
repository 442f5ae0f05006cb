package e2e

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/aws/aws-sdk-go-v2/aws"
	"github.com/aws/aws-sdk-go-v2/credentials"
	"github.com/aws/aws-sdk-go-v2/service/cloudwatchlogs"
	"github.com/aws/smithy-go"
)

var (
	buildOnce sync.Once
	binPath   string
	buildErr  error
)

// binary builds cmd/logwarden once per test run and returns its path.
func binary(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "logwarden-e2e-bin")
		if err != nil {
			buildErr = err
			return
		}
		binPath = filepath.Join(dir, "logwarden")
		cmd := exec.Command("go", "build", "-o", binPath, "../../cmd/logwarden")
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return binPath
}

// freeAddr returns a free loopback address.
func freeAddr(t *testing.T) string {
	t.Helper()
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := l.Addr().String()
	l.Close()
	return addr
}

// proc is a started logwarden process whose output goes to a file.
type proc struct {
	cmd  *exec.Cmd
	out  string
	done chan struct{}
	err  error
}

func start(t *testing.T, name string, env []string, args ...string) *proc {
	t.Helper()
	outDir := t.TempDir()
	if keep := os.Getenv("LOGWARDEN_E2E_KEEP"); keep != "" {
		outDir = keep
	}
	out := filepath.Join(outDir, name+".out")
	f, err := os.Create(out)
	if err != nil {
		t.Fatal(err)
	}
	cmd := exec.Command(binary(t), args...)
	cmd.Stdout, cmd.Stderr = f, f
	cmd.Env = append(os.Environ(), "AWS_EC2_METADATA_DISABLED=true", "AWS_ACCESS_KEY_ID=e2e", "AWS_SECRET_ACCESS_KEY=e2e", "AWS_REGION=us-east-1")
	cmd.Env = append(cmd.Env, env...)
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	p := &proc{cmd: cmd, out: out, done: make(chan struct{})}
	go func() { p.err = cmd.Wait(); f.Close(); close(p.done) }()
	t.Cleanup(func() { p.kill() })
	return p
}

func (p *proc) output() string {
	b, _ := os.ReadFile(p.out)
	return string(b)
}

// stop sends SIGTERM and waits for a clean exit.
func (p *proc) stop(t *testing.T) {
	t.Helper()
	p.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-p.done:
		if p.err != nil {
			t.Fatalf("%s exited with %v; output:\n%s", p.cmd.Args[1], p.err, tail(p.output()))
		}
	case <-time.After(60 * time.Second):
		p.kill()
		t.Fatalf("%s did not stop within 60s; output:\n%s", p.cmd.Args[1], tail(p.output()))
	}
}

func (p *proc) kill() {
	select {
	case <-p.done:
	default:
		p.cmd.Process.Kill()
		<-p.done
	}
}

func tail(s string) string {
	lines := strings.Split(s, "\n")
	if len(lines) > 40 {
		lines = lines[len(lines)-40:]
	}
	return strings.Join(lines, "\n")
}

// waitListening waits until addr accepts connections.
func waitListening(t *testing.T, addr string, p *proc) {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for time.Now().Before(deadline) {
		if c, err := net.Dial("tcp", addr); err == nil {
			c.Close()
			return
		}
		select {
		case <-p.done:
			t.Fatalf("server exited: %v\n%s", p.err, tail(p.output()))
		case <-time.After(50 * time.Millisecond):
		}
	}
	t.Fatalf("server not listening on %s after 30s\n%s", addr, tail(p.output()))
}

func client(addr string) *cloudwatchlogs.Client {
	return cloudwatchlogs.New(cloudwatchlogs.Options{
		Region:       "us-east-1",
		BaseEndpoint: aws.String("http://" + addr),
		Credentials:  credentials.NewStaticCredentialsProvider("e2e", "e2e", ""),
	})
}

// readStream returns every event of a stream, oldest first (nil if the stream does not exist yet).
func readStream(ctx context.Context, c *cloudwatchlogs.Client, group, stream string) ([]string, []int64, error) {
	var msgs []string
	var ts []int64
	p := cloudwatchlogs.NewGetLogEventsPaginator(c, &cloudwatchlogs.GetLogEventsInput{
		LogGroupName: aws.String(group), LogStreamName: aws.String(stream), StartFromHead: aws.Bool(true),
	}, func(o *cloudwatchlogs.GetLogEventsPaginatorOptions) { o.StopOnDuplicateToken = true })
	for p.HasMorePages() {
		// The paginator keeps its token on error, so a failed read is retried
		// a few times: these tests judge what was stored, not one connection.
		var page *cloudwatchlogs.GetLogEventsOutput
		var err error
		for attempt := 0; attempt < 3; attempt++ {
			var apiErr smithy.APIError
			if page, err = p.NextPage(ctx); err == nil || errors.As(err, &apiErr) {
				break // done, or an answer from the server (such as a missing stream)
			}
			time.Sleep(200 * time.Millisecond)
		}
		if err != nil {
			return nil, nil, err
		}
		for _, e := range page.Events {
			msgs = append(msgs, aws.ToString(e.Message))
			ts = append(ts, aws.ToInt64(e.Timestamp))
		}
	}
	return msgs, ts, nil
}

// appendLines appends lines to path with O_APPEND, as a logger does.
func appendLines(t *testing.T, path string, lines []string) {
	t.Helper()
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY|os.O_APPEND, 0o644)
	if err != nil {
		t.Fatal(err)
	}
	w := bufio.NewWriter(f)
	for _, l := range lines {
		io.WriteString(w, l)
		w.WriteByte('\n')
	}
	if err := w.Flush(); err != nil {
		t.Fatal(err)
	}
	f.Close()
}
