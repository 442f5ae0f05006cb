package testutil

import (
	"bufio"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"os/exec"
	"strings"
	"testing"
)

// nullCWLEnv tells a test binary started by NullCWLServer to serve.
const nullCWLEnv = "LOGWARDEN_TEST_NULL_SERVER"

// NullCWLHandler reads every request's body and answers {}, as CloudWatch
// Logs answers a PutLogEvents that took every event.
func NullCWLHandler() http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/x-amz-json-1.1")
		io.WriteString(w, "{}")
	})
}

// ServeNullCWL is the body of a package's TestHelperNullServer, which is
// not a test: in the child process NullCWLServer starts, it serves
// NullCWLHandler on 127.0.0.1 until its stdin closes; anywhere else it
// skips.
func ServeNullCWL(t *testing.T) {
	if os.Getenv(nullCWLEnv) != "1" {
		t.Skip("helper process for benchmarks")
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	fmt.Printf("ADDR %s\n", l.Addr())
	go http.Serve(l, NullCWLHandler())
	io.Copy(io.Discard, os.Stdin)
}

// NullCWLServer starts this test binary again as a null CloudWatch Logs
// server (running only its TestHelperNullServer, which must call
// ServeNullCWL) and returns its URL. The server runs in another process so
// that a benchmark's CPU figures count the client only; it stops when tb
// ends.
func NullCWLServer(tb testing.TB) string {
	tb.Helper()
	cmd := exec.Command(os.Args[0], "-test.run=^TestHelperNullServer$")
	cmd.Env = append(os.Environ(), nullCWLEnv+"=1")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		tb.Fatal(err)
	}
	out, err := cmd.StdoutPipe()
	if err != nil {
		tb.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		tb.Fatal(err)
	}
	tb.Cleanup(func() {
		stdin.Close()
		cmd.Wait()
	})
	line, err := bufio.NewReader(out).ReadString('\n')
	if err != nil || !strings.HasPrefix(line, "ADDR ") {
		tb.Fatalf("null server: %q %v", line, err)
	}
	return "http://" + strings.TrimSpace(strings.TrimPrefix(line, "ADDR "))
}
