package e2e

import (
	"bufio"
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"
)

// fault is what the proxy does to one request.
type fault int

const (
	// faultNone relays the request and its answer.
	faultNone fault = iota
	// faultResetMidRequest forwards half of the request, then resets the
	// agent's connection and closes the server's: nothing is stored.
	faultResetMidRequest
	// faultDropAnswer forwards the whole request and reads the server's
	// answer (so the batch is stored), then resets the agent's connection
	// without relaying it: the agent must send the batch again.
	faultDropAnswer
	// faultDelayAnswer holds the server's answer for faultProxy.delay before
	// relaying it.
	faultDelayAnswer
	// faultTruncateAnswer relays the status line, the headers and half the
	// body of the server's answer, then resets the agent's connection.
	faultTruncateAnswer
	numFaults
)

func (f fault) String() string {
	return [...]string{"none", "reset-mid-request", "drop-answer", "delay-answer", "truncate-answer"}[f]
}

// maxProxyHeaderBytes bounds a request's header block: the SDK's are under
// 2 KiB, so more means the proxy is not reading HTTP.
const maxProxyHeaderBytes = 64 << 10

// faultProxy is a TCP proxy between the agent and the server that speaks
// just enough HTTP/1.1 to see request boundaries and the X-Amz-Target of
// each request, and injects faults chosen by plan: one upstream connection
// per agent connection, so keep-alive behaves as it would on a real path.
type faultProxy struct {
	t        *testing.T
	ln       net.Listener
	upstream string
	delay    time.Duration
	trace    bool // LOGWARDEN_E2E_PROXY_TRACE set: one stderr line per request
	// delaying receives the stream of each request whose answer is about to
	// be held (the request has been forwarded), if there is room.
	delaying chan string
	// plan picks the fault of the n-th (0-based) request with this target
	// and log stream ("" for requests without one).
	plan func(target, stream string, n int) fault

	mu      sync.Mutex
	seen    map[string]int   // requests per target and stream
	faults  map[string][]int // target and stream → count per fault kind
	badHTTP error            // a request the proxy could not frame
	conns   map[net.Conn]struct{}
	wg      sync.WaitGroup
}

func newFaultProxy(t *testing.T, upstream string, delay time.Duration, plan func(string, string, int) fault) *faultProxy {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	p := &faultProxy{t: t, ln: ln, upstream: upstream, delay: delay, plan: plan, trace: os.Getenv("LOGWARDEN_E2E_PROXY_TRACE") != "", delaying: make(chan string, 16),
		seen: map[string]int{}, faults: map[string][]int{}, conns: map[net.Conn]struct{}{}}
	p.wg.Add(1)
	go p.accept()
	t.Cleanup(p.close)
	return p
}

func (p *faultProxy) addr() string { return p.ln.Addr().String() }

func (p *faultProxy) accept() {
	defer p.wg.Done()
	for {
		c, err := p.ln.Accept()
		if err != nil {
			return
		}
		p.mu.Lock()
		p.conns[c] = struct{}{}
		p.mu.Unlock()
		p.wg.Add(1)
		go func() {
			defer p.wg.Done()
			p.serve(c)
			p.mu.Lock()
			delete(p.conns, c)
			p.mu.Unlock()
		}()
	}
}

func (p *faultProxy) close() {
	p.ln.Close()
	p.mu.Lock()
	for c := range p.conns {
		c.Close()
	}
	p.mu.Unlock()
	p.wg.Wait()
}

func proxyKey(target, stream string) string { return target + "\x00" + stream }

// count returns how many requests of target for stream got fault f.
func (p *faultProxy) count(target, stream string, f fault) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	if c := p.faults[proxyKey(target, stream)]; c != nil {
		return c[f]
	}
	return 0
}

// requests returns how many requests of target for stream went through the proxy.
func (p *faultProxy) requests(target, stream string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.seen[proxyKey(target, stream)]
}

func (p *faultProxy) err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.badHTTP
}

func (p *faultProxy) decide(target, stream string) fault {
	p.mu.Lock()
	defer p.mu.Unlock()
	k := proxyKey(target, stream)
	n := p.seen[k]
	p.seen[k]++
	f := p.plan(target, stream, n)
	if p.faults[k] == nil {
		p.faults[k] = make([]int, numFaults)
	}
	p.faults[k][f]++
	return f
}

// reset closes c with an RST rather than a FIN, as a middlebox dropping the
// connection does.
func reset(c net.Conn) {
	if tc, ok := c.(*net.TCPConn); ok {
		tc.SetLinger(0)
	}
	c.Close()
}

func (p *faultProxy) serve(cc net.Conn) {
	defer cc.Close()
	uc, err := net.Dial("tcp", p.upstream)
	if err != nil {
		reset(cc)
		return
	}
	defer uc.Close()
	cr, ur := bufio.NewReader(cc), bufio.NewReader(uc)
	for {
		raw, body, target, err := readRawRequest(cr)
		if err != nil {
			if !errors.Is(err, io.EOF) && !errors.Is(err, net.ErrClosed) && !errors.Is(err, io.ErrUnexpectedEOF) {
				p.mu.Lock()
				if p.badHTTP == nil {
					p.badHTTP = err
				}
				p.mu.Unlock()
			}
			return
		}
		var req struct {
			LogStreamName string `json:"logStreamName"`
		}
		json.Unmarshal(body, &req) // not every request names a stream
		f := p.decide(target, req.LogStreamName)
		if p.trace {
			fmt.Fprintf(os.Stderr, "%s proxy conn %p: %s %s, %d bytes: %s\n",
				time.Now().UTC().Format("15:04:05.000"), cc, target, req.LogStreamName, len(raw), f)
		}
		if f == faultResetMidRequest {
			uc.Write(raw[:len(raw)/2])
			reset(cc)
			return
		}
		if _, err := uc.Write(raw); err != nil {
			reset(cc)
			return
		}
		answer, closeAfter, err := readAnswer(ur)
		if err != nil {
			reset(cc)
			return
		}
		switch f {
		case faultDropAnswer:
			reset(cc)
			return
		case faultDelayAnswer:
			select {
			case p.delaying <- req.LogStreamName:
			default:
			}
			time.Sleep(p.delay)
		case faultTruncateAnswer:
			head := bytes.Index(answer, []byte("\r\n\r\n")) + 4
			cc.Write(answer[:head+(len(answer)-head)/2])
			reset(cc)
			return
		}
		if _, err := cc.Write(answer); err != nil || closeAfter {
			return
		}
	}
}

// readRawRequest reads one HTTP/1.1 request with a Content-Length body and
// returns its bytes unchanged, its body (a slice of raw) and its X-Amz-Target.
func readRawRequest(r *bufio.Reader) (raw, body []byte, target string, err error) {
	var buf bytes.Buffer
	length := 0
	for first := true; ; first = false {
		line, err := r.ReadString('\n')
		if err != nil {
			if buf.Len() > 0 || line != "" {
				return nil, nil, "", io.ErrUnexpectedEOF
			}
			return nil, nil, "", err
		}
		buf.WriteString(line)
		if buf.Len() > maxProxyHeaderBytes {
			return nil, nil, "", fmt.Errorf("read request: header over %d bytes", maxProxyHeaderBytes)
		}
		line = strings.TrimRight(line, "\r\n")
		if line == "" {
			break
		}
		if first {
			continue
		}
		k, v, ok := strings.Cut(line, ":")
		if !ok {
			return nil, nil, "", fmt.Errorf("read request: bad header line %q", line)
		}
		v = strings.TrimSpace(v)
		switch strings.ToLower(strings.TrimSpace(k)) {
		case "content-length":
			if length, err = strconv.Atoi(v); err != nil || length < 0 {
				return nil, nil, "", fmt.Errorf("read request: bad content-length %q", v)
			}
		case "transfer-encoding":
			return nil, nil, "", fmt.Errorf("read request: transfer-encoding %q not supported by the proxy", v)
		case "x-amz-target":
			target = v
		}
	}
	head := buf.Len()
	raw = make([]byte, head+length)
	copy(raw, buf.Bytes())
	if _, err := io.ReadFull(r, raw[head:]); err != nil {
		return nil, nil, "", io.ErrUnexpectedEOF
	}
	return raw, raw[head:], target, nil
}

// readAnswer reads one response (whatever its framing) and returns it
// re-framed with a Content-Length, and whether the connection ends after it.
func readAnswer(r *bufio.Reader) ([]byte, bool, error) {
	resp, err := http.ReadResponse(r, nil)
	if err != nil {
		return nil, false, err
	}
	body, err := io.ReadAll(resp.Body)
	resp.Body.Close()
	if err != nil {
		return nil, false, err
	}
	resp.Body = io.NopCloser(bytes.NewReader(body))
	resp.ContentLength = int64(len(body))
	resp.TransferEncoding = nil
	var out bytes.Buffer
	if err := resp.Write(&out); err != nil {
		return nil, false, err
	}
	return out.Bytes(), resp.Close, nil
}
